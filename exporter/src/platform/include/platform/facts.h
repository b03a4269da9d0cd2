#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

// What the exporter reads of the platform around the brokers (Kafka Connect, MirrorMaker 2
// running on it, a Schema Registry), and how the answers of their REST APIs are read. Pure:
// no sockets here.
namespace kse::platform {

// An answer that is not what the API documents.
class ParseError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Connect's states (AbstractStatus.State), in the order families list them.
inline constexpr std::string_view kConnectStates[] = {"UNASSIGNED", "RUNNING", "PAUSED",
                                                      "STOPPED",    "FAILED",  "RESTARTING"};

struct TaskStatus {
  int32_t id = 0;
  std::string state;
  std::string worker;
  bool trace = false;  // the status carries a failure's stack trace
};

struct ConnectorStatus {
  std::string name;
  std::string type;  // source, sink, or unknown
  std::string connector_class;
  std::string state;
  std::string worker;
  bool trace = false;
  std::vector<TaskStatus> tasks;
  std::map<std::string, std::string> config;  // as given, secrets included: never served
};

// GET /connectors?expand=status&expand=info (Kafka 2.3+). Throws ParseError.
std::vector<ConnectorStatus> parse_connectors(std::string_view json);

// One partition a MirrorSourceConnector copies, from GET /connectors/NAME/offsets (Kafka 3.5+):
// the offset of the last record it copied, in the source cluster.
struct MirrorOffset {
  std::string source_cluster;
  std::string topic;
  int32_t partition = 0;
  int64_t last_copied = 0;
};

// Throws ParseError.
std::vector<MirrorOffset> parse_mirror_offsets(std::string_view json);

// The source topics a MirrorSourceConnector copies, as its configuration says: `topics`
// (regular expressions, default every topic) less `topics.exclude` (`topics.blacklist` before
// Kafka 3.0; default internal topics), never a topic that came from its target cluster
// (`<target alias>.name`, which MirrorMaker 2 does not copy back). Throws ParseError for a
// pattern that does not compile.
class MirroredTopics {
 public:
  explicit MirroredTopics(const std::map<std::string, std::string>& config);
  bool contains(const std::string& topic) const;

 private:
  struct Patterns;
  std::shared_ptr<const Patterns> patterns_;
};

bool is_mirror_source(const ConnectorStatus& connector);
bool is_mirror_checkpoint(const ConnectorStatus& connector);
bool is_mirror_heartbeat(const ConnectorStatus& connector);

// One mirror partition: where the source's log ends and how far the mirror copied.
struct MirrorPartition {
  std::string topic;  // in the source cluster
  int32_t partition = 0;
  int64_t next_to_copy = 0;           // last copied + 1
  std::optional<int64_t> source_end;  // absent when the source could not be read
};

// A MirrorMaker 2 connector seen this cycle.
struct Mirror {
  std::string connector;
  std::string kind;  // source, checkpoint, heartbeat
  std::string source_cluster;
  std::string target_cluster;
  bool offsets_read = false;  // source: its copied offsets were read
  std::vector<MirrorPartition> partitions;
  // Heartbeat and checkpoint connectors: Unix seconds of the newest record in the topic they
  // write to, in the cluster the exporter monitors; absent when unknown.
  std::optional<double> newest_record;
};

struct ConnectFacts {
  bool up = false;
  std::string error;
  std::string reason;  // why, from a bounded set: timeout, connection, authentication, http, protocol
  std::vector<ConnectorStatus> connectors;
  std::vector<Mirror> mirrors;
  std::string mirror_error;  // what kept a mirror's lag or freshness from being read
  std::string mirror_reason;
  // Task restarts seen while running: a task back to RUNNING after FAILED or RESTARTING.
  std::map<std::pair<std::string, int32_t>, uint64_t> task_restarts;
};

// A Schema Registry through the Confluent API.
struct SubjectFacts {
  std::string name;
  std::vector<int32_t> versions;
  std::string compatibility;  // its own level; empty when it follows the global one
};

struct RegistryFacts {
  bool up = false;
  std::string error;
  std::string reason;
  std::string global_compatibility;
  std::vector<SubjectFacts> subjects;
  // Registrations refused as incompatible, from the registry's own Prometheus page.
  std::optional<double> refused_registrations;
};

// GET /subjects → names; GET /subjects/S/versions → numbers; GET /config[/S] → level.
// Each throws ParseError.
std::vector<std::string> parse_subjects(std::string_view json);
std::vector<int32_t> parse_versions(std::string_view json);
std::string parse_compatibility(std::string_view json);

// The sum of a Prometheus text page's samples of `family` whose labels include every
// `label=value` of `match`; absent when no sample matches.
std::optional<double> sum_samples(std::string_view page, std::string_view family,
                                  const std::map<std::string, std::string>& match);

}  // namespace kse::platform
