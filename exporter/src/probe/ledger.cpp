#include "probe/ledger.h"

#include <algorithm>
#include <charconv>

#include "model/catalogue.h"

namespace kse::probe {

namespace {
constexpr uint64_t kDuplicateWindow = 4096;

double seconds(Clock::duration d) { return std::chrono::duration<double>(d).count(); }
}  // namespace

const std::vector<double>& Histogram::bounds() {
  static const std::vector<double> b = {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1,
                                        0.25,  0.5,    1,     2.5,  5,     10};
  return b;
}

void Histogram::observe(double value) {
  const auto& b = bounds();
  const auto it = std::lower_bound(b.begin(), b.end(), value);
  if (it != b.end()) ++counts_[static_cast<size_t>(it - b.begin())];
  ++count_;
  sum_ += value;
}

ProbeLedger::ProbeLedger(std::chrono::milliseconds interval, std::chrono::milliseconds loss_timeout)
    : interval_(interval), loss_timeout_(loss_timeout) {}

void ProbeLedger::track_broker(int32_t broker) { brokers_[broker]; }

uint64_t ProbeLedger::sent(int32_t partition, int32_t broker, Clock::time_point at) {
  const uint64_t sequence = ++next_sequence_[partition];
  outstanding_[{partition, sequence}] = Pending{broker, at};
  partition_broker_[partition] = broker;
  brokers_[broker];
  return sequence;
}

void ProbeLedger::acknowledged(int32_t partition, uint64_t sequence, Clock::time_point at,
                               int32_t broker_id) {
  auto it = outstanding_.find({partition, sequence});
  if (it == outstanding_.end() || it->second.acknowledged) return;
  it->second.acknowledged = true;
  if (broker_id >= 0) it->second.broker = broker_id;
  BrokerProbe& broker = brokers_[it->second.broker];
  ++broker.sent;
  broker.produce_latency.observe(seconds(at - it->second.sent_at));
}

void ProbeLedger::delivery_failed(int32_t partition, uint64_t sequence) {
  auto it = outstanding_.find({partition, sequence});
  if (it == outstanding_.end()) return;
  ++brokers_[it->second.broker].produce_errors;
  outstanding_.erase(it);
}

void ProbeLedger::received(int32_t partition, uint64_t sequence, Clock::time_point at, double unix_now,
                           int32_t fetched_from) {
  PartitionSeen& seen = seen_[partition];
  auto pending = outstanding_.find({partition, sequence});
  if (seen.recent.count(sequence) != 0) {
    // Seen before: a retry or the broker delivered it twice.
    auto owner = partition_broker_.find(partition);
    if (owner != partition_broker_.end()) ++brokers_[owner->second].duplicated;
    return;
  }
  if (pending == outstanding_.end()) return;  // not ours, or already counted lost
  // The guess made at send time may name a broker that has since stopped leading:
  // a stopped broker must not look alive through messages the new leader served.
  if (!pending->second.acknowledged && fetched_from >= 0) pending->second.broker = fetched_from;
  BrokerProbe& broker = brokers_[pending->second.broker];
  if (seen.any && sequence < seen.highest) ++broker.out_of_order;
  ++broker.received;
  broker.end_to_end_latency.observe(seconds(at - pending->second.sent_at));
  if (!pending->second.acknowledged) {
    // Consumed before its acknowledgement arrived: it was written, count it sent.
    ++broker.sent;
  }
  broker.last_success = at;
  broker.last_success_unix = unix_now;
  outstanding_.erase(pending);
  seen.recent.insert(sequence);
  if (!seen.any || sequence > seen.highest) seen.highest = sequence;
  seen.any = true;
  while (!seen.recent.empty() && *seen.recent.begin() + kDuplicateWindow < seen.highest) {
    seen.recent.erase(seen.recent.begin());
  }
}

void ProbeLedger::commit_finished(int32_t coordinator, std::chrono::nanoseconds took, bool ok) {
  if (coordinator < 0) return;
  BrokerProbe& broker = brokers_[coordinator];
  if (ok) {
    broker.commit_latency.observe(std::chrono::duration<double>(took).count());
  } else {
    ++broker.commit_errors;
  }
}

void ProbeLedger::expire(Clock::time_point now) {
  for (auto it = outstanding_.begin(); it != outstanding_.end();) {
    if (it->second.acknowledged && now - it->second.sent_at > loss_timeout_) {
      ++brokers_[it->second.broker].lost;
      it = outstanding_.erase(it);
    } else {
      ++it;
    }
  }
}

bool ProbeLedger::up(int32_t broker, Clock::time_point now) const {
  auto it = brokers_.find(broker);
  if (it == brokers_.end() || !it->second.last_success) return false;
  return now - *it->second.last_success <= 2 * interval_;
}

namespace {

void add_sample(metrics::Family& family, int32_t broker, double value, std::string suffix = "",
                std::vector<metrics::Label> extra = {}) {
  metrics::Sample sample;
  sample.suffix = std::move(suffix);
  sample.label_values = {std::to_string(broker)};
  sample.extra_labels = std::move(extra);
  sample.value = value;
  sample.owner = broker;
  family.samples.push_back(std::move(sample));
}

void add_histogram(metrics::Family& family, int32_t broker, const Histogram& histogram) {
  if (histogram.count() == 0) return;
  uint64_t cumulative = 0;
  const auto& bounds = Histogram::bounds();
  for (size_t i = 0; i < bounds.size(); ++i) {
    cumulative += histogram.counts()[i];
    char le[32];
    const auto end = std::to_chars(le, le + sizeof le, bounds[i]).ptr;
    add_sample(family, broker, static_cast<double>(cumulative), "_bucket", {{"le", std::string(le, end)}});
  }
  add_sample(family, broker, static_cast<double>(histogram.count()), "_bucket", {{"le", "+Inf"}});
  add_sample(family, broker, histogram.sum(), "_sum");
  add_sample(family, broker, static_cast<double>(histogram.count()), "_count");
}

}  // namespace

std::vector<metrics::Family> ProbeLedger::families(Clock::time_point now) const {
  static constexpr std::string_view kNames[] = {"kafka_probe_up",
                                                "kafka_probe_produce_latency_seconds",
                                                "kafka_probe_end_to_end_latency_seconds",
                                                "kafka_probe_commit_latency_seconds",
                                                "kafka_probe_messages_sent_total",
                                                "kafka_probe_messages_received_total",
                                                "kafka_probe_messages_lost_total",
                                                "kafka_probe_messages_duplicated_total",
                                                "kafka_probe_messages_out_of_order_total",
                                                "kafka_probe_errors_total",
                                                "kafka_probe_last_success_timestamp_seconds"};
  std::vector<metrics::Family> out;
  for (auto name : kNames) out.push_back(model::make_family(name));
  auto& up_family = out[0];
  auto& produce = out[1];
  auto& end_to_end = out[2];
  auto& commit = out[3];
  auto& sent = out[4];
  auto& received = out[5];
  auto& lost = out[6];
  auto& duplicated = out[7];
  auto& out_of_order = out[8];
  auto& errors = out[9];
  auto& last_success = out[10];
  for (const auto& [broker, probe] : brokers_) {
    const bool is_up = up(broker, now);
    add_sample(up_family, broker, is_up ? 1 : 0);
    if (is_up) {
      add_histogram(produce, broker, probe.produce_latency);
      add_histogram(end_to_end, broker, probe.end_to_end_latency);
    }
    // Commit latency belongs to the coordinator, which may be up while its partition is not.
    add_histogram(commit, broker, probe.commit_latency);
    add_sample(sent, broker, static_cast<double>(probe.sent));
    add_sample(received, broker, static_cast<double>(probe.received));
    add_sample(lost, broker, static_cast<double>(probe.lost));
    add_sample(duplicated, broker, static_cast<double>(probe.duplicated));
    add_sample(out_of_order, broker, static_cast<double>(probe.out_of_order));
    errors.samples.push_back(
        {"", {std::to_string(broker), "produce"}, {}, static_cast<double>(probe.produce_errors), broker});
    errors.samples.push_back(
        {"", {std::to_string(broker), "commit"}, {}, static_cast<double>(probe.commit_errors), broker});
    if (probe.last_success_unix) add_sample(last_success, broker, *probe.last_success_unix);
  }
  return out;
}

}  // namespace kse::probe
