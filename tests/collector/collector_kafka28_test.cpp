// The group collector against a broker that takes one group per OffsetFetch (Kafka 2.8):
// the same snapshot as from one that takes them all at once (3.0+).
#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/use_future.hpp>
#include <thread>

#include "collector/collector.h"
#include "kafka/client/kafka_client.h"
#include "kafka/generated/describe_groups.h"
#include "kafka/generated/list_groups.h"
#include "kafka/generated/offset_fetch.h"
#include "support/fake_kafka_broker.h"

namespace kse::collector {
namespace {

using model::CollectorId;

// What the broker has committed for each group; "denied" answers GROUP_AUTHORIZATION_FAILED.
struct Committed {
  std::string topic;
  int32_t partition;
  int64_t offset;
  int16_t error_code = 0;
};
const std::map<std::string, std::vector<Committed>> kCommitted = {
    {"alpha", {{"orders", 0, 10}, {"orders", 1, 20}, {"audit", 0, 7}}},
    {"beta", {{"orders", 0, 3}, {"orders", 1, -1}}},
    {"gamma", {{"audit", 0, 0, 88}}},  // UNSTABLE_OFFSET_COMMIT
    {"denied", {}},
};

template <typename Topics>
void fill_topics(const std::vector<Committed>& committed, Topics& topics) {
  for (const auto& c : committed) {
    if (topics.empty() || topics.back().name != c.topic) topics.emplace_back().name = c.topic;
    auto& p = topics.back().partitions.emplace_back();
    p.partition_index = c.partition;
    p.committed_offset = c.offset;
    p.error_code = c.error_code;
    p.metadata = std::nullopt;
  }
}

void answer_groups(test::FakeKafkaBroker& broker) {
  broker.on<kafka::ListGroupsRequest>([](const kafka::ListGroupsRequest&, int16_t) {
    kafka::ListGroupsResponse response;
    for (const auto& [id, committed] : kCommitted) response.groups.push_back({id, "consumer", "Empty", ""});
    return response;
  });
  broker.on<kafka::DescribeGroupsRequest>([](const kafka::DescribeGroupsRequest& request, int16_t) {
    kafka::DescribeGroupsResponse response;
    for (const auto& id : request.groups) {
      auto& group = response.groups.emplace_back();
      group.group_id = id;
      group.group_state = "Empty";
      group.protocol_type = "consumer";
    }
    return response;
  });
  broker.on<kafka::OffsetFetchRequest>([](const kafka::OffsetFetchRequest& request, int16_t version) {
    kafka::OffsetFetchResponse response;
    const int16_t kGroupAuthorizationFailed = 30;
    if (version >= kafka::kFirstBatchedOffsetFetchVersion) {
      for (const auto& asked : request.groups) {
        auto& group = response.groups.emplace_back();
        group.group_id = asked.group_id;
        if (asked.group_id == "denied") group.error_code = kGroupAuthorizationFailed;
        fill_topics(kCommitted.at(asked.group_id), group.topics);
      }
    } else {
      if (request.group_id == "denied") response.error_code = kGroupAuthorizationFailed;
      fill_topics(kCommitted.at(request.group_id), response.topics);
    }
    return response;
  });
}

model::ClusterSnapshot collect_from(const test::FakeKafkaBroker& broker) {
  boost::asio::io_context io;
  auto work = boost::asio::make_work_guard(io);
  std::thread runner([&] { io.run(); });
  kafka::ClientConfig config;
  config.bootstrap_servers = {broker.address()};
  auto client = std::make_unique<kafka::KafkaClient>(io, config);
  CollectorOptions options;
  options.cycle_timeout = std::chrono::seconds(5);
  options.request_timeout = std::chrono::seconds(3);
  auto collector = std::make_unique<Collector>(*client, options);
  auto snapshot = boost::asio::co_spawn(io, collector->collect(), boost::asio::use_future).get();
  boost::asio::post(io, [&] {
    collector.reset();
    client.reset();
    work.reset();
  });
  runner.join();
  return snapshot;
}

TEST(CollectorAgainstKafka28, OneOffsetFetchPerGroupGivesTheBatchedSnapshot) {
  std::map<bool, model::ClusterSnapshot> snapshots;
  for (bool batched : {true, false}) {
    SCOPED_TRACE(batched ? "OffsetFetch v8" : "OffsetFetch v7");
    test::FakeKafkaBroker broker(test::group_api_versions(batched));
    test::answer_metadata(broker, 1);
    test::answer_coordinators(broker, {{"alpha", 1}, {"beta", 1}, {"gamma", 1}, {"denied", 1}});
    answer_groups(broker);
    if (!batched) broker.hold_answers(kafka::OffsetFetchRequest::kApiKey, kCommitted.size());
    broker.start();
    snapshots[batched] = collect_from(broker);
    const auto sent = broker.received<kafka::OffsetFetchRequest>();
    if (batched) {
      ASSERT_EQ(sent.size(), 1u);
      EXPECT_EQ(sent[0].first, 8);
      EXPECT_EQ(sent[0].second.groups.size(), kCommitted.size());
    } else {
      ASSERT_EQ(sent.size(), kCommitted.size());
      std::set<std::string> asked;
      for (const auto& [version, request] : sent) {
        EXPECT_EQ(version, 7);
        EXPECT_EQ(request.topics, std::nullopt);  // every committed partition
        asked.insert(request.group_id);
      }
      EXPECT_EQ(asked.size(), kCommitted.size());
    }
  }
  const auto& one = snapshots[false];
  const auto& all = snapshots[true];
  for (const auto* snapshot : {&one, &all}) {
    // The refused group and the unstable partition fail the collector, as Kafka's tools would.
    EXPECT_FALSE(snapshot->collectors.up(CollectorId::kGroups));
    ASSERT_EQ(snapshot->groups.size(), kCommitted.size());
    const auto& alpha = snapshot->groups[0];
    EXPECT_EQ(alpha.group_id, "alpha");
    EXPECT_TRUE(alpha.offsets_known);
    EXPECT_EQ(alpha.committed, (std::map<model::TopicPartition, int64_t>{
                                   {{"audit", 0}, 7}, {{"orders", 0}, 10}, {{"orders", 1}, 20}}));
    const auto& beta = snapshot->groups[1];
    EXPECT_EQ(beta.committed, (std::map<model::TopicPartition, int64_t>{{{"orders", 0}, 3}}));
    EXPECT_FALSE(snapshot->groups[2].offsets_known);  // denied
    EXPECT_EQ(snapshot->groups[2].group_id, "denied");
    EXPECT_TRUE(snapshot->groups[3].committed.empty());  // gamma
  }
  EXPECT_EQ(one.collectors[CollectorId::kGroups].reason, all.collectors[CollectorId::kGroups].reason);
  for (size_t i = 0; i < all.groups.size(); ++i) {
    EXPECT_EQ(one.groups[i].group_id, all.groups[i].group_id);
    EXPECT_EQ(one.groups[i].committed, all.groups[i].committed);
    EXPECT_EQ(one.groups[i].offsets_known, all.groups[i].offsets_known);
    EXPECT_EQ(one.groups[i].coordinator, all.groups[i].coordinator);
    EXPECT_EQ(one.groups[i].state, all.groups[i].state);
  }
}

}  // namespace
}  // namespace kse::collector
