#pragma once

#include <cstdint>
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

// A partition's log-end points, oldest first (at most DerivedState::max_points). A vector: most
// partitions hold one or two points, and a deque allocates over 500 bytes for the first.
using OffsetHistory = std::vector<OffsetPoint>;

struct TopicChangeCounters {
  uint64_t leader_changes = 0;
  uint64_t isr_shrinks = 0;
  uint64_t isr_expands = 0;
};

// One cycle's view of a group's partition: where it committed and how far behind it was.
struct CommitPoint {
  int64_t committed = 0;
  int64_t lag = 0;
};

// A group's partition judged over its last cycles, the way Burrow judges them.
enum class ConsumerStatus { kOk, kWarning, kRewind, kStalled, kStopped };
const char* status_name(ConsumerStatus status);

struct GroupHistory {
  std::map<TopicPartition, std::vector<CommitPoint>> partitions;
  std::string last_state;
  std::vector<std::string> last_members;  // sorted member ids
  uint64_t rebalances = 0;
};

struct DerivedState {
  size_t max_points = 60;
  size_t status_window = 10;  // cycles a consumer status is judged over
  std::map<TopicPartition, OffsetHistory> offset_history;
  std::map<std::string, TopicChangeCounters> topic_changes;
  std::map<TopicPartition, std::pair<int32_t, std::vector<int32_t>>> last_leader_and_isr;
  std::map<std::string, GroupHistory> groups;
  bool has_previous = false;
};

// Folds one snapshot into the state: appends log-end points (only when the
// offset moved, so an idle partition keeps the time it reached its offset),
// counts leader changes and ISR shrinks / expands, forgets deleted partitions.
void advance(DerivedState& state, const ClusterSnapshot& snapshot);

// Burrow's rules over a window of cycles, oldest first (at least 3 points, else nothing):
// any cycle at lag 0 is OK; a committed offset that went back is REWIND; one that did not
// move while behind is STALLED when the group has members and STOPPED when it has none;
// one that moves while the lag grows at every cycle is WARNING; else OK.
std::optional<ConsumerStatus> consumer_status(const std::vector<CommitPoint>& window, bool has_members);

// Time lag of a committed offset, interpolated on the log-end history:
// the age of the moment the log end was at `committed`. Absent with fewer than
// two points; 0 when the consumer is at the log end.
std::optional<double> lag_seconds(const OffsetHistory& history, int64_t committed, int64_t log_end,
                                  double now_seconds);

}  // namespace kse::model
