// The client against the real cluster, compared with Kafka's own tools.
#include <gtest/gtest.h>

#include <future>
#include <thread>

#include "kafka/client/kafka_client.h"
#include "kafka/messages/describe_cluster.h"
#include "kafka/messages/describe_producers.h"
#include "kafka/messages/list_offsets.h"
#include "kafka/messages/metadata.h"
#include "support/kafka_tools.h"
#include "support/test_support.h"

namespace kse::kafka {
namespace {

class ClientTest : public ::testing::Test {
 protected:
  void start(ClientConfig config) {
    client_ = std::make_unique<KafkaClient>(io_, std::move(config));
    thread_ = std::thread([this] { io_.run(); });
  }
  void TearDown() override {
    boost::asio::post(io_, [this] { client_.reset(); guard_.reset(); });
    if (thread_.joinable()) thread_.join();
  }
  static ClientConfig plain() {
    ClientConfig config;
    config.bootstrap_servers = {"127.0.0.1:9092"};
    config.connect_timeout = std::chrono::seconds(3);
    return config;
  }
  static bool port_open(int port) {
    return kse::test::run_command("bash -c 'exec 3<>/dev/tcp/127.0.0.1/" + std::to_string(port) + "'").exit_code == 0;
  }
  static std::string cluster_dir() {
    const char* dir = std::getenv("KSE_CLUSTER_DIR");
    return dir ? dir : "/tmp/kse-cluster";
  }

