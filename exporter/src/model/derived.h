#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "model/snapshot.h"

// What only a sequence of snapshots can tell: log-end offset history for lag in
// seconds, and leader / ISR changes counted between consecutive cycles.
namespace kse::model {

struct OffsetPoint {
  int64_t offset = 0;
  double time_seconds = 0;  // unix time
};

struct TopicChangeCounters {
  uint64_t leader_changes = 0;
  uint64_t isr_shrinks = 0;
  uint64_t isr_expands = 0;
};

struct DerivedState {
  size_t max_points = 60;
  std::map<TopicPartition, std::deque<OffsetPoint>> offset_history;
  std::map<std::string, TopicChangeCounters> topic_changes;
  std::map<TopicPartition, std::pair<int32_t, std::vector<int32_t>>> last_leader_and_isr;
  bool has_previous = false;
};

// Folds one snapshot into the state: appends log-end points (only when the
// offset moved, so an idle partition keeps the time it reached its offset),
// counts leader changes and ISR shrinks / expands, forgets deleted partitions.
void advance(DerivedState& state, const ClusterSnapshot& snapshot);

// Time lag of a committed offset, interpolated on the log-end history:
// the age of the moment the log end was at `committed`. Absent with fewer than
// two points; 0 when the consumer is at the log end.
std::optional<double> lag_seconds(const std::deque<OffsetPoint>& history, int64_t committed,
                                  int64_t log_end, double now_seconds);

}  // namespace kse::model
