#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "metrics/family.h"

// The probe's bookkeeping without Kafka: which message went through which broker,
// what came back, what was lost, duplicated or out of order, and the latencies.
// Times are passed in, so the logic is tested without clocks or brokers.
namespace kse::probe {

using Clock = std::chrono::steady_clock;

class Histogram {
 public:
  static const std::vector<double>& bounds();  // seconds, shared by every probe histogram
  void observe(double seconds);
  const std::vector<uint64_t>& counts() const { return counts_; }  // per bound, not cumulative
  uint64_t count() const { return count_; }
  double sum() const { return sum_; }

 private:
  std::vector<uint64_t> counts_ = std::vector<uint64_t>(bounds().size(), 0);
  uint64_t count_ = 0;
  double sum_ = 0;
};

struct BrokerProbe {
  Histogram produce_latency;
  Histogram end_to_end_latency;
  Histogram commit_latency;
  uint64_t sent = 0;
  uint64_t received = 0;
  uint64_t lost = 0;
  uint64_t duplicated = 0;
  uint64_t out_of_order = 0;
  uint64_t produce_errors = 0;
  uint64_t commit_errors = 0;
  std::optional<Clock::time_point> last_success;
  std::optional<double> last_success_unix;
};

class ProbeLedger {
 public:
  // A message is lost when acknowledged but not consumed within `loss_timeout`.
  ProbeLedger(std::chrono::milliseconds interval, std::chrono::milliseconds loss_timeout);

  // A broker to report on even before (or without) any message through it.
  void track_broker(int32_t broker);

  // Returns the sequence number to put in the message.
  uint64_t sent(int32_t partition, int32_t broker, Clock::time_point at);
  // `broker` is the one that acknowledged (-1 unknown): it replaces the guess made
  // from metadata at send time, which lags behind a leader change.
  void acknowledged(int32_t partition, uint64_t sequence, Clock::time_point at, int32_t broker = -1);
  void delivery_failed(int32_t partition, uint64_t sequence);
  // `fetched_from` is the broker the consumer read it from (-1 unknown): for a message
  // consumed before its acknowledgement was handled, it replaces the guess.
  void received(int32_t partition, uint64_t sequence, Clock::time_point at, double unix_now,
                int32_t fetched_from = -1);
  void commit_finished(int32_t coordinator, std::chrono::nanoseconds took, bool ok);
  // Counts acknowledged messages older than the loss timeout as lost.
  void expire(Clock::time_point now);

  bool up(int32_t broker, Clock::time_point now) const;
  size_t outstanding() const { return outstanding_.size(); }
  const std::map<int32_t, BrokerProbe>& brokers() const { return brokers_; }

  // The kafka_probe_* families, each broker's series owned by that broker. A
  // broker that is not up has its latency histograms left out, so they go stale.
  std::vector<metrics::Family> families(Clock::time_point now) const;

 private:
  struct Pending {
    int32_t broker;
    Clock::time_point sent_at;
    bool acknowledged = false;
  };
  struct PartitionSeen {
    uint64_t highest = 0;
    bool any = false;
    std::set<uint64_t> recent;  // received sequences, pruned to a window below `highest`
  };

  std::chrono::milliseconds interval_;
  std::chrono::milliseconds loss_timeout_;
  std::map<int32_t, uint64_t> next_sequence_;
  std::map<std::pair<int32_t, uint64_t>, Pending> outstanding_;
  std::map<int32_t, PartitionSeen> seen_;
  std::map<int32_t, int32_t> partition_broker_;  // the broker of each partition's latest message
  std::map<int32_t, BrokerProbe> brokers_;
};

}  // namespace kse::probe
