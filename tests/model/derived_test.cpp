#include "model/derived.h"

#include <gtest/gtest.h>

namespace kse::model {
namespace {

ClusterSnapshot snapshot_at(int seconds, int32_t leader, std::vector<int32_t> isr, int64_t log_end) {
  ClusterSnapshot s;
  s.taken_at = Clock::time_point(std::chrono::seconds(seconds));
  TopicState topic;
  topic.name = "position";
  PartitionState p;
  p.partition = 0;
  p.leader = leader;
  p.replicas = {1, 2, 3};
  p.isr = std::move(isr);
  p.latest_offset = log_end;
  topic.partitions = {p};
  s.topics = {topic};
  return s;
}

TEST(DerivedTest, CountsLeaderChangesAndIsrChurn) {
  DerivedState state;
  advance(state, snapshot_at(0, 1, {1, 2, 3}, 10));
  advance(state, snapshot_at(15, 1, {1, 3}, 20));     // 2 leaves the ISR
  advance(state, snapshot_at(30, 3, {3}, 30));        // leader moves, 1 leaves
  advance(state, snapshot_at(45, 3, {3, 1, 2}, 40));  // both come back
  const auto& counters = state.topic_changes.at("position");
  EXPECT_EQ(counters.leader_changes, 1u);
  EXPECT_EQ(counters.isr_shrinks, 2u);
  EXPECT_EQ(counters.isr_expands, 2u);
}

// While a replica is offline the broker answers REPLICA_NOT_AVAILABLE with the leader and ISR;
// the follower shrinking out and coming back then still count, once each.
TEST(DerivedTest, IsrChangesCountWhileAReplicaIsReportedOffline) {
  constexpr int16_t kReplicaNotAvailable = 9;
  DerivedState state;
  advance(state, snapshot_at(0, 1, {1, 2, 3}, 10));
  auto offline = snapshot_at(15, 2, {2, 3}, 20);
  offline.topics[0].partitions[0].error_code = kReplicaNotAvailable;
  advance(state, offline);
  auto returning = snapshot_at(30, 2, {2, 3, 1}, 30);
  returning.topics[0].partitions[0].error_code = kReplicaNotAvailable;
  advance(state, returning);
  advance(state, snapshot_at(45, 2, {2, 3, 1}, 40));
  const auto& counters = state.topic_changes.at("position");
  EXPECT_EQ(counters.leader_changes, 1u);
  EXPECT_EQ(counters.isr_shrinks, 1u);
  EXPECT_EQ(counters.isr_expands, 1u);
  // Without a leader the ISR is not known: nothing counts, nothing is remembered.
  auto leaderless = snapshot_at(60, -1, {}, 40);
  leaderless.topics[0].partitions[0].error_code = 5;  // LEADER_NOT_AVAILABLE
  advance(state, leaderless);
  advance(state, snapshot_at(75, 2, {2, 3, 1}, 40));
  EXPECT_EQ(counters.isr_shrinks, 1u);
  EXPECT_EQ(counters.isr_expands, 1u);
}

TEST(DerivedTest, HistoryKeepsOnlyMovesAndIsBounded) {
  DerivedState state;
  state.max_points = 3;
  advance(state, snapshot_at(0, 1, {1}, 10));
  advance(state, snapshot_at(15, 1, {1}, 10));  // idle: a second point, the stretch's end
  advance(state, snapshot_at(30, 1, {1}, 10));  // still idle: the end point moves
  {
    const auto& history = state.offset_history.at({"position", 0});
    ASSERT_EQ(history.size(), 2u);
    EXPECT_EQ(history.front().time_seconds, 0);  // when 10 was reached
    EXPECT_EQ(history.back().time_seconds, 30);  // the latest time it was still the end
  }
  advance(state, snapshot_at(45, 1, {1}, 30));
  advance(state, snapshot_at(60, 1, {1}, 40));
  const auto& history = state.offset_history.at({"position", 0});
  ASSERT_EQ(history.size(), 3u);
  EXPECT_EQ(history.front().offset, 10);
  EXPECT_EQ(history.front().time_seconds, 30);
  EXPECT_EQ(history.back().offset, 40);
  EXPECT_EQ(history.back().time_seconds, 60);
}

TEST(DerivedTest, ARecordAfterAnIdleStretchIsYoung) {
  DerivedState state;
  advance(state, snapshot_at(0, 1, {1}, 100));
  advance(state, snapshot_at(1800, 1, {1}, 100));  // idle for 30 minutes
  advance(state, snapshot_at(1815, 1, {1}, 101));  // one record arrives
  // A group at 100 has not consumed it yet: the record is under 15 s old, not 1,800.
  const auto seconds = lag_seconds(state.offset_history.at({"position", 0}), 100, 101, 1815);
  ASSERT_TRUE(seconds.has_value());
  EXPECT_LE(*seconds, 15.0);
}

TEST(DerivedTest, DeletedPartitionsAreForgotten) {
  DerivedState state;
  advance(state, snapshot_at(0, 1, {1}, 10));
  ClusterSnapshot empty;
  advance(state, empty);
  EXPECT_TRUE(state.offset_history.empty());
  EXPECT_TRUE(state.topic_changes.empty());
}

TEST(DerivedTest, ACycleWithoutMetadataForgetsNothing) {
  DerivedState state;
  advance(state, snapshot_at(0, 1, {1}, 10));
  ClusterSnapshot failed;
  failed.collectors[CollectorId::kMetadata] = {false, "Metadata: timed out", "timeout"};
  advance(state, failed);
  EXPECT_EQ(state.offset_history.count({"position", 0}), 1u);
}

TEST(DerivedTest, LagSecondsInterpolatesWithinTheTable) {
  OffsetHistory history = {{100, 10}, {200, 20}, {400, 30}};
  EXPECT_FALSE(lag_seconds({{100, 10}}, 50, 100, 40).has_value());
  EXPECT_DOUBLE_EQ(*lag_seconds(history, 400, 400, 40), 0.0);
  EXPECT_DOUBLE_EQ(*lag_seconds(history, 500, 400, 40), 0.0);
  EXPECT_DOUBLE_EQ(*lag_seconds(history, 150, 400, 40), 25.0);  // produced at t=15
  EXPECT_DOUBLE_EQ(*lag_seconds(history, 300, 400, 40), 15.0);  // produced at t=25
  // Older than the whole table: not known (no extrapolation), and a caught-up group is 0.
  EXPECT_FALSE(lag_seconds(history, 50, 400, 40).has_value());
  EXPECT_DOUBLE_EQ(*lag_seconds({{100, 10}}, 100, 100, 40), 0.0);
  EXPECT_DOUBLE_EQ(*lag_seconds(history, 450, 500, 40), 10.0);  // past the last point
}

std::vector<CommitPoint> window(std::vector<std::pair<int64_t, int64_t>> committed_and_lag) {
  std::vector<CommitPoint> out;
  for (const auto& [committed, lag] : committed_and_lag) out.push_back({committed, lag});
  return out;
}

TEST(DerivedTest, ConsumerStatusFollowsBurrowsRules) {
  EXPECT_FALSE(consumer_status(window({{10, 5}, {12, 5}}), true).has_value());  // too few cycles
  EXPECT_EQ(consumer_status(window({{10, 5}, {12, 0}, {12, 3}}), true), ConsumerStatus::kOk);
  EXPECT_EQ(consumer_status(window({{10, 5}, {20, 4}, {30, 6}}), true), ConsumerStatus::kOk);
  EXPECT_EQ(consumer_status(window({{10, 5}, {20, 8}, {30, 12}}), true), ConsumerStatus::kWarning);
  EXPECT_EQ(consumer_status(window({{10, 5}, {10, 8}, {10, 12}}), true), ConsumerStatus::kStalled);
  EXPECT_EQ(consumer_status(window({{10, 5}, {10, 8}, {10, 12}}), false), ConsumerStatus::kStopped);
  EXPECT_EQ(consumer_status(window({{30, 5}, {10, 25}, {12, 26}}), true), ConsumerStatus::kRewind);
}

ClusterSnapshot group_at(int seconds, int64_t log_end, int64_t committed, std::string state,
                         std::vector<std::string> members) {
  ClusterSnapshot s = snapshot_at(seconds, 1, {1, 2, 3}, log_end);
  GroupState group;
  group.group_id = "consumer";
  group.state = std::move(state);
  group.described = true;
  group.offsets_known = true;
  group.committed[{"position", 0}] = committed;
  for (auto& id : members) group.members.push_back({id, "client", "/127.0.0.1", {}});
  s.groups = {group};
  return s;
}

TEST(DerivedTest, StatusWindowAndRebalancesBetweenCycles) {
  DerivedState state;
  state.status_window = 3;
  advance(state, group_at(0, 100, 90, "Stable", {"a", "b"}));
  advance(state, group_at(15, 110, 90, "PreparingRebalance", {"a", "b"}));  // rebalance 1
  advance(state, group_at(30, 120, 90, "Stable", {"a"}));
  advance(state, group_at(45, 130, 90, "Stable", {"a", "c"}));  // members changed: rebalance 2
  const auto& history = state.groups.at("consumer");
  EXPECT_EQ(history.rebalances, 2u);
  const auto& points = history.partitions.at({"position", 0});
  ASSERT_EQ(points.size(), 3u);  // the window keeps the last 3 cycles
  EXPECT_EQ(points.front().lag, 20);
  EXPECT_EQ(consumer_status(points, true), ConsumerStatus::kStalled);
  // A group gone from a complete listing is forgotten.
  ClusterSnapshot without = snapshot_at(60, 1, {1, 2, 3}, 130);
  advance(state, without);
  EXPECT_TRUE(state.groups.empty());
}

}  // namespace
}  // namespace kse::model