  boost::asio::io_context io_;
  std::optional<boost::asio::executor_work_guard<boost::asio::io_context::executor_type>> guard_{io_.get_executor()};
  std::unique_ptr<KafkaClient> client_;
  std::thread thread_;
};

TEST_F(ClientTest, MetadataMatchesKafkaTopics) {
  start(plain());
  auto result = client_->send_any_sync(MetadataRequest{}, std::chrono::seconds(5));
  ASSERT_TRUE(result.ok()) << result.error().message;
  EXPECT_EQ(result.value().brokers.size(), 3u);
  auto tool = kse::test::parse_topics_describe(
      kse::test::kafka_tool("kafka-topics", "--bootstrap-server 127.0.0.1:9092 --describe --topic testing").output);
  for (const auto& topic : result.value().topics) {
    if (topic.name != "testing") continue;
    ASSERT_EQ(topic.partitions.size(), 5u);
    for (const auto& p : topic.partitions) {
      const auto& expected = tool["testing"].partitions.at(static_cast<size_t>(p.partition_index));
      EXPECT_EQ(p.leader_id, expected.leader);
      EXPECT_EQ(p.replica_nodes, expected.replicas);
      EXPECT_EQ(p.isr_nodes, expected.isr);
    }
  }
}

TEST_F(ClientTest, DescribeClusterMatchesTheQuorumTool) {
  start(plain());
  auto result = client_->send_any_sync(DescribeClusterRequest{}, std::chrono::seconds(5));
  ASSERT_TRUE(result.ok()) << result.error().message;
  EXPECT_EQ(result.value().error_code, 0);
  EXPECT_EQ(result.value().brokers.size(), 3u);
  auto tool = kse::test::kafka_tool("kafka-metadata-quorum", "--bootstrap-server 127.0.0.1:9092 describe --status");
  EXPECT_NE(tool.output.find("ClusterId:              " + result.value().cluster_id), std::string::npos) << tool.output;
}

TEST_F(ClientTest, DescribeProducersSeesTheIdempotentProducer) {
  start(plain());
  auto produced = kse::test::kafka_tool("kafka-producer-perf-test",
                                        "--topic testing --num-records 100 --record-size 10 --throughput -1 "
                                        "--producer-props bootstrap.servers=127.0.0.1:9092 enable.idempotence=true acks=all");
  ASSERT_EQ(produced.exit_code, 0) << produced.output;
  auto metadata = client_->send_any_sync(MetadataRequest{}, std::chrono::seconds(5));
  ASSERT_TRUE(metadata.ok());
  size_t producers = 0;
  for (const auto& t : metadata.value().topics) {
    if (t.name != "testing") continue;
    for (const auto& p : t.partitions) {
      DescribeProducersRequest request;
      request.topics.push_back({"testing", {p.partition_index}});
      auto answer = client_->send_sync(p.leader_id, request, std::chrono::seconds(5));
      ASSERT_TRUE(answer.ok()) << answer.error().message;
      ASSERT_EQ(answer.value().topics.at(0).partitions.at(0).error_code, 0);
      producers += answer.value().topics.at(0).partitions.at(0).active_producers.size();
    }
  }
  EXPECT_GE(producers, 1u);
}

TEST_F(ClientTest, PausedBrokerTimesOutAloneAndRecovers) {
  start(plain());
  ASSERT_TRUE(client_->send_any_sync(MetadataRequest{}, std::chrono::seconds(5)).ok());
  ASSERT_EQ(kse::test::cluster_script("pause-broker 2").exit_code, 0);
  auto to_two = std::async(std::launch::async, [&] { return client_->send_sync(2, MetadataRequest{}, std::chrono::seconds(2)); });
  auto to_one = client_->send_sync(1, MetadataRequest{}, std::chrono::seconds(2));
  auto to_three = client_->send_sync(3, MetadataRequest{}, std::chrono::seconds(2));
  auto two = to_two.get();
  ASSERT_EQ(kse::test::cluster_script("resume-broker 2").exit_code, 0);
  EXPECT_TRUE(to_one.ok()) << to_one.error().message;
  EXPECT_TRUE(to_three.ok()) << to_three.error().message;
  ASSERT_FALSE(two.ok());
  EXPECT_EQ(two.error().kind, Error::Kind::kTimeout) << two.error().message;
  Result<MetadataResponse> again = Error{};
  for (int attempt = 0; attempt < 40 && !again.ok(); ++attempt) {
    again = client_->send_sync(2, MetadataRequest{}, std::chrono::seconds(2));
    if (!again.ok()) std::this_thread::sleep_for(std::chrono::milliseconds(250));
  }
  EXPECT_TRUE(again.ok()) << again.error().message;
}

TEST_F(ClientTest, SaslSslLogins) {
  if (!port_open(9094)) GTEST_SKIP() << "the cluster runs without its SASL_SSL listener (cluster/kafka-cluster start --secure)";
  struct Case {
    std::string mechanism, user, password;
    bool ok;
  };
  for (const auto& c : std::vector<Case>{{"PLAIN", "admin", "admin-secret", true},
                                         {"SCRAM-SHA-256", "scram-user", "scram-secret", true},
                                         {"SCRAM-SHA-512", "scram-user", "scram-secret", true},
                                         {"PLAIN", "alice", "wrong", false},
                                         {"SCRAM-SHA-512", "scram-user", "wrong", false}}) {
    boost::asio::io_context io;
    auto guard = boost::asio::make_work_guard(io);
    std::thread runner([&] { io.run(); });
    ClientConfig config;
    config.bootstrap_servers = {"127.0.0.1:9094"};
    config.tls.enabled = true;
    config.tls.ca_file = cluster_dir() + "/certs/ca.pem";
    config.sasl = {c.mechanism, c.user, c.password};
    {
      auto owned = std::make_unique<KafkaClient>(io, config);
      KafkaClient& client = *owned;
      const auto started = std::chrono::steady_clock::now();
      auto result = client.send_any_sync(MetadataRequest{}, std::chrono::seconds(10));
      EXPECT_EQ(result.ok(), c.ok) << c.mechanism << " " << c.user << ": " << (result.ok() ? "" : result.error().message);
      if (!c.ok && !result.ok()) {
        EXPECT_EQ(result.error().kind, Error::Kind::kAuthentication);
        EXPECT_NE(result.error().message.find(c.mechanism), std::string::npos);
        EXPECT_NE(result.error().message.find("'" + c.user + "'"), std::string::npos);
        EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(5)) << "no retry loop";
      }
      if (result.ok()) {
        EXPECT_EQ(result.value().brokers.at(0).port % 100, 94) << "brokers advertised on the SASL_SSL listener";
      }
      // The client belongs to the io thread: it is destroyed there.
      boost::asio::post(io, [o = std::move(owned), &guard]() mutable {
        o.reset();
        guard.reset();
      });
    }
    runner.join();
  }
}

TEST_F(ClientTest, PipelinedRequestsAllAnswer) {
  start(plain());
  auto metadata = client_->send_any_sync(MetadataRequest{}, std::chrono::seconds(5));
  ASSERT_TRUE(metadata.ok());
  int32_t leader = -1;
  for (const auto& t : metadata.value().topics) {
    if (t.name != "position") continue;
    for (const auto& p : t.partitions) {
      if (p.partition_index == 0) leader = p.leader_id;  // the response's order is not the partitions'
    }
  }
  ASSERT_GE(leader, 1);
  std::vector<std::future<Result<ListOffsetsResponse>>> futures;
  for (int i = 0; i < 1000; ++i) {
    ListOffsetsRequest request;
    request.topics.push_back({"position", {{0, -1, ListOffsetsRequest::kLatest}}});
    futures.push_back(boost::asio::co_spawn(io_, client_->send(leader, request, std::chrono::seconds(20)), boost::asio::use_future));
  }
  int answered = 0;
  std::string first_error;
  for (auto& f : futures) {
    auto result = f.get();
    if (result.ok() && result.value().topics.at(0).partitions.at(0).error_code == 0) {
      ++answered;
    } else if (first_error.empty()) {
      first_error = result.ok() ? "error code " + std::to_string(result.value().topics.at(0).partitions.at(0).error_code)
                                : result.error().message;
    }
  }
  EXPECT_EQ(first_error, "");
  EXPECT_EQ(answered, 1000);
}

}  // namespace
}  // namespace kse::kafka
