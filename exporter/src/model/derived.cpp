#include "model/derived.h"

#include <algorithm>
#include <set>
#include <string_view>
#include <unordered_map>

#include "common/clock.h"

namespace kse::model {

using common::unix_seconds;

namespace {
size_t count_missing(const std::vector<int32_t>& from, const std::vector<int32_t>& in) {
  size_t missing = 0;
  for (int32_t id : from) {
    if (std::find(in.begin(), in.end(), id) == in.end()) ++missing;
  }
  return missing;
}
// The partitions a snapshot names, without a copy of each topic name: per topic, the sorted
// partition ids.
class PartitionsSeen {
 public:
  explicit PartitionsSeen(const ClusterSnapshot& snapshot) {
    for (const auto& topic : snapshot.topics) {
      auto& ids = topics_[topic.name];
      for (const auto& partition : topic.partitions) ids.push_back(partition.partition);
      std::sort(ids.begin(), ids.end());
    }
  }
  bool contains(const TopicPartition& tp) const {
    auto topic = topics_.find(tp.topic);
    return topic != topics_.end() &&
           std::binary_search(topic->second.begin(), topic->second.end(), tp.partition);
  }

 private:
  std::unordered_map<std::string_view, std::vector<int32_t>> topics_;
};

bool rebalancing(const std::string& state) {
  // Classic protocol states, and the new consumer protocol's (KIP-848).
  return state == "PreparingRebalance" || state == "CompletingRebalance" || state == "Assigning" ||
         state == "Reconciling";
}

void advance_groups(DerivedState& state, const ClusterSnapshot& snapshot) {
  const std::map<TopicPartition, int64_t> log_end = log_ends(snapshot);
  std::set<std::string> seen;
  for (const auto& group : snapshot.groups) {
    seen.insert(group.group_id);
    GroupHistory& history = state.groups[group.group_id];
    if (group.described) {
      std::vector<std::string> members;
      for (const auto& member : group.members) members.push_back(member.member_id);
      std::sort(members.begin(), members.end());
      // A rebalance seen between two cycles: the group entered a rebalancing state, or its
      // members changed while it had some before and after.
      const bool entered = rebalancing(group.state) && !rebalancing(history.last_state);
      const bool members_changed = !history.last_members.empty() && !members.empty() &&
                                   members != history.last_members && !rebalancing(history.last_state);
      if (!history.last_state.empty() && (entered || members_changed)) ++history.rebalances;
      history.last_state = group.state;
      history.last_members = std::move(members);
    }
    if (!group.offsets_known) continue;
    for (const auto& [tp, committed] : group.committed) {
      auto end = log_end.find(tp);
      if (end == log_end.end()) continue;  // unknown this cycle: the window waits
      auto& window = history.partitions[tp];
      // A group sitting on transaction markers only is caught up, whatever Kafka counts.
      const bool caught_up = snapshot.nothing_to_consume.count({tp, committed}) > 0;
      window.push_back({committed, caught_up ? 0 : std::max<int64_t>(0, end->second - committed)});
      const size_t keep = std::max<size_t>(state.status_window, 3);
      if (window.size() > keep)
        window.erase(window.begin(), window.end() - static_cast<std::ptrdiff_t>(keep));
    }
    std::erase_if(history.partitions, [&](const auto& entry) { return !group.committed.count(entry.first); });
  }
  if (snapshot.collectors.up(CollectorId::kGroups))
    std::erase_if(state.groups, [&](const auto& entry) { return !seen.count(entry.first); });
}

}  // namespace

const char* status_name(ConsumerStatus status) {
  switch (status) {
    case ConsumerStatus::kOk: return "OK";
    case ConsumerStatus::kWarning: return "WARNING";
    case ConsumerStatus::kRewind: return "REWIND";
    case ConsumerStatus::kStalled: return "STALLED";
    case ConsumerStatus::kStopped: return "STOPPED";
  }
  return "OK";
}

std::optional<ConsumerStatus> consumer_status(const std::vector<CommitPoint>& window, bool has_members) {
  if (window.size() < 3) return std::nullopt;
  bool any_caught_up = false, went_back = false, moved = false, lag_always_grew = true;
  for (size_t i = 0; i < window.size(); ++i) {
    any_caught_up = any_caught_up || window[i].lag == 0;
    if (i == 0) continue;
    went_back = went_back || window[i].committed < window[i - 1].committed;
    moved = moved || window[i].committed != window[i - 1].committed;
    lag_always_grew = lag_always_grew && window[i].lag > window[i - 1].lag;
  }
  if (any_caught_up) return ConsumerStatus::kOk;
  if (went_back) return ConsumerStatus::kRewind;
  if (!moved) return has_members ? ConsumerStatus::kStalled : ConsumerStatus::kStopped;
  if (lag_always_grew) return ConsumerStatus::kWarning;
  return ConsumerStatus::kOk;
}

void advance(DerivedState& state, const ClusterSnapshot& snapshot) {
  const double now = unix_seconds(snapshot.taken_at);
  for (const auto& topic : snapshot.topics) {
    auto& counters = state.topic_changes[topic.name];
    for (const auto& partition : topic.partitions) {
      TopicPartition key{topic.name, partition.partition};
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
          const size_t limit = std::max<size_t>(state.max_points, 2);
          if (history.size() > limit)
            history.erase(history.begin(), history.end() - static_cast<ptrdiff_t>(limit));
        }
      }
      // The leader and ISR are known when the partition has a leader, even with an error such as
      // REPLICA_NOT_AVAILABLE (a replica offline, the state of a rolling restart): a change seen
      // then counts, or a follower that came back during it would never count as an expansion.
      const bool known = partition.error_code == 0 || partition.leader >= 0;
      auto previous = state.last_leader_and_isr.find(key);
      if (previous != state.last_leader_and_isr.end() && known) {
        const auto& [old_leader, old_isr] = previous->second;
        if (partition.leader != old_leader && partition.leader >= 0) ++counters.leader_changes;
        counters.isr_shrinks += count_missing(old_isr, partition.isr);
        counters.isr_expands += count_missing(partition.isr, old_isr);
      }
      if (known) state.last_leader_and_isr[key] = {partition.leader, partition.isr};
    }
  }
  advance_groups(state, snapshot);
  // Only a complete metadata view may forget partitions, or a failed cycle would reset history.
  if (snapshot.collectors.up(CollectorId::kMetadata)) {
    const PartitionsSeen seen(snapshot);
    std::erase_if(state.offset_history, [&](const auto& entry) { return !seen.contains(entry.first); });
    std::erase_if(state.last_leader_and_isr, [&](const auto& entry) { return !seen.contains(entry.first); });
    std::set<std::string> topics;
    for (const auto& topic : snapshot.topics) topics.insert(topic.name);
    std::erase_if(state.topic_changes, [&](const auto& entry) { return !topics.count(entry.first); });
  }
  state.has_previous = true;
}

std::optional<double> lag_seconds(const OffsetHistory& history, int64_t committed, int64_t log_end,
                                  double now_seconds) {
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
    produced_at +=
        (static_cast<double>(committed - low->offset) / span) * (high->time_seconds - low->time_seconds);
  }
  return std::max(0.0, now_seconds - produced_at);
}

}  // namespace kse::model
