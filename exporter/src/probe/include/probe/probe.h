#pragma once

#include <atomic>
#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <librdkafka/rdkafka.h>

#include "client_stats/client_stats.h"
#include "metrics/family.h"
#include "model/snapshot.h"
#include "probe/ledger.h"

// The end-to-end probe: every interval one message to each partition of the
// probe topic (one partition led by every broker), consumed back in its own
// group and committed, each step timed and attributed to the broker measured.
// It runs on its own thread with librdkafka and never writes to another topic.
namespace kse::oauth {
class TokenProvider;
}  // namespace kse::oauth

namespace kse::probe {

struct ProbeOptions {
  std::string bootstrap_servers;                // comma-separated
  std::map<std::string, std::string> security;  // librdkafka settings (security.protocol, ssl.*, sasl.*)
  std::string topic = "_kse_probe";
  std::string group = "_kse_probe_group";
  std::string client_id = "kse-probe";
  std::chrono::milliseconds interval{1000};
  std::chrono::milliseconds retention{3600000};
  int replication_factor = 3;
  std::optional<int32_t> only_broker;  // sidecar mode: measure this broker's partitions only
  // sasl.mechanisms=OAUTHBEARER: librdkafka asks this provider for its tokens.
  std::shared_ptr<oauth::TokenProvider> token_provider;
};

class ProbeError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class Probe {
 public:
  // Throws ProbeError when librdkafka rejects a setting.
  explicit Probe(ProbeOptions options);
  ~Probe();
  Probe(const Probe&) = delete;
  Probe& operator=(const Probe&) = delete;

  // The probe group's coordinator, as the exporter's last snapshot of the groups shows it.
  void follow_coordinator(const std::vector<model::GroupState>& groups);
  const std::string& group() const { return options_.group; }
  const std::string& topic() const { return options_.topic; }

  // The probe's families as of now, then its producer's and consumer's client stats.
  std::vector<std::shared_ptr<const std::vector<metrics::Family>>> families() const;

  // Callbacks from librdkafka (public for its C callbacks only).
  struct Handles;
  void on_delivery(int32_t partition, uint64_t sequence, bool ok, int32_t broker);
  void on_commit(bool ok);
  void on_token_refresh(rd_kafka_t* client);

 private:
  // A librdkafka producer or consumer with our settings and callbacks.
  rd_kafka_t* new_client(rd_kafka_type_t type, const std::map<std::string, std::string>& settings);
  void run();
  void refresh_topology();
  bool ensure_topic(const std::vector<int32_t>& brokers,
                    const std::map<int32_t, std::vector<int32_t>>& replicas);
  void assign_new_partitions(const std::vector<int32_t>& partitions);
  void produce_round();
  void consume_until(Clock::time_point deadline);
  void commit_round();
  void handle_message(const void* message);

  ProbeOptions options_;
  std::string instance_;  // tells our messages from another exporter's on the same topic
  std::unique_ptr<Handles> handles_;
  client_stats::ClientStats producer_stats_;
  client_stats::ClientStats consumer_stats_;
  std::atomic<int32_t> coordinator_{-1};
  std::atomic<bool> stopping_{false};

  // Probe thread only.
  std::map<int32_t, int32_t> leader_of_partition_;  // partitions measured -> current leader
  std::vector<int32_t> assigned_;
  Clock::time_point next_topology_{};
  std::optional<Clock::time_point> commit_started_;
  std::string last_problem_;

  mutable std::mutex mutex_;  // guards ledger_
  ProbeLedger ledger_;
  std::thread thread_;
};

}  // namespace kse::probe
