#include "model/derived.h"

#include <algorithm>
#include <set>

namespace kse::model {

namespace {
double unix_seconds(Clock::time_point time) {
  return std::chrono::duration<double>(time.time_since_epoch()).count();
}

size_t count_missing(const std::vector<int32_t>& from, const std::vector<int32_t>& in) {
  size_t missing = 0;
  for (int32_t id : from) {
    if (std::find(in.begin(), in.end(), id) == in.end()) ++missing;
  }
  return missing;
}
}  // namespace

void advance(DerivedState& state, const ClusterSnapshot& snapshot) {
  const double now = unix_seconds(snapshot.taken_at);
  std::set<TopicPartition> seen;
  for (const auto& topic : snapshot.topics) {
    auto& counters = state.topic_changes[topic.name];
    for (const auto& partition : topic.partitions) {
      TopicPartition key{topic.name, partition.partition};
      seen.insert(key);
      if (partition.latest_offset) {
        auto& history = state.offset_history[key];
        // A log that was truncated or recreated starts a new history.
        if (!history.empty() && *partition.latest_offset < history.back().offset) {
          history.clear();
        }
        // A flat stretch keeps two points: when the log end reached the offset and the
        // latest time it was still there, so a record arriving after an idle hour is not
        // taken as produced an hour ago.
        const size_t n = history.size();
        if (n >= 2 && *partition.latest_offset == history.back().offset &&
            history[n - 2].offset == history.back().offset) {
          history.back().time_seconds = now;
        } else {
          history.push_back({*partition.latest_offset, now});
          while (history.size() > std::max<size_t>(state.max_points, 2)) history.pop_front();
        }
      }
      auto previous = state.last_leader_and_isr.find(key);
      if (previous != state.last_leader_and_isr.end() && partition.error_code == 0) {
        const auto& [old_leader, old_isr] = previous->second;
        if (partition.leader != old_leader && partition.leader >= 0) ++counters.leader_changes;
        counters.isr_shrinks += count_missing(old_isr, partition.isr);
        counters.isr_expands += count_missing(partition.isr, old_isr);
      }
      if (partition.error_code == 0 || partition.leader >= 0) {
        state.last_leader_and_isr[key] = {partition.leader, partition.isr};
      }
    }
  }
  // Only a complete metadata view may forget partitions, or a failed cycle would reset history.
  if (snapshot.collectors.count("metadata") && snapshot.collectors.at("metadata").up) {
    std::erase_if(state.offset_history, [&](const auto& entry) { return !seen.count(entry.first); });
    std::erase_if(state.last_leader_and_isr,
                  [&](const auto& entry) { return !seen.count(entry.first); });
    std::set<std::string> topics;
    for (const auto& topic : snapshot.topics) topics.insert(topic.name);
    std::erase_if(state.topic_changes, [&](const auto& entry) { return !topics.count(entry.first); });
  }
  state.has_previous = true;
}

std::optional<double> lag_seconds(const std::deque<OffsetPoint>& history, int64_t committed,
                                  int64_t log_end, double now_seconds) {
  if (committed >= log_end) return 0.0;
  if (history.size() < 2) return std::nullopt;
  // First point past the committed offset; the one before it brackets it from below.
  auto upper = std::upper_bound(history.begin(), history.end(), committed,
                                [](int64_t value, const OffsetPoint& p) { return value < p.offset; });
  const OffsetPoint* low = nullptr;
  const OffsetPoint* high = nullptr;
  if (upper == history.begin()) {
    // Older than the whole table: unknown (an extrapolation can be off by orders of magnitude).
    return std::nullopt;
  } else if (upper == history.end()) {
    // Between the last recorded point and the log end: the last point's time is the newest bound.
    return std::max(0.0, now_seconds - history.back().time_seconds);
  } else {
    low = &*(upper - 1);
    high = &*upper;
  }
  const double span = static_cast<double>(high->offset - low->offset);
  double produced_at = low->time_seconds;
  if (span > 0) {
    produced_at += (static_cast<double>(committed - low->offset) / span) *
                   (high->time_seconds - low->time_seconds);
  }
  return std::max(0.0, now_seconds - produced_at);
}

}  // namespace kse::model
