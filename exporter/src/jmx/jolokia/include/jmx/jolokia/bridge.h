#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "jmx/rules/rules.h"
#include "metrics/catalogue.h"
#include "metrics/family.h"

// One broker's (or Kafka Connect worker's) JMX internals: each cycle a few bulk POSTs to
// its Jolokia agent, the rules applied, and the families kept ready for the renderer.
namespace kse::jmx {

struct BridgeConfig {
  int32_t broker_id = 0;  // owner of every sample; unused for a Connect worker
  // Not empty: the JVM is a Kafka Connect worker. Its samples are owned by the cluster port
  // (metrics::kClusterOwner) and each carries connect_worker="<this>" (connect_worker_name);
  // its kafka_sidecar_jmx_* series carry that label instead of `broker`.
  std::string connect_worker;
  std::string url;       // e.g. http://127.0.0.1:8778/jolokia/
  std::string username;  // basic auth when not empty
  std::string password;
  std::string ca_file;  // https: CA that signed the agent's certificate
  bool verify_tls = true;
  std::chrono::milliseconds connect_timeout{2000};
  std::chrono::milliseconds read_timeout{10000};  // per POST
  size_t max_body_bytes = 256u << 20;
  bool jvm_metrics = true;             // jvm_* and process_* like the agent's DefaultExports
  bool attribute_descriptions = true;  // `list` new beans once, for jmx_exporter's help text
  int domain_refresh_cycles = 20;      // re-list the JMX domains every N cycles
  std::string proc_root = "/proc";     // RSS of a broker running on this host
};

struct BridgeStatus {
  bool up = false;
  uint64_t cycles = 0;
  uint64_t errors = 0;
  std::string last_error;
  // Failed POSTs of thread states / attribute descriptions, which do not fail a cycle.
  uint64_t extra_errors = 0;
  std::string last_extra_error;
  double last_collect_seconds = 0;
  double last_success_unix_seconds = 0;  // 0: never
  size_t beans = 0;
  size_t attributes = 0;
  size_t samples = 0;
  size_t posts = 0;            // HTTP requests of the last cycle
  double jolokia_seconds = 0;  // of the last cycle, waiting for Jolokia's answers
  size_t response_bytes = 0;
  size_t cached_beans = 0;
  size_t cache_hits = 0;
  size_t cache_misses = 0;
};

class JolokiaBridge {
 public:
  JolokiaBridge(BridgeConfig config, std::shared_ptr<const RuleSet> rules);
  ~JolokiaBridge();
  JolokiaBridge(const JolokiaBridge&) = delete;
  JolokiaBridge& operator=(const JolokiaBridge&) = delete;

  // One cycle, blocking for at most about 3 x (connect + read timeout). Never throws;
  // on failure only the status series remain. Call from one thread at a time.
  void collect_once();

  // The last cycle's families (rules, JVM, jmx_scrape_*, kafka_sidecar_jmx_*), every
  // sample owned by the broker (a Connect worker's: by the cluster port, each with its
  // connect_worker label). Safe to call from any thread during collect_once().
  std::vector<metrics::Family> families() const;
  std::shared_ptr<const std::vector<metrics::Family>> shared_families() const;
  BridgeStatus status() const;
  const BridgeConfig& config() const { return config_; }

 private:
  struct State;
  BridgeConfig config_;
  std::unique_ptr<State> state_;
  mutable std::mutex mutex_;
  std::shared_ptr<const std::vector<metrics::Family>> published_;
  BridgeStatus status_;
};

// One bridge per broker (or per Connect worker: one runner per rules file), each collected
// on its own thread every `interval`: a dead or slow agent costs only its own timeout, never
// the other bridges' cycles. The first cycles start at construction; the destructor stops
// and joins every thread.
class BridgeRunner {
 public:
  BridgeRunner(const std::vector<BridgeConfig>& brokers, std::shared_ptr<const RuleSet> rules,
               std::chrono::milliseconds interval);
  ~BridgeRunner();
  BridgeRunner(const BridgeRunner&) = delete;
  BridgeRunner& operator=(const BridgeRunner&) = delete;

  // Every bridge's last families, in the order of the configs given.
  std::vector<std::shared_ptr<const std::vector<metrics::Family>>> families() const;
  const std::vector<std::unique_ptr<JolokiaBridge>>& bridges() const { return bridges_; }

 private:
  void loop(JolokiaBridge& bridge);
  std::chrono::milliseconds interval_;
  std::vector<std::unique_ptr<JolokiaBridge>> bridges_;
  std::vector<std::thread> threads_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
};

// Status families alone (for a broker with no bridge yet, or in tests).
std::vector<metrics::Family> jmx_status_families(int32_t broker_id, const BridgeStatus& status);

// The connect_worker label of a Connect worker reached at `jolokia_url`: its host:port
// ("[::1]:8778" for an IPv6 address), or the URL itself when it cannot be parsed.
std::string connect_worker_name(const std::string& jolokia_url);

// The families the bridge serves about itself whatever the rules (jmx_exporter's
// jmx_scrape_* and our kafka_sidecar_jmx_*), as docs/jmx-metrics.md lists them.
const metrics::Catalogue& bridge_status_catalogue();

}  // namespace kse::jmx
