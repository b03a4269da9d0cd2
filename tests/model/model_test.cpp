#include "model/model.h"

#include <gtest/gtest.h>

#include <set>
#include <sstream>

#include "model/catalogue.h"

namespace kse::model {
namespace {

using metrics::Family;

// One line per series: "name{l1=v1,l2=v2} value @owner", a compact golden form.
std::string dump(const std::vector<Family>& families, std::string_view only = "") {
  std::ostringstream out;
  for (const auto& family : families) {
    if (!only.empty() && family.name.rfind(only, 0) != 0) continue;
    for (const auto& sample : family.samples) {
      out << family.name << "{";
      for (size_t i = 0; i < family.label_names.size(); ++i) {
        out << (i ? "," : "") << family.label_names[i] << "=" << sample.label_values[i];
      }
      out << "} " << sample.value << " @" << sample.owner << "\n";
    }
  }
  return out.str();
}

ClusterSnapshot three_broker_snapshot() {
  ClusterSnapshot s;
  s.taken_at = Clock::time_point(std::chrono::seconds(1000));
  s.cluster_id = "abc";
  s.brokers = {{1, "127.0.0.1", 9092, std::nullopt, true, true, false},
               {2, "127.0.0.1", 9192, std::string("r2"), true, false, false},
               {3, "127.0.0.1", 9292, std::nullopt, false, false, true}};
  TopicState position;
  position.name = "position";
  position.min_insync_replicas = 2;
  PartitionState p0;
  p0.partition = 0;
  p0.leader = 1;
  p0.replicas = {1, 2, 3};
  p0.isr = {1, 2, 3};
  p0.earliest_offset = 0;
  p0.latest_offset = 100;
  p0.last_stable_offset = 95;
  PartitionState p1 = p0;
  p1.partition = 1;
  p1.leader = 3;
  p1.replicas = {2, 3, 1};
  p1.isr = {3};
  p1.latest_offset = 50;
  p1.last_stable_offset = 50;
  PartitionState p2 = p0;
  p2.partition = 2;
  p2.leader = -1;
  p2.isr = {};
  p2.latest_offset.reset();
  p2.earliest_offset.reset();
  p2.last_stable_offset.reset();
  position.partitions = {p0, p1, p2};
  s.topics = {position};
  return s;
}

TEST(ModelTest, BrokersUpAndInfo) {
  auto families = build_cluster_families(three_broker_snapshot(), {}, {});
  EXPECT_EQ(dump(families, "kafka_broker_"),
            "kafka_broker_info{id=1,address=127.0.0.1:9092,rack=} 1 @-1\n"
            "kafka_broker_info{id=2,address=127.0.0.1:9192,rack=r2} 1 @-1\n"
            // Broker 3 left the metadata but DescribeCluster still lists it, fenced: down, not gone.
            "kafka_broker_fenced{broker=1} 0 @1\n"
            "kafka_broker_fenced{broker=2} 0 @2\n"
            "kafka_broker_fenced{broker=3} 1 @3\n"
            "kafka_broker_up{broker=1} 1 @1\n"
            "kafka_broker_up{broker=2} 0 @2\n"
            "kafka_broker_up{broker=3} 0 @3\n");
  EXPECT_EQ(dump(families, "kafka_brokers"), "kafka_brokers{} 2 @-1\n");
}

TEST(ModelTest, FencedIsAbsentWhereTheClusterCannotSay) {
  ClusterSnapshot snapshot = three_broker_snapshot();
  snapshot.brokers[2].fenced.reset();  // DescribeCluster before v2 does not list fenced brokers
  auto families = build_cluster_families(snapshot, {}, {});
  EXPECT_EQ(dump(families, "kafka_broker_fenced"),
            "kafka_broker_fenced{broker=1} 0 @1\n"
            "kafka_broker_fenced{broker=2} 0 @2\n");
}

TEST(ModelTest, WithoutMetadataBrokersAreUnreachableButNotCounted) {
  ClusterSnapshot snapshot = three_broker_snapshot();
  snapshot.collectors[CollectorId::kMetadata] = {false, "Metadata: timed out", "timeout"};
  for (auto& broker : snapshot.brokers) {
    broker.reachable = false;
    broker.fenced.reset();  // as the collector leaves it when nothing answered
  }
  auto families = build_cluster_families(snapshot, {}, {});
  EXPECT_EQ(dump(families, "kafka_broker"),
            "kafka_broker_up{broker=1} 0 @1\n"
            "kafka_broker_up{broker=2} 0 @2\n"
            "kafka_broker_up{broker=3} 0 @3\n");
}

TEST(ModelTest, ShareGroupsOnTheirCoordinatorWithALagSumOnlyWhenWhole) {
  ClusterSnapshot s;
  ShareGroupState share;
  share.group_id = "s1";
  share.state = "Stable";
  share.coordinator = 2;
  share.described = true;
  share.offsets_known = true;
  GroupMember member;
  member.member_id = "m1";
  member.client_id = "c1";
  member.client_host = "/127.0.0.1";
  member.assignment = {{"t", 0}, {"t", 1}};
  share.members = {member};
  share.partitions[{"t", 0}] = {40, 2};
  share.partitions[{"t", 1}] = {10, 5};
  share.partitions[{"u", 0}] = {7, std::nullopt};  // lag unknown: no sum for u
  s.share_groups = {share};
  EXPECT_EQ(
      dump(build_cluster_families(s, {}, {}), "kafka_sharegroup_"),
      "kafka_sharegroup_state{sharegroup=s1,state=Stable} 1 @2\n"
      "kafka_sharegroup_members{sharegroup=s1} 1 @2\n"
      "kafka_sharegroup_assigned_partitions{sharegroup=s1,member_id=m1,client_id=c1,host=/127.0.0.1} 2 @2\n"
      "kafka_sharegroup_start_offset{sharegroup=s1,topic=t,partition=0} 40 @2\n"
      "kafka_sharegroup_start_offset{sharegroup=s1,topic=t,partition=1} 10 @2\n"
      "kafka_sharegroup_start_offset{sharegroup=s1,topic=u,partition=0} 7 @2\n"
      "kafka_sharegroup_lag{sharegroup=s1,topic=t,partition=0} 2 @2\n"
      "kafka_sharegroup_lag{sharegroup=s1,topic=t,partition=1} 5 @2\n"
      "kafka_sharegroup_lag_sum{sharegroup=s1,topic=t} 7 @2\n");
  // Share groups are not consumer groups: none of their series under kafka_consumergroup_.
  EXPECT_EQ(dump(build_cluster_families(s, {}, {}), "kafka_consumergroup_"), "");
  // Without DescribeShareGroupOffsets' answer: no offset, no lag, not zeros.
  s.share_groups[0].offsets_known = false;
  EXPECT_EQ(dump(build_cluster_families(s, {}, {}), "kafka_sharegroup_lag"), "");
}

TEST(ModelTest, ZooKeeperNodesOnTheClusterPortAndASilentNodeOnlyDown) {
  ClusterSnapshot s;
  ZooKeeperNode leader;
  leader.server = "zk1:2181";
  leader.answered = true;
  leader.state = "leader";
  leader.outstanding_requests = 0;
  leader.avg_latency_ms = 1.5;
  leader.znodes = 42;
  leader.synced_followers = 1;
  ZooKeeperNode silent;
  silent.server = "zk2:2181";
  s.zookeeper = {leader, silent};
  EXPECT_EQ(dump(build_cluster_families(s, {}, {}), "kafka_zookeeper_"),
            "kafka_zookeeper_ensemble_servers{} 2 @-1\n"
            "kafka_zookeeper_up{server=zk1:2181} 1 @-1\n"
            "kafka_zookeeper_up{server=zk2:2181} 0 @-1\n"
            "kafka_zookeeper_server_state{server=zk1:2181,state=leader} 1 @-1\n"
            "kafka_zookeeper_outstanding_requests{server=zk1:2181} 0 @-1\n"
            "kafka_zookeeper_avg_latency_seconds{server=zk1:2181} 0.0015 @-1\n"
            "kafka_zookeeper_znodes{server=zk1:2181} 42 @-1\n"
            "kafka_zookeeper_synced_followers{server=zk1:2181} 1 @-1\n");
  // KRaft (no zookeeper.servers): no ZooKeeper family at all, not zeros.
  EXPECT_EQ(dump(build_cluster_families(ClusterSnapshot{}, {}, {}), "kafka_zookeeper_"), "");
}

TEST(ModelTest, PartitionFactsGoToTheLeaderAndOfflineToTheClusterPort) {
  auto families = build_cluster_families(three_broker_snapshot(), {}, {});
  EXPECT_EQ(dump(families, "kafka_topic_partition_under"),
            "kafka_topic_partition_under_replicated_partition{topic=position,partition=0} 0 @1\n"
            "kafka_topic_partition_under_replicated_partition{topic=position,partition=1} 1 @-1\n"
            "kafka_topic_partition_under_replicated_partition{topic=position,partition=2} 1 @-1\n"
            "kafka_topic_partition_under_min_isr{topic=position,partition=0} 0 @1\n"
            "kafka_topic_partition_under_min_isr{topic=position,partition=1} 1 @-1\n"
            "kafka_topic_partition_under_min_isr{topic=position,partition=2} 1 @-1\n");
  EXPECT_EQ(dump(families, "kafka_topic_partition_current_offset"),
            "kafka_topic_partition_current_offset{topic=position,partition=0} 100 @1\n"
            "kafka_topic_partition_current_offset{topic=position,partition=1} 50 @-1\n");
  EXPECT_EQ(dump(families, "kafka_topic_partition_leader_is_preferred"),
            "kafka_topic_partition_leader_is_preferred{topic=position,partition=0} 1 @1\n"
            "kafka_topic_partition_leader_is_preferred{topic=position,partition=1} 0 @-1\n"
            "kafka_topic_partition_leader_is_preferred{topic=position,partition=2} 0 @-1\n");
  // Partition 1's leader, broker 3, is not registered: offline, as kafka-topics
  // --unavailable-partitions says, and served on the cluster port.
  EXPECT_EQ(dump(families, "kafka_topic_partition_offline"),
            "kafka_topic_partition_offline{topic=position,partition=1} 1 @-1\n"
            "kafka_topic_partition_offline{topic=position,partition=2} 1 @-1\n");
  EXPECT_EQ(dump(families, "kafka_cluster_"),
            "kafka_cluster_info{cluster_id=abc} 1 @-1\n"
            "kafka_cluster_partitions{} 3 @-1\n"
            "kafka_cluster_under_replicated_partitions{} 2 @-1\n"
            "kafka_cluster_under_min_isr_partitions{} 2 @-1\n"
            "kafka_cluster_at_min_isr_partitions{} 0 @-1\n"
            "kafka_cluster_offline_partitions{} 2 @-1\n"
            "kafka_cluster_reassigning_partitions{} 0 @-1\n");
}

// The families no other test renders: configs, derived counters, offsets beside the
// log end, a reassignment in progress and the quorum's epoch.
TEST(ModelTest, TopicConfigsCountersOffsetsReassignmentAndEpoch) {
  ClusterSnapshot snapshot = three_broker_snapshot();
  auto& position = snapshot.topics[0];
  position.retention_bytes = 1048576;
  position.retention_ms = 604800000;
  position.partitions[1].adding_replicas = {4};
  position.partitions[1].removing_replicas = {2};
  QuorumState quorum;
  quorum.leader_id = 2;
  quorum.leader_epoch = 7;
  quorum.high_watermark = 1234;
  snapshot.quorum = quorum;
  DerivedState derived;
  derived.topic_changes["position"] = {3, 2, 1};
  auto families = build_cluster_families(snapshot, derived, {});
  EXPECT_EQ(dump(families, "kafka_topic_config_"),
            "kafka_topic_config_min_insync_replicas{topic=position} 2 @-1\n"
            "kafka_topic_config_retention_bytes{topic=position} 1.04858e+06 @-1\n"
            "kafka_topic_config_retention_seconds{topic=position} 604800 @-1\n");
  EXPECT_EQ(dump(families, "kafka_topic_leader_changes_total") + dump(families, "kafka_topic_isr_"),
            "kafka_topic_leader_changes_total{topic=position} 3 @-1\n"
            "kafka_topic_isr_shrinks_total{topic=position} 2 @-1\n"
            "kafka_topic_isr_expands_total{topic=position} 1 @-1\n");
  EXPECT_EQ(dump(families, "kafka_topic_partition_oldest_offset") +
                dump(families, "kafka_topic_partition_last_stable_offset"),
            "kafka_topic_partition_oldest_offset{topic=position,partition=0} 0 @1\n"
            "kafka_topic_partition_oldest_offset{topic=position,partition=1} 0 @-1\n"
            "kafka_topic_partition_last_stable_offset{topic=position,partition=0} 95 @1\n"
            "kafka_topic_partition_last_stable_offset{topic=position,partition=1} 50 @-1\n");
  EXPECT_EQ(dump(families, "kafka_topic_partition_reassignment_in_progress"),
            "kafka_topic_partition_reassignment_in_progress{topic=position,partition=1,adding=4,removing=2} "
            "1 @-1\n");
  EXPECT_EQ(dump(families, "kafka_cluster_reassigning_partitions"),
            "kafka_cluster_reassigning_partitions{} 1 @-1\n");
  EXPECT_EQ(dump(families, "kafka_kraft_quorum_"),
            "kafka_kraft_quorum_leader{} 2 @-1\n"
            "kafka_kraft_quorum_epoch{} 7 @-1\n"
            "kafka_kraft_quorum_high_watermark{} 1234 @-1\n"
            "kafka_kraft_quorum_voters{} 0 @-1\n"
            "kafka_kraft_quorum_observers{} 0 @-1\n");
}

TEST(ModelTest, PartitionMetricsCanBeTurnedOff) {
  ModelOptions options;
  options.partition_metrics = false;
  auto families = build_cluster_families(three_broker_snapshot(), {}, options);
  EXPECT_EQ(dump(families, "kafka_topic_partition_current_offset"), "");
  EXPECT_EQ(dump(families, "kafka_topic_partitions"), "kafka_topic_partitions{topic=position} 3 @-1\n");
}

TEST(ModelTest, GroupLagNeverNegativeAndAbsentWithoutCommit) {
  ClusterSnapshot s = three_broker_snapshot();
  GroupState group;
  group.group_id = "consumer";
  group.state = "Empty";
  group.coordinator = 2;
  group.offsets_known = true;
  group.committed[{"position", 0}] = 90;
  group.committed[{"position", 1}] = 60;  // ahead of the log end read later: clamped to 0
  group.committed[{"position", 2}] = 7;   // offline partition: no log end, no lag
  group.described = true;
  s.groups = {group};
  auto families = build_cluster_families(s, {}, {});
  // Partition 2's log end is unknown: a sum over 0 and 1 alone would drop during the
  // incident, so the topic's sum is absent rather than partial.
  // A caught-up partition is 0 seconds behind, with or without any history.
  EXPECT_EQ(dump(families, "kafka_consumergroup_lag"),
            "kafka_consumergroup_lag{consumergroup=consumer,topic=position,partition=0} 10 @2\n"
            "kafka_consumergroup_lag{consumergroup=consumer,topic=position,partition=1} 0 @2\n"
            "kafka_consumergroup_lag_seconds{consumergroup=consumer,topic=position,partition=1} 0 @2\n");
  s.groups[0].committed.erase({"position", 2});
  families = build_cluster_families(s, {}, {});
  EXPECT_EQ(dump(families, "kafka_consumergroup_lag_sum"),
            "kafka_consumergroup_lag_sum{consumergroup=consumer,topic=position} 10 @2\n");
  s.groups[0].committed[{"position", 2}] = 7;
  families = build_cluster_families(s, {}, {});
  EXPECT_EQ(dump(families, "kafka_consumergroup_current_offset_sum"),
            "kafka_consumergroup_current_offset_sum{consumergroup=consumer,topic=position} 157 @2\n");
  EXPECT_EQ(dump(families, "kafka_consumergroup_state"),
            "kafka_consumergroup_state{consumergroup=consumer,state=Empty} 1 @2\n");
  EXPECT_EQ(dump(families, "kafka_consumergroup_members"),
            "kafka_consumergroup_members{consumergroup=consumer} 0 @2\n");
  // DescribeGroups did not answer for it: its members are unknown, not 0.
  s.groups[0].described = false;
  families = build_cluster_families(s, {}, {});
  EXPECT_EQ(dump(families, "kafka_consumergroup_members"), "");
}

TEST(ModelTest, UnderReplicatedLeavesOutReplicasBeingAdded) {
  ClusterSnapshot s = three_broker_snapshot();
  s.brokers[2].registered = true;  // broker 3 back: only the reassignment matters here
  auto& p1 = s.topics[0].partitions[1];
  // Moving from {2, 3} to {2, 3, 1}: broker 1 is still copying and not in the ISR.
  p1.replicas = {2, 3, 1};
  p1.isr = {2, 3};
  p1.adding_replicas = {1};
  s.topics[0].partitions.resize(2);
  auto families = build_cluster_families(s, {}, {});
  EXPECT_EQ(dump(families, "kafka_topic_partition_under_replicated_partition"),
            "kafka_topic_partition_under_replicated_partition{topic=position,partition=0} 0 @1\n"
            "kafka_topic_partition_under_replicated_partition{topic=position,partition=1} 0 @3\n");
  EXPECT_EQ(dump(families, "kafka_cluster_under_replicated_partitions"),
            "kafka_cluster_under_replicated_partitions{} 0 @-1\n");
  EXPECT_EQ(dump(families, "kafka_cluster_at_min_isr_partitions"),
            "kafka_cluster_at_min_isr_partitions{} 1 @-1\n");
  // Without the reassignments, a short ISR may be a copy or a loss: unknown, so absent.
  s.collectors[CollectorId::kReassignments] = {false, "ListPartitionReassignments: timed out", "timeout"};
  families = build_cluster_families(s, {}, {});
  EXPECT_EQ(dump(families, "kafka_topic_partition_under_replicated_partition"),
            "kafka_topic_partition_under_replicated_partition{topic=position,partition=0} 0 @1\n");
  EXPECT_EQ(dump(families, "kafka_cluster_under_replicated_partitions"), "");
  EXPECT_EQ(dump(families, "kafka_cluster_reassigning_partitions"), "");
}

TEST(ModelTest, MinIsrCountsNeedEveryTopicsConfig) {
  ClusterSnapshot s = three_broker_snapshot();
  TopicState other;
  other.name = "testing";  // its DescribeConfigs failed: no min.insync.replicas
  s.topics.push_back(other);
  auto families = build_cluster_families(s, {}, {});
  EXPECT_EQ(dump(families, "kafka_cluster_under_min_isr_partitions"), "");
  EXPECT_EQ(dump(families, "kafka_cluster_at_min_isr_partitions"), "");
  EXPECT_EQ(dump(families, "kafka_sidecar_topic_configs_age_seconds"), "");
  s.topics.pop_back();
  s.topic_configs_read_at = s.taken_at - std::chrono::seconds(90);
  families = build_cluster_families(s, {}, {});
  EXPECT_EQ(dump(families, "kafka_cluster_under_min_isr_partitions"),
            "kafka_cluster_under_min_isr_partitions{} 2 @-1\n");
  EXPECT_EQ(dump(families, "kafka_sidecar_topic_configs_age_seconds"),
            "kafka_sidecar_topic_configs_age_seconds{} 90 @-1\n");
}

TEST(ModelTest, LagSecondsIsTheAgeOfTheRecordAtTheCommittedOffset) {
  ClusterSnapshot s = three_broker_snapshot();  // taken at t = 1000 s
  GroupState group;
  group.group_id = "consumer";
  group.coordinator = 1;
  group.offsets_known = true;
  group.committed[{"position", 0}] = 40;  // log end 100
  s.groups = {group};
  s.record_timestamps[{{"position", 0}, 40}] = 700'000;  // created at t = 700 s
  auto families = build_cluster_families(s, {}, {});
  EXPECT_EQ(dump(families, "kafka_consumergroup_lag_seconds"),
            "kafka_consumergroup_lag_seconds{consumergroup=consumer,topic=position,partition=0} 300 @1\n"
            "kafka_consumergroup_lag_seconds_max{consumergroup=consumer,topic=position} 300 @1\n");
  // Neither its timestamp nor a history to place it on: unknown, so no max either.
  s.record_timestamps.clear();
  families = build_cluster_families(s, {}, {});
  EXPECT_EQ(dump(families, "kafka_consumergroup_lag_seconds"), "");
}

TEST(ModelTest, GroupStatusAndRebalancesFromTheWindow) {
  ClusterSnapshot s = three_broker_snapshot();
  GroupState group;
  group.group_id = "consumer";
  group.coordinator = 1;
  group.described = true;  // no members
  group.offsets_known = true;
  group.committed[{"position", 0}] = 40;
  s.groups = {group};
  DerivedState derived;
  auto& history = derived.groups["consumer"];
  history.rebalances = 3;
  history.partitions[{"position", 0}] = {{40, 50}, {40, 55}, {40, 60}};
  history.partitions[{"position", 1}] = {{10, 0}, {12, 0}, {14, 1}};
  auto families = build_cluster_families(s, derived, {});
  EXPECT_EQ(dump(families, "kafka_consumergroup_status") +
                dump(families, "kafka_consumergroup_partition_status") +
                dump(families, "kafka_consumergroup_rebalances_total"),
            "kafka_consumergroup_status{consumergroup=consumer,status=STOPPED} 1 @1\n"
            "kafka_consumergroup_partition_status{consumergroup=consumer,topic=position,partition=0,status="
            "STOPPED} 1 @1\n"
            "kafka_consumergroup_rebalances_total{consumergroup=consumer} 3 @1\n");
  // Members unknown this cycle (DescribeGroups failed): STALLED or STOPPED cannot be told.
  s.groups[0].described = false;
  families = build_cluster_families(s, derived, {});
  EXPECT_EQ(dump(families, "kafka_consumergroup_status"), "");
}

TEST(ModelTest, LagSecondsComesFromHistory) {
  ClusterSnapshot s = three_broker_snapshot();
  GroupState group;
  group.group_id = "consumer";
  group.coordinator = 1;
  group.offsets_known = true;
  group.committed[{"position", 0}] = 60;
  s.groups = {group};
  DerivedState derived;
  derived.offset_history[{"position", 0}] = {{20, 900}, {100, 980}};
  auto families = build_cluster_families(s, derived, {});
  // Offset 60 was the log end at t=940, 60 s before the snapshot at t=1000.
  EXPECT_EQ(dump(families, "kafka_consumergroup_lag_seconds"),
            "kafka_consumergroup_lag_seconds{consumergroup=consumer,topic=position,partition=0} 60 @1\n"
            "kafka_consumergroup_lag_seconds_max{consumergroup=consumer,topic=position} 60 @1\n");
}

TEST(ModelTest, QuorumVoterLag) {
  ClusterSnapshot s = three_broker_snapshot();
  QuorumState quorum;
  quorum.leader_id = 2;
  quorum.leader_epoch = 7;
  quorum.high_watermark = 500;
  quorum.voters = {{1, 490, 999000, 998000}, {2, 500, std::nullopt, 1000000}, {3, 500, 999500, 999500}};
  s.quorum = quorum;
  auto families = build_cluster_families(s, {}, {});
  EXPECT_EQ(dump(families, "kafka_kraft_quorum_voter_lag"),
            "kafka_kraft_quorum_voter_lag_records{voter=1} 10 @-1\n"
            "kafka_kraft_quorum_voter_lag_records{voter=2} 0 @-1\n"
            "kafka_kraft_quorum_voter_lag_records{voter=3} 0 @-1\n");
  EXPECT_EQ(dump(families, "kafka_kraft_quorum_leader"), "kafka_kraft_quorum_leader{} 2 @-1\n");
  EXPECT_NE(dump(families).find("kafka_kraft_quorum_voter_caught_up_age_seconds{voter=1} 2 @-1"),
            std::string::npos);
}

TEST(ModelTest, LogDirsGoToTheirBroker) {
  ClusterSnapshot s = three_broker_snapshot();
  LogDirState dir;
  dir.broker = 3;
  dir.path = "/data/3";
  dir.total_bytes = 1000;
  dir.usable_bytes = 400;
  dir.replicas = {{"position", 0, 120, 0, false}, {"position", 1, 80, 0, false}};
  s.log_dirs = {dir};
  auto families = build_cluster_families(s, {}, {});
  EXPECT_EQ(dump(families, "kafka_log_dir"),
            "kafka_log_dir_partition_size_bytes{topic=position,partition=0,broker=3,log_dir=/data/3} 120 @3\n"
            "kafka_log_dir_partition_size_bytes{topic=position,partition=1,broker=3,log_dir=/data/3} 80 @3\n"
            "kafka_log_dir_used_bytes{broker=3,log_dir=/data/3} 200 @3\n"
            "kafka_log_dir_total_bytes{broker=3,log_dir=/data/3} 1000 @3\n"
            "kafka_log_dir_usable_bytes{broker=3,log_dir=/data/3} 400 @3\n"
            "kafka_log_dir_online{broker=3,log_dir=/data/3} 1 @3\n");
}

TEST(ModelTest, OpenTransactionsAge) {
  ClusterSnapshot s = three_broker_snapshot();
  s.transactions = {{"tx-position1", 4000, "Ongoing", 2, 990000, 60000, {}},
                    {"tx-position2", 4001, "CompleteCommit", 2, std::nullopt, 60000, {}}};
  auto families = build_cluster_families(s, {}, {});
  EXPECT_EQ(dump(families, "kafka_transaction"),
            "kafka_transactions{state=CompleteCommit} 1 @-1\n"
            "kafka_transactions{state=Ongoing} 1 @-1\n"
            "kafka_transaction_open_seconds{transactional_id=tx-position1} 10 @2\n"
            "kafka_transaction_timeout_seconds{transactional_id=tx-position1} 60 @2\n");
}

TEST(ModelTest, EverySampleMatchesItsFamilyLabels) {
  ClusterSnapshot s = three_broker_snapshot();
  for (const auto& family : build_cluster_families(s, {}, {})) {
    EXPECT_EQ(&spec(family.name) != nullptr, true);
    for (const auto& sample : family.samples) {
      EXPECT_EQ(sample.label_values.size(), family.label_names.size()) << family.name;
    }
  }
}

TEST(ModelTest, SeriesLimitDropsWholeFamiliesInOrder) {
  ClusterSnapshot s = three_broker_snapshot();
  auto families = build_cluster_families(s, {}, {});
  const size_t total = count_series(families);
  auto dropped = apply_series_limit(families, static_cast<int64_t>(total) - 1);
  ASSERT_EQ(dropped.size(), 1u);
  EXPECT_EQ(dropped[0], "kafka_topic_partition_leader_is_preferred");
  EXPECT_EQ(count_series(families), total - 3);
  EXPECT_TRUE(apply_series_limit(families, 0).empty());
}

TEST(ModelTest, ExporterFamiliesGoToTheGivenOwner) {
  ExporterStats stats;
  stats.version = "1.2.3";
  stats.collectors[CollectorId::kLogDirs] = {false, "broker 1: CLUSTER_AUTHORIZATION_FAILED",
                                             "CLUSTER_AUTHORIZATION_FAILED"};
  stats.requests = {{1, "Metadata", 10, 1}};
  auto families = build_exporter_families(stats, 2);
  EXPECT_NE(dump(families).find("kafka_sidecar_collector_up{collector=log_dirs} 0 @2"), std::string::npos);
  // Why, as a bounded label: Kafka's error name, not the broker-specific log text.
  EXPECT_NE(
      dump(families).find(
          "kafka_sidecar_collector_error_info{collector=log_dirs,reason=CLUSTER_AUTHORIZATION_FAILED} 1 @2"),
      std::string::npos)
      << dump(families);
  EXPECT_NE(dump(families).find("kafka_sidecar_request_errors_total{broker=1,api=Metadata} 1 @2"),
            std::string::npos);
}

TEST(ModelTest, WhatTheProcessSpendsIsServedOnlyOnceMeasured) {
  ExporterStats stats;
  auto before = dump(build_exporter_families(stats, -1));
  EXPECT_EQ(before.find("kafka_sidecar_heap_bytes"), std::string::npos) << before;
  EXPECT_EQ(before.find("kafka_sidecar_page_bytes"), std::string::npos) << before;
  EXPECT_EQ(before.find("kafka_sidecar_cycle_stage_seconds"), std::string::npos) << before;

  stats.cost.responses = {{"Metadata", 4096, 0.25}};
  stats.cost.stage_seconds = {{"model", 0.5}, {"render", 0.125}};
  stats.cost.pages = {{9308, {1000, 100}}};
  stats.cost.heap = HeapBytes{2048, 512};
  const auto after = dump(build_exporter_families(stats, -1));
  for (const char* line :
       {"kafka_sidecar_response_bytes_total{api=Metadata} 4096 @-1",
        "kafka_sidecar_response_decode_seconds_total{api=Metadata} 0.25 @-1",
        "kafka_sidecar_cycle_stage_seconds{stage=model} 0.5 @-1",
        "kafka_sidecar_cycle_stage_seconds{stage=render} 0.125 @-1",
        "kafka_sidecar_page_bytes{port=9308,encoding=identity} 1000 @-1",
        "kafka_sidecar_page_bytes{port=9308,encoding=gzip} 100 @-1",
        "kafka_sidecar_heap_bytes{state=in_use} 2048 @-1", "kafka_sidecar_heap_bytes{state=free} 512 @-1"}) {
    EXPECT_NE(after.find(line), std::string::npos) << line << "\n" << after;
  }
  // A stage not measured (gzip here) is absent, not 0.
  EXPECT_EQ(after.find("stage=gzip"), std::string::npos);
}

}  // namespace
}  // namespace kse::model
