#include <gtest/gtest.h>

#include "support/kafka_tools.h"
#include "support/test_support.h"

namespace kse::test {
namespace {

TEST(ClusterTest, ThreeBrokersAnswer) {
  auto result = kafka_tool("kafka-broker-api-versions", std::string("--bootstrap-server ") + kBootstrap);
  ASSERT_EQ(result.exit_code, 0) << result.output;
  for (const char* address : {"127.0.0.1:9092 (id: 1 ", "127.0.0.1:9192 (id: 2 ", "127.0.0.1:9292 (id: 3 "}) {
    EXPECT_NE(result.output.find(address), std::string::npos) << address << "\n" << result.output;
  }
  auto quorum = kafka_tool("kafka-metadata-quorum",
                           std::string("--bootstrap-server ") + kBootstrap + " describe --status");
  ASSERT_EQ(quorum.exit_code, 0) << quorum.output;
  EXPECT_NE(quorum.output.find("CurrentVoters:          [{\"id\": 1"), std::string::npos)
      << quorum.output;
}

TEST(ClusterTest, SeedTopicsAreDescribedAsSpecified) {
  auto result = kafka_tool("kafka-topics", std::string("--bootstrap-server ") + kBootstrap +
                                               " --describe --topic testing --topic position");
  // kafka-topics takes one --topic (a regex): describe both through one pattern.
  result = kafka_tool("kafka-topics", std::string("--bootstrap-server ") + kBootstrap +
                                          " --describe --topic 'testing|position'");
  ASSERT_EQ(result.exit_code, 0) << result.output;
  auto topics = parse_topics_describe(result.output);
  ASSERT_TRUE(topics.count("testing")) << result.output;
  ASSERT_TRUE(topics.count("position")) << result.output;

  const ToolTopic& testing = topics["testing"];
  EXPECT_EQ(testing.partition_count, 5);
  EXPECT_EQ(testing.replication_factor, 2);
  ASSERT_EQ(testing.partitions.size(), 5u);
  for (const auto& partition : testing.partitions) {
    EXPECT_EQ(partition.replicas.size(), 2u);
    EXPECT_GE(partition.leader, 1);
  }

  const ToolTopic& position = topics["position"];
  EXPECT_EQ(position.partition_count, 5);
  EXPECT_EQ(position.replication_factor, 3);
  EXPECT_EQ(position.configs.at("min.insync.replicas"), "2");
  ASSERT_EQ(position.partitions.size(), 5u);
  for (const auto& partition : position.partitions) {
    EXPECT_EQ(partition.replicas.size(), 3u);
    EXPECT_EQ(partition.isr.size(), 3u);
  }
}

TEST(ClusterTest, JolokiaAgentAnswersOnEveryBroker) {
  for (int port : {8778, 8779, 8780}) {
    auto result = run_command("curl -s -m 5 http://127.0.0.1:" + std::to_string(port) +
                              "/jolokia/version");
    EXPECT_NE(result.output.find("\"agent\":\""), std::string::npos) << port << ": " << result.output;
  }
}

}  // namespace
}  // namespace kse::test
