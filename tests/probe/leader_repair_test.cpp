#include "probe/leader_repair.h"

#include <gtest/gtest.h>

namespace kse::probe {
namespace {

model::ClusterSnapshot probe_topic(std::vector<model::PartitionState> partitions) {
  model::ClusterSnapshot snapshot;
  for (int32_t id : {1, 2, 3})
    snapshot.brokers.push_back({id, "127.0.0.1", 9092, std::nullopt, true, true, false});
  model::TopicState topic;
  topic.name = "_kse_probe";
  topic.partitions = std::move(partitions);
  snapshot.topics.push_back(topic);
  return snapshot;
}

model::PartitionState partition(int32_t index, int32_t leader, std::vector<int32_t> replicas,
                                std::vector<int32_t> isr) {
  model::PartitionState p;
  p.partition = index;
  p.leader = leader;
  p.replicas = std::move(replicas);
  p.isr = std::move(isr);
  return p;
}

TEST(LeaderRepairTest, OnlyPartitionsWhosePreferredLeaderCanLeadNow) {
  auto snapshot = probe_topic({
      partition(0, 1, {1, 2, 3}, {1, 2, 3}),  // led by its preferred broker
      partition(1, 3, {2, 3, 1}, {3, 1, 2}),  // broker 2 is back and in sync: repair
      partition(2, 1, {3, 1, 2}, {1, 2}),     // broker 3 not in sync yet: wait
  });
  EXPECT_EQ(partitions_to_repair(snapshot, "_kse_probe", std::nullopt), (std::vector<int32_t>{1}));
  // A sidecar asks only for its own broker's partitions.
  EXPECT_EQ(partitions_to_repair(snapshot, "_kse_probe", 3), (std::vector<int32_t>{}));
  EXPECT_EQ(partitions_to_repair(snapshot, "_kse_probe", 2), (std::vector<int32_t>{1}));
  // A preferred broker that is not registered cannot lead.
  snapshot.brokers[1].registered = false;
  EXPECT_EQ(partitions_to_repair(snapshot, "_kse_probe", std::nullopt), (std::vector<int32_t>{}));
  EXPECT_EQ(partitions_to_repair(snapshot, "other", std::nullopt), (std::vector<int32_t>{}));
}

}  // namespace
}  // namespace kse::probe
