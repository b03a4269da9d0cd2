#pragma once

#include <string>
#include <vector>

#include "config/config.h"

// danielqsj/kafka_exporter's command line, read so the exporter can replace it in an
// existing deployment: each of its flags becomes one of our keys, is accepted and
// ignored (with a note saying why), or is refused when honouring it silently would lie.
namespace kse::config {

struct KafkaExporterFlags {
  std::vector<std::string> remaining;  // the arguments that are not kafka_exporter flags
  std::vector<std::string> seen;       // the kafka_exporter flags given, in order
  // "key=value" assignments, each with the flag it came from.
  std::vector<std::pair<std::string, std::string>> assignments;
  std::vector<std::string> notes;  // one line per flag accepted but ignored, and why
};

// Takes kafka_exporter's flags (`--flag value`, `--flag=value`, `--[no-]flag` for
// booleans) out of `arguments` (without the program name). Throws ConfigError, one line
// naming the flag, for a bad value or a flag that is refused.
KafkaExporterFlags extract_kafka_exporter_flags(const std::vector<std::string>& arguments);

// Applies the assignments over `config` (after the file and the environment). Throws
// ConfigError.
void apply_kafka_exporter_flags(Config& config, const KafkaExporterFlags& flags);

}  // namespace kse::config
