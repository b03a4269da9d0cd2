// kafka-sidecar-exporter: watches a Kafka cluster and serves what it sees as
// Prometheus metrics, one port per broker plus a cluster port.
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cstdio>
#include <iostream>
#include <optional>
#include <string>
#include <vector>

#include "app/app.h"
#include "collector/collector.h"
#include "config/config.h"
#include "config/kafka_exporter_flags.h"
#include "config/web_config.h"
#include "kse/version.h"
#include "model/catalogue.h"

extern char** environ;

namespace {

constexpr int kConfigErrorExit = 2;

std::vector<std::string> environment_entries() {
  std::vector<std::string> entries;
  for (char** entry = environ; entry != nullptr && *entry != nullptr; ++entry) {
    entries.emplace_back(*entry);
  }
  return entries;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App cli{"kafka-sidecar-exporter " + std::string(kse::kVersion) +
               ": Prometheus metrics for a Kafka cluster, one port per broker.\n"
               "Configuration: defaults < YAML file < KSE_* environment < flags "
               "(see docs/configuration.md).\n"
               "danielqsj/kafka_exporter's flags (--kafka.server, --web.listen-address, ...) "
               "are accepted too: see docs/migrating-from-kafka_exporter.md."};
  std::string config_file;
  std::vector<std::string> overrides;
  std::optional<std::string> bootstrap;
  std::optional<int32_t> broker_id;
  std::optional<int> cluster_port;
  std::optional<std::string> listen_address;
  std::optional<std::string> log_level;
  std::optional<std::string> web_config_file;
  bool check_only = false;
  bool print_metrics_doc = false;
  bool print_config_reference = false;
  bool print_collectors = false;
  cli.add_option("-c,--config", config_file, "YAML configuration file");
  cli.add_option("--bootstrap-servers", bootstrap, "Comma-separated host:port list")->type_name("LIST");
  cli.add_option("--broker-id", broker_id,
                 "Sidecar mode: serve only this broker's port (and the cluster port when this "
                 "is the lowest live broker id)");
  cli.add_option("--cluster-port", cluster_port, "Port of the cluster-wide series");
  cli.add_option("--listen-address", listen_address, "Address the HTTP ports bind to");
  cli.add_option("--log-level", log_level, "trace, debug, info, warn or error");
  cli.add_option("--web.config.file", web_config_file,
                 "TLS and basic auth of the HTTP ports, in the Prometheus exporter-toolkit format")
      ->type_name("FILE");
  cli.add_option("--set", overrides, "Override any key: section.key=value (repeatable)")
      ->type_name("KEY=VALUE");
  cli.add_flag("--check-config", check_only, "Validate the configuration and exit");
  cli.add_flag("--print-metrics-doc", print_metrics_doc,
               "Print the metric table of docs/metrics.md and exit");
  cli.add_flag("--print-config-reference", print_config_reference,
               "Print the key table of docs/configuration.md and exit");
  cli.add_flag("--print-collectors", print_collectors,
               "Print the collector table of docs/architecture.md and exit");
  cli.set_version_flag("--version", std::string("kafka-sidecar-exporter ") + kse::kVersion);

  // kafka_exporter's flags are taken out first; CLI11 reads what is left.
  kse::config::KafkaExporterFlags kafka_exporter_flags;
  try {
    kafka_exporter_flags = kse::config::extract_kafka_exporter_flags({argv + 1, argv + argc});
  } catch (const kse::config::ConfigError& error) {
    std::cerr << "kafka-sidecar-exporter: configuration error: " << error.what() << "\n";
    return kConfigErrorExit;
  }
  std::vector<std::string> remaining = kafka_exporter_flags.remaining;
  std::reverse(remaining.begin(), remaining.end());  // CLI11 takes the arguments reversed

  try {
    cli.parse(remaining);
  } catch (const CLI::CallForHelp& e) {
    return cli.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return cli.exit(e);
  } catch (const CLI::ParseError& e) {
    std::cerr << "kafka-sidecar-exporter: " << e.what() << " (see --help)\n";
    return kConfigErrorExit;
  }

  if (print_metrics_doc) {
    std::cout << kse::model::catalogue_markdown();
    return 0;
  }
  if (print_config_reference) {
    std::cout << kse::config::reference_markdown();
    return 0;
  }
  if (print_collectors) {
    std::cout << kse::collector::table_markdown();
    return 0;
  }

  kse::config::Config config;
  kse::config::WebConfig web_config;
  try {
    config =
        config_file.empty() ? kse::config::load_text("", "<defaults>") : kse::config::load_file(config_file);
    kse::config::apply_environment(config, environment_entries());
    if (bootstrap) {
      kse::config::apply_override(config, "kafka.bootstrap_servers=" + *bootstrap,
                                  "flag --bootstrap-servers");
    }
    if (broker_id) {
      kse::config::apply_override(config, "serve.broker_id=" + std::to_string(*broker_id),
                                  "flag --broker-id");
    }
    if (cluster_port) {
      kse::config::apply_override(config, "serve.cluster_port=" + std::to_string(*cluster_port),
                                  "flag --cluster-port");
    }
    if (listen_address) {
      kse::config::apply_override(config, "serve.listen_address=" + *listen_address, "flag --listen-address");
    }
    if (log_level) {
      kse::config::apply_override(config, "log.level=" + *log_level, "flag --log-level");
    }
    if (web_config_file) {
      kse::config::apply_override(config, "serve.web_config_file=" + *web_config_file,
                                  "flag --web.config.file");
    }
    kse::config::apply_kafka_exporter_flags(config, kafka_exporter_flags);
    for (const auto& assignment : overrides) {
      kse::config::apply_override(config, assignment, "flag --set");
    }
    kse::config::read_secret_files(config);
    kse::config::validate(config);
    if (!config.serve.web_config_file.empty()) {
      web_config = kse::config::load_web_config(config.serve.web_config_file);
    }
  } catch (const kse::config::ConfigError& error) {
    std::cerr << "kafka-sidecar-exporter: configuration error: " << error.what() << "\n";
    return kConfigErrorExit;
  }

  for (const auto& note : kafka_exporter_flags.notes) spdlog::info("{}", note);
  for (const auto& warning : kse::config::inline_secret_warnings(config)) spdlog::warn("{}", warning);
  if (check_only) {
    std::cout << "configuration OK (" << config.source << ")\n";
    return 0;
  }
  return kse::app::run(config, web_config);
}
