#pragma once

#include <librdkafka/rdkafka.h>

#include <CLI/CLI.hpp>
#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "client_stats/client_stats.h"

// What the three courier tools share: librdkafka configuration and handles,
// callbacks that feed the client statistics, and the common flags.
namespace kse::workload {

// Any error that ends a tool with one line on standard error.
class WorkloadError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// A flag or librdkafka property that is not allowed: exit code 2.
class ConfigurationError : public WorkloadError {
 public:
  using WorkloadError::WorkloadError;
};

inline constexpr int kConfigurationErrorExit = 2;

// CLI11 parsing: nullopt to go on, else the exit code (0 for --help, 2 for a bad flag).
std::optional<int> parse_command_line(CLI::App& cli, int argc, char** argv);

// Parses the command line, installs the stop signals and runs `body`; a configuration
// error ends with exit code 2, any other error with 1, each as one line on stderr.
int run_tool(const char* name, CLI::App& cli, int argc, char** argv, const std::function<int()>& body);

// Flags every tool has.
struct CommonOptions {
  std::string bootstrap_servers = "127.0.0.1:9092";
  std::string client_id;
  std::string metrics_address = "127.0.0.1";
  int metrics_port = 0;
  int stats_interval_ms = 5000;
  double report_interval_s = 5;
  std::vector<std::string> properties;

  void add_to(CLI::App& cli);
};

// Owns an rd_kafka_conf_t until a client takes it.
class KafkaConfig {
 public:
  KafkaConfig();
  ~KafkaConfig();
  KafkaConfig(const KafkaConfig&) = delete;
  KafkaConfig& operator=(const KafkaConfig&) = delete;

  // Throws ConfigurationError naming the property when librdkafka refuses it.
  void set(const std::string& name, const std::string& value);
  // "name=value" entries, as given to -X.
  void set_all(const std::vector<std::string>& name_values);
  rd_kafka_conf_t* get() { return conf_; }
  rd_kafka_conf_t* release();

 private:
  rd_kafka_conf_t* conf_;
};

struct KafkaDestroy {
  void operator()(rd_kafka_t* client) const { rd_kafka_destroy(client); }
};
using KafkaHandle = std::unique_ptr<rd_kafka_t, KafkaDestroy>;

// The opaque of every client: where its statistics and delivery reports go.
struct ClientContext {
  std::string tool_name;
  // Null when statistics are not served.
  std::shared_ptr<client_stats::ClientStats> stats;
  // Producers only; runs in the thread that polls the client.
  std::function<void(const rd_kafka_message_t&)> on_delivery;
  std::atomic<bool> fatal_error{false};
};

// Installs the callbacks (statistics when context.stats is set, delivery,
// errors) and creates the client; throws WorkloadError.
KafkaHandle create_client(rd_kafka_type_t type, KafkaConfig& config, ClientContext& context,
                          int stats_interval_ms);

// Throws WorkloadError "<what>: <librdkafka's message>" and frees the error.
void check(rd_kafka_error_t* error, const std::string& what);

int64_t now_epoch_ms();

// Seconds since `start` as a double, for rates.
double seconds_since(std::chrono::steady_clock::time_point start);

}  // namespace kse::workload
