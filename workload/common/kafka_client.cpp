#include "common/kafka_client.h"

#include <fmt/format.h>

#include <cstdio>

#include "common/stop_signal.h"

namespace kse::workload {

void CommonOptions::add_to(CLI::App& cli) {
  cli.add_option("--bootstrap-servers", bootstrap_servers, "Comma-separated host:port list")
      ->capture_default_str();
  cli.add_option("--client-id", client_id, "client.id (defaults to the tool's name)");
  cli.add_option("--metrics-port", metrics_port,
                 "Serve the client's statistics and counters on this /metrics port (0 = off)")
      ->check(CLI::Range(0, 65535))
      ->capture_default_str();
  cli.add_option("--metrics-address", metrics_address, "Address the /metrics port binds to")
      ->capture_default_str();
  cli.add_option("--stats-interval-ms", stats_interval_ms, "librdkafka statistics.interval.ms for /metrics")
      ->check(CLI::Range(100, 3600000))
      ->capture_default_str();
  cli.add_option("--report-interval-s", report_interval_s,
                 "Print progress on standard error this often (0 = never)")
      ->check(CLI::Range(0.0, 86400.0))
      ->capture_default_str();
  cli.add_option("-X,--property", properties,
                 "Any librdkafka property, e.g. -X security.protocol=SASL_SSL (repeatable)")
      ->type_name("NAME=VALUE");
}

std::optional<int> parse_command_line(CLI::App& cli, int argc, char** argv) {
  try {
    cli.parse(argc, argv);
  } catch (const CLI::ParseError& error) {
    const int printed = cli.exit(error);
    return printed == 0 ? 0 : kConfigurationErrorExit;
  }
  return std::nullopt;
}

int run_tool(const char* name, CLI::App& cli, int argc, char** argv, const std::function<int()>& body) {
  if (auto exit_code = parse_command_line(cli, argc, argv)) return *exit_code;
  install_stop_signal_handlers();
  try {
    return body();
  } catch (const ConfigurationError& error) {
    std::fprintf(stderr, "%s: configuration error: %s\n", name, error.what());
    return kConfigurationErrorExit;
  } catch (const std::exception& error) {
    std::fprintf(stderr, "%s: %s\n", name, error.what());
    return 1;
  }
}

KafkaConfig::KafkaConfig() : conf_(rd_kafka_conf_new()) {}

KafkaConfig::~KafkaConfig() {
  if (conf_ != nullptr) rd_kafka_conf_destroy(conf_);
}

void KafkaConfig::set(const std::string& name, const std::string& value) {
  char error[512];
  if (rd_kafka_conf_set(conf_, name.c_str(), value.c_str(), error, sizeof(error)) != RD_KAFKA_CONF_OK) {
    throw ConfigurationError(fmt::format("librdkafka property {}={}: {}", name, value, error));
  }
}

void KafkaConfig::set_all(const std::vector<std::string>& name_values) {
  for (const auto& entry : name_values) {
    const auto equals = entry.find('=');
    if (equals == std::string::npos || equals == 0) {
      throw ConfigurationError(fmt::format("-X {}: expected NAME=VALUE", entry));
    }
    set(entry.substr(0, equals), entry.substr(equals + 1));
  }
}

rd_kafka_conf_t* KafkaConfig::release() {
  auto* conf = conf_;
  conf_ = nullptr;
  return conf;
}

namespace {

int on_statistics(rd_kafka_t*, char* json, size_t json_len, void* opaque) {
  auto* context = static_cast<ClientContext*>(opaque);
  if (context->stats && !context->stats->update(std::string_view(json, json_len))) {
    std::fprintf(stderr, "%s: ignored a statistics document: %s\n", context->tool_name.c_str(),
                 context->stats->last_error().c_str());
  }
  return 0;  // librdkafka frees the document
}

void on_delivery_report(rd_kafka_t*, const rd_kafka_message_t* message, void* opaque) {
  auto* context = static_cast<ClientContext*>(opaque);
  if (context->on_delivery) context->on_delivery(*message);
}

void on_error(rd_kafka_t* client, int error, const char* reason, void* opaque) {
  auto* context = static_cast<ClientContext*>(opaque);
  if (error == RD_KAFKA_RESP_ERR__FATAL) {
    char fatal_reason[512];
    rd_kafka_fatal_error(client, fatal_reason, sizeof(fatal_reason));
    std::fprintf(stderr, "%s: fatal Kafka client error: %s\n", context->tool_name.c_str(), fatal_reason);
    context->fatal_error = true;
    return;
  }
  // librdkafka retries these by itself; they say why progress stalls.
  std::fprintf(stderr, "%s: Kafka client: %s (%s)\n", context->tool_name.c_str(), reason,
               rd_kafka_err2name(static_cast<rd_kafka_resp_err_t>(error)));
}

}  // namespace

KafkaHandle create_client(rd_kafka_type_t type, KafkaConfig& config, ClientContext& context,
                          int stats_interval_ms) {
  if (context.stats) {
    config.set("statistics.interval.ms", std::to_string(stats_interval_ms));
    rd_kafka_conf_set_stats_cb(config.get(), on_statistics);
  }
  if (type == RD_KAFKA_PRODUCER) rd_kafka_conf_set_dr_msg_cb(config.get(), on_delivery_report);
  rd_kafka_conf_set_error_cb(config.get(), on_error);
  rd_kafka_conf_set_opaque(config.get(), &context);
  char error[512];
  rd_kafka_t* client = rd_kafka_new(type, config.get(), error, sizeof(error));
  if (client == nullptr) throw WorkloadError(fmt::format("cannot create the Kafka client: {}", error));
  config.release();  // rd_kafka_new owns it now
  return KafkaHandle(client);
}

void check(rd_kafka_error_t* error, const std::string& what) {
  if (error == nullptr) return;
  std::string message = fmt::format("{}: {}", what, rd_kafka_error_string(error));
  rd_kafka_error_destroy(error);
  throw WorkloadError(message);
}

int64_t now_epoch_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

}  // namespace kse::workload
