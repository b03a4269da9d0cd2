// The client against the real cluster, compared with Kafka's own tools.
#include <gtest/gtest.h>
#include <librdkafka/rdkafka.h>
#include <unistd.h>

#include <future>
#include <map>
#include <regex>
#include <set>
#include <sstream>
#include <thread>

#include "kafka/client/kafka_client.h"
#include "kafka/generated/all_apis.h"
#include "support/kafka_tools.h"
#include "support/test_support.h"

namespace kse::kafka {
namespace {

// Metadata of every topic, auto-creating none (what the collector asks).
MetadataRequest every_topic() {
  MetadataRequest request;
  request.topics = std::nullopt;
  request.allow_auto_topic_creation = false;
  return request;
}

std::string cluster_dir() {
  const char* dir = std::getenv("KSE_CLUSTER_DIR");
  return dir ? dir : "/tmp/kse-cluster";
}

class ClientTest : public ::testing::Test {
 protected:
  void start(ClientConfig config) {
    client_ = std::make_unique<KafkaClient>(io_, std::move(config));
    thread_ = std::thread([this] { io_.run(); });
  }
  void TearDown() override {
    boost::asio::post(io_, [this] {
      client_.reset();
      guard_.reset();
    });
    if (thread_.joinable()) thread_.join();
  }
  static ClientConfig plain() {
    ClientConfig config;
    config.bootstrap_servers = {"127.0.0.1:9092"};
    config.connect_timeout = std::chrono::seconds(3);
    return config;
  }
  // ctest starts the cluster --secure; run by hand on a plain cluster, the secure tests skip.
  static bool secure_cluster() {
    return kse::test::cluster_script("env").output.find("SECURE=1") != std::string::npos;
  }
  static bool port_open(int port) {
    return kse::test::run_command("bash -c 'exec 3<>/dev/tcp/127.0.0.1/" + std::to_string(port) + "'")
               .exit_code == 0;
  }

  boost::asio::io_context io_;
  std::optional<boost::asio::executor_work_guard<boost::asio::io_context::executor_type>> guard_{
      io_.get_executor()};
  std::unique_ptr<KafkaClient> client_;
  std::thread thread_;
};

TEST_F(ClientTest, MetadataMatchesKafkaTopics) {
  start(plain());
  const auto describe = [] {
    return kse::test::parse_topics_describe(
        kse::test::kafka_tool("kafka-topics", "--bootstrap-server 127.0.0.1:9092 --describe --topic testing")
            .output);
  };
  // Compared on a cluster that held still: the tool says the same before and after.
  Result<MetadataResponse> result = Error{};
  std::map<std::string, kse::test::ToolTopic> tool;
  for (int attempt = 0; attempt < 10; ++attempt) {
    const auto before = describe();
    result = client_->send_any_sync(every_topic(), std::chrono::seconds(5));
    tool = describe();
    if (before.count("testing") && tool.count("testing") &&
        before.at("testing").partitions == tool.at("testing").partitions) {
      break;
    }
    std::this_thread::sleep_for(std::chrono::seconds(2));
  }
  ASSERT_TRUE(result.ok()) << result.error().message;
  EXPECT_EQ(result.value().brokers.size(), 3u);
  ASSERT_TRUE(tool.count("testing")) << "kafka-topics does not describe testing";
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

TEST_F(ClientTest, DescribeClusterMatchesKafkasTools) {
  start(plain());
  auto result = client_->send_any_sync(DescribeClusterRequest{}, std::chrono::seconds(5));
  ASSERT_TRUE(result.ok()) << result.error().message;
  EXPECT_EQ(result.value().error_code, 0);
  EXPECT_EQ(result.value().brokers.size(), 3u);
  std::string said;
  EXPECT_EQ(kse::test::tool_cluster_id(&said), result.value().cluster_id) << said;
}

TEST_F(ClientTest, DescribeProducersSeesTheIdempotentProducer) {
  start(plain());
  auto produced = kse::test::kafka_tool(
      "kafka-producer-perf-test",
      "--topic testing --num-records 100 --record-size 10 --throughput -1 "
      "--producer-props bootstrap.servers=127.0.0.1:9092 enable.idempotence=true acks=all");
  ASSERT_EQ(produced.exit_code, 0) << produced.output;
  auto metadata = client_->send_any_sync(every_topic(), std::chrono::seconds(5));
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
  ASSERT_TRUE(client_->send_any_sync(every_topic(), std::chrono::seconds(5)).ok());
  // Connected first, so the requests below are in flight on an open connection.
  for (int32_t broker : {1, 2, 3})
    ASSERT_TRUE(client_->send_sync(broker, every_topic(), std::chrono::seconds(5)).ok());
  ASSERT_EQ(kse::test::cluster_script("pause-broker 2").exit_code, 0);
  const auto sent = std::chrono::steady_clock::now();
  std::vector<std::future<Result<MetadataResponse>>> to_two;
  for (int i = 0; i < 10; ++i) {
    to_two.push_back(boost::asio::co_spawn(io_, client_->send(2, every_topic(), std::chrono::seconds(2)),
                                           boost::asio::use_future));
  }
  auto to_one = client_->send_sync(1, every_topic(), std::chrono::seconds(2));
  auto to_three = client_->send_sync(3, every_topic(), std::chrono::seconds(2));
  std::vector<Result<MetadataResponse>> two;
  for (auto& future : to_two) two.push_back(future.get());
  const auto failed_after = std::chrono::steady_clock::now() - sent;
  ASSERT_EQ(kse::test::cluster_script("resume-broker 2").exit_code, 0);
  EXPECT_TRUE(to_one.ok()) << to_one.error().message;
  EXPECT_TRUE(to_three.ok()) << to_three.error().message;
  for (const auto& answer : two) {
    ASSERT_FALSE(answer.ok());
    EXPECT_EQ(answer.error().kind, Error::Kind::kTimeout) << answer.error().message;
  }
  // Every pipelined request failed by its own 2 s deadline, not later.
  EXPECT_LT(failed_after, std::chrono::milliseconds(3000));
  Result<MetadataResponse> again = Error{};
  for (int attempt = 0; attempt < 40 && !again.ok(); ++attempt) {
    again = client_->send_sync(2, every_topic(), std::chrono::seconds(2));
    if (!again.ok()) std::this_thread::sleep_for(std::chrono::milliseconds(250));
  }
  EXPECT_TRUE(again.ok()) << again.error().message;
}

TEST_F(ClientTest, ListOffsetsAtEachLeaderMatchesKafkaGetOffsets) {
  start(plain());
  auto metadata = client_->send_any_sync(every_topic(), std::chrono::seconds(5));
  ASSERT_TRUE(metadata.ok()) << metadata.error().message;
  std::map<int32_t, int32_t> leader_of_partition;
  for (const auto& topic : metadata.value().topics) {
    if (topic.name != "position") continue;
    for (const auto& p : topic.partitions) leader_of_partition[p.partition_index] = p.leader_id;
  }
  ASSERT_EQ(leader_of_partition.size(), 5u);
  auto offsets = kse::test::parse_get_offsets(
      kse::test::kafka_tool("kafka-get-offsets", "--bootstrap-server 127.0.0.1:9092 --topic position")
          .output);
  ASSERT_EQ(offsets.size(), 5u);
  for (const auto& [partition, leader] : leader_of_partition) {
    ASSERT_GE(leader, 0) << "position-" << partition << " has no leader";
    ListOffsetsRequest request;
    request.replica_id = -1;  // a consumer
    request.topics.push_back({"position", {{partition, -1, kLatestTimestamp}}});
    auto answer = client_->send_sync(leader, request, std::chrono::seconds(5));
    ASSERT_TRUE(answer.ok()) << answer.error().message;
    const auto& answered = answer.value().topics.at(0).partitions.at(0);
    // A broker that does not lead the partition answers NOT_LEADER_OR_FOLLOWER (6).
    EXPECT_EQ(answered.error_code, 0) << "position-" << partition;
    EXPECT_EQ(answered.offset, (offsets[{"position", partition}])) << "position-" << partition;
  }
}

TEST_F(ClientTest, DescribeGroupsAtTheFoundCoordinatorSeesTheGroup) {
  start(plain());
  // send() reaches only brokers the metadata named.
  ASSERT_TRUE(client_->send_any_sync(every_topic(), std::chrono::seconds(5)).ok());
  // A group with committed offsets and no member; the tool prints its coordinator.
  const std::string group = "kse-routing-test";
  const std::string bootstrap = "--bootstrap-server 127.0.0.1:9092 --group " + group;
  ASSERT_EQ(kse::test::kafka_tool("kafka-consumer-groups",
                                  bootstrap + " --topic testing --reset-offsets --to-earliest --execute")
                .exit_code,
            0);
  const auto state = kse::test::kafka_tool("kafka-consumer-groups", bootstrap + " --describe --state").output;
  std::smatch match;
  ASSERT_TRUE(std::regex_search(state, match, std::regex(R"(:\d+ +\((\d+)\))"))) << state;
  const int32_t tool_coordinator = std::stoi(match[1]);
  auto found = boost::asio::co_spawn(
                   io_, client_->find_coordinators(kGroupCoordinator, {group}, std::chrono::seconds(5)),
                   boost::asio::use_future)
                   .get();
  ASSERT_TRUE(found.ok()) << found.error().message;
  ASSERT_TRUE(found.value().count(group)) << "no coordinator for " << group;
  const int32_t coordinator = found.value().at(group);
  EXPECT_EQ(coordinator, tool_coordinator);
  DescribeGroupsRequest describe;
  describe.groups = {group};
  auto described = client_->send_sync(coordinator, describe, std::chrono::seconds(5));
  kse::test::kafka_tool("kafka-consumer-groups",
                        "--bootstrap-server 127.0.0.1:9092 --delete --group " + group);
  ASSERT_TRUE(described.ok()) << described.error().message;
  ASSERT_EQ(described.value().groups.size(), 1u);
  // Anywhere but the coordinator the answer is NOT_COORDINATOR (16).
  EXPECT_EQ(described.value().groups[0].error_code, 0);
  EXPECT_EQ(described.value().groups[0].group_state, "Empty");
}

// Metadata through a client of its own on `bootstrap`; the client is destroyed on
// its io thread.
Result<MetadataResponse> metadata_with(ClientConfig config, std::chrono::milliseconds timeout) {
  boost::asio::io_context io;
  auto guard = boost::asio::make_work_guard(io);
  std::thread runner([&] { io.run(); });
  auto owned = std::make_unique<KafkaClient>(io, std::move(config));
  auto result = owned->send_any_sync(every_topic(), timeout);
  boost::asio::post(io, [o = std::move(owned), &guard]() mutable {
    o.reset();
    guard.reset();
  });
  runner.join();
  return result;
}

TEST_F(ClientTest, SaslLoginsOverSslAndPlaintext) {
  struct Listener {
    int port;
    bool tls;
  };
  for (const Listener listener : {Listener{9094, true}, Listener{9095, false}}) {
    if (!secure_cluster()) {
      GTEST_SKIP() << "the cluster runs without its SASL listeners (cluster/kafka-cluster start --secure)";
    }
    if (!port_open(listener.port)) {
      FAIL() << "the cluster was started --secure but nothing listens on " << listener.port;
    }
    struct Case {
      std::string mechanism, user, password;
      bool ok;
    };
    for (const auto& c : std::vector<Case>{{"PLAIN", "admin", "admin-secret", true},
                                           {"PLAIN", "alice", "alice-secret", true},
                                           {"SCRAM-SHA-256", "scram-user", "scram-secret", true},
                                           {"SCRAM-SHA-512", "scram-user", "scram-secret", true},
                                           {"PLAIN", "alice", "wrong", false},
                                           {"SCRAM-SHA-256", "scram-user", "wrong", false},
                                           {"SCRAM-SHA-512", "scram-user", "wrong", false}}) {
      SCOPED_TRACE(c.mechanism + " " + c.user + (listener.tls ? " over SASL_SSL" : " over SASL_PLAINTEXT"));
      ClientConfig config;
      config.bootstrap_servers = {"127.0.0.1:" + std::to_string(listener.port)};
      config.tls.enabled = listener.tls;
      if (listener.tls) config.tls.ca_file = cluster_dir() + "/certs/ca.pem";
      config.sasl.mechanism = c.mechanism;
      config.sasl.username = c.user;
      config.sasl.password = c.password;
      const auto started = std::chrono::steady_clock::now();
      auto result = metadata_with(config, std::chrono::seconds(10));
      ASSERT_EQ(result.ok(), c.ok) << (result.ok() ? "" : result.error().message);
      if (!c.ok) {
        EXPECT_EQ(result.error().kind, Error::Kind::kAuthentication);
        EXPECT_NE(result.error().message.find(c.mechanism), std::string::npos);
        EXPECT_NE(result.error().message.find("'" + c.user + "'"), std::string::npos);
        EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(5)) << "no retry loop";
      } else {
        EXPECT_EQ(result.value().brokers.at(0).port % 100, listener.port % 100)
            << "brokers advertised on the same listener";
        EXPECT_EQ(result.value().brokers.size(), 3u);
      }
    }
  }
}

// User admin on the SASL_SSL listener of broker 1, reached as `host`, trusting `ca` of the cluster's
// certificates.
ClientConfig admin_over_tls(const std::string& host, const std::string& ca, bool verify_hostname) {
  ClientConfig config;
  config.bootstrap_servers = {host + ":9094"};
  config.connect_timeout = std::chrono::seconds(3);
  config.tls.enabled = true;
  config.tls.ca_file = cluster_dir() + "/certs/" + ca;
  config.tls.verify_hostname = verify_hostname;
  config.sasl.mechanism = "PLAIN";
  config.sasl.username = "admin";
  config.sasl.password = "admin-secret";
  return config;
}

TEST_F(ClientTest, TlsHostnameCheckIsOnByDefaultAndCanBeTurnedOff) {
  if (!secure_cluster())
    GTEST_SKIP() << "the cluster runs without its SASL_SSL listener (cluster/kafka-cluster start --secure)";
  ASSERT_TRUE(port_open(9094)) << "the cluster was started --secure but nothing listens on 9094";
  // "127.1" reaches 127.0.0.1 but is not a name the broker's certificate holds
  // (IP:127.0.0.1, DNS:localhost): a client that checks names refuses it.
  for (const std::string host : {"127.1", "localhost"}) {
    for (const bool verify : {true, false}) {
      SCOPED_TRACE(host + (verify ? ", name checked" : ", name not checked"));
      auto result = metadata_with(admin_over_tls(host, "ca.pem", verify), std::chrono::seconds(8));
      const bool expect_ok = host == "localhost" || !verify;
      ASSERT_EQ(result.ok(), expect_ok) << (result.ok() ? "" : result.error().message);
      if (!expect_ok) {
        EXPECT_NE(result.error().message.find("certificate"), std::string::npos) << result.error().message;
      }
    }
  }
  // The wrong CA fails whatever the name check says.
  auto result = metadata_with(admin_over_tls("127.0.0.1", "client.pem", false), std::chrono::seconds(8));
  EXPECT_FALSE(result.ok()) << "a certificate not signed by the configured CA was accepted";
}

TEST_F(ClientTest, PipelinedRequestsAllAnswer) {
  start(plain());
  auto metadata = client_->send_any_sync(every_topic(), std::chrono::seconds(5));
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
    request.replica_id = -1;  // a consumer
    request.topics.push_back({"position", {{0, -1, kLatestTimestamp}}});
    futures.push_back(boost::asio::co_spawn(io_, client_->send(leader, request, std::chrono::seconds(20)),
                                            boost::asio::use_future));
  }
  int answered = 0;
  std::string first_error;
  for (auto& f : futures) {
    auto result = f.get();
    if (result.ok() && result.value().topics.at(0).partitions.at(0).error_code == 0) {
      ++answered;
    } else if (first_error.empty()) {
      first_error = result.ok() ? "error code " +
                                      std::to_string(result.value().topics.at(0).partitions.at(0).error_code)
                                : result.error().message;
    }
  }
  EXPECT_EQ(first_error, "");
  EXPECT_EQ(answered, 1000);
}

// Rows of a column-aligned table printed by Kafka's tools, from the header line that
// starts with `first_column`; each row maps column name to cell (an empty last cell is absent).
std::vector<std::map<std::string, std::string>> parse_tool_table(const std::string& output,
                                                                 const std::string& first_column) {
  std::vector<std::string> header;
  std::vector<std::map<std::string, std::string>> rows;
  for (const auto& line : kse::test::split_lines(output)) {
    std::istringstream in(line);
    std::vector<std::string> cells;
    for (std::string cell; in >> cell;) cells.push_back(cell);
    if (cells.empty()) continue;
    if (header.empty()) {
      if (cells[0] == first_column) header = cells;
      continue;
    }
    if (cells.size() > header.size()) continue;  // not a row of the table (a log line)
    std::map<std::string, std::string> row;
    for (size_t i = 0; i < cells.size(); ++i) row[header[i]] = cells[i];
    rows.push_back(std::move(row));
  }
  return rows;
}

// The value after "Name:" in `kafka-metadata-quorum describe --status`.
std::string status_value(const std::string& output, const std::string& name) {
  for (const auto& line : kse::test::split_lines(output)) {
    if (line.rfind(name + ":", 0) != 0) continue;
    const auto start = line.find_first_not_of(" \t", name.size() + 1);
    return start == std::string::npos ? "" : line.substr(start);
  }
  return "";
}

std::set<int32_t> ids_in(const std::string& voters_json) {
  std::set<int32_t> ids;
  static const std::regex id_field("\"id\": ([0-9]+)");
  for (auto it = std::sregex_iterator(voters_json.begin(), voters_json.end(), id_field);
       it != std::sregex_iterator(); ++it) {
    ids.insert(std::stoi((*it)[1].str()));
  }
  return ids;
}

// Kafka prints a Uuid as URL-safe base64 without padding (Uuid.toString).
std::string uuid_text(const Uuid& uuid) {
  static const char* alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  std::string out;
  uint32_t buffer = 0;
  int bits = 0;
  for (uint8_t byte : uuid) {
    buffer = (buffer << 8) | byte;
    bits += 8;
    while (bits >= 6) {
      bits -= 6;
      out.push_back(alphabet[(buffer >> bits) & 0x3f]);
    }
  }
  if (bits > 0) out.push_back(alphabet[(buffer << (6 - bits)) & 0x3f]);
  return out;
}

struct ToolQuorum {
  std::string status;
  std::vector<std::map<std::string, std::string>> replication;
  int64_t high_watermark() const { return std::stoll(status_value(status, "HighWatermark")); }
  const std::map<std::string, std::string>* replica(int32_t id) const {
    for (const auto& row : replication) {
      if (row.count("NodeId") && row.at("NodeId") == std::to_string(id)) return &row;
    }
    return nullptr;
  }
};

ToolQuorum describe_quorum_with_the_tool() {
  const std::string bootstrap = std::string("--bootstrap-server ") + kse::test::kBootstrap;
  ToolQuorum quorum;
  quorum.status = kse::test::kafka_tool("kafka-metadata-quorum", bootstrap + " describe --status").output;
  quorum.replication = parse_tool_table(
      kse::test::kafka_tool("kafka-metadata-quorum", bootstrap + " describe --replication").output, "NodeId");
  return quorum;
}

TEST_F(ClientTest, DescribeQuorumMatchesKafkaMetadataQuorum) {
  start(plain());
  const auto before = describe_quorum_with_the_tool();
  DescribeQuorumRequest request;
  request.topics.push_back({"__cluster_metadata", {{0}}});
  auto result = client_->send_any_sync(request, std::chrono::seconds(5));
  const auto after = describe_quorum_with_the_tool();
  if (kse::test::zookeeper_mode()) {
    // No quorum: the brokers do not offer the API, to the tool or to us.
    // (The quorum tool of 3.x finds none; Kafka 2.8 has no such tool.)
    EXPECT_TRUE(before.status.find("does not support DESCRIBE_QUORUM") != std::string::npos ||
                before.status.find("has no kafka-metadata-quorum") != std::string::npos)
        << before.status;
    ASSERT_FALSE(result.ok());
    EXPECT_EQ(result.error().kind, Error::Kind::kUnsupportedVersion) << result.error().message;
    return;
  }
  ASSERT_TRUE(result.ok()) << result.error().message;
  ASSERT_EQ(result.value().error_code, 0);
  const auto& partition = result.value().topics.at(0).partitions.at(0);
  ASSERT_EQ(partition.error_code, 0);
  ASSERT_FALSE(status_value(before.status, "LeaderId").empty()) << before.status;

  // A leader change between the tool's runs would show as a difference between them.
  ASSERT_EQ(status_value(before.status, "LeaderEpoch"), status_value(after.status, "LeaderEpoch"));
  EXPECT_EQ(std::to_string(partition.leader_id), status_value(before.status, "LeaderId"));
  EXPECT_EQ(std::to_string(partition.leader_epoch), status_value(before.status, "LeaderEpoch"));
  // The metadata log keeps growing: our high watermark lies between the tool's two readings.
  EXPECT_LE(before.high_watermark(), partition.high_watermark);
  EXPECT_LE(partition.high_watermark, after.high_watermark());

  std::set<int32_t> voters;
  for (const auto& voter : partition.current_voters) voters.insert(voter.replica_id);
  std::set<int32_t> observers;
  for (const auto& observer : partition.observers) observers.insert(observer.replica_id);
  EXPECT_EQ(voters, ids_in(status_value(before.status, "CurrentVoters")));
  EXPECT_EQ(observers, ids_in(status_value(before.status, "CurrentObservers")));
  EXPECT_EQ(voters.size(), 3u);

  std::vector<DescribeQuorumResponse::ReplicaState> replicas = partition.current_voters;
  replicas.insert(replicas.end(), partition.observers.begin(), partition.observers.end());
  EXPECT_EQ(replicas.size(), before.replication.size());
  for (const auto& replica : replicas) {
    SCOPED_TRACE("replica " + std::to_string(replica.replica_id));
    const auto* first = before.replica(replica.replica_id);
    const auto* last = after.replica(replica.replica_id);
    ASSERT_NE(first, nullptr);
    ASSERT_NE(last, nullptr);
    EXPECT_EQ(first->at("Status"), replica.replica_id == partition.leader_id
                                       ? "Leader"
                                       : (voters.count(replica.replica_id) ? "Follower" : "Observer"));
    EXPECT_EQ(uuid_text(replica.replica_directory_id), first->at("DirectoryId"));
    for (const auto& [column, value] : std::vector<std::pair<std::string, int64_t>>{
             {"LogEndOffset", replica.log_end_offset},
             {"LastFetchTimestamp", replica.last_fetch_timestamp},
             {"LastCaughtUpTimestamp", replica.last_caught_up_timestamp}}) {
      EXPECT_LE(std::stoll(first->at(column)), value) << column;
      EXPECT_LE(value, std::stoll(last->at(column))) << column;
    }
  }
}

// A transaction held open by librdkafka (Kafka's tools cannot keep one open), aborted
// when the test is done with it, whatever happened.
class OpenTransaction {
 public:
  OpenTransaction(const std::string& transactional_id, const std::string& topic, int32_t partition) {
    char error[512];
    rd_kafka_conf_t* conf = rd_kafka_conf_new();
    for (const auto& [key, value] :
         std::vector<std::pair<std::string, std::string>>{{"bootstrap.servers", kse::test::kBootstrap},
                                                          {"transactional.id", transactional_id},
                                                          {"transaction.timeout.ms", "120000"},
                                                          {"socket.timeout.ms", "10000"}}) {
      if (rd_kafka_conf_set(conf, key.c_str(), value.c_str(), error, sizeof error) != RD_KAFKA_CONF_OK) {
        error_ = key + ": " + error;
        rd_kafka_conf_destroy(conf);
        return;
      }
    }
    producer_ = rd_kafka_new(RD_KAFKA_PRODUCER, conf, error, sizeof error);
    if (producer_ == nullptr) {
      error_ = std::string("rd_kafka_new: ") + error;
      rd_kafka_conf_destroy(conf);
      return;
    }
    if (!succeeded(rd_kafka_init_transactions(producer_, 30000), "init_transactions")) return;
    if (!succeeded(rd_kafka_begin_transaction(producer_), "begin_transaction")) return;
    open_ = true;
    const std::string value = "open transaction";
    const rd_kafka_resp_err_t produced =
        rd_kafka_producev(producer_, RD_KAFKA_V_TOPIC(topic.c_str()), RD_KAFKA_V_PARTITION(partition),
                          RD_KAFKA_V_VALUE(const_cast<char*>(value.data()), value.size()),
                          RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_END);
    if (produced != RD_KAFKA_RESP_ERR_NO_ERROR) {
      error_ = std::string("produce: ") + rd_kafka_err2str(produced);
      return;
    }
    const rd_kafka_resp_err_t flushed = rd_kafka_flush(producer_, 30000);
    if (flushed != RD_KAFKA_RESP_ERR_NO_ERROR) error_ = std::string("flush: ") + rd_kafka_err2str(flushed);
  }
  ~OpenTransaction() {
    if (open_) abort();
    if (producer_ != nullptr) rd_kafka_destroy(producer_);
  }
  OpenTransaction(const OpenTransaction&) = delete;
  OpenTransaction& operator=(const OpenTransaction&) = delete;

  bool abort() {
    open_ = false;
    return succeeded(rd_kafka_abort_transaction(producer_, 30000), "abort_transaction");
  }
  const std::string& error() const { return error_; }

 private:
  bool succeeded(rd_kafka_error_t* error, const char* what) {
    if (error == nullptr) return true;
    error_ = std::string(what) + ": " + rd_kafka_error_string(error);
    rd_kafka_error_destroy(error);
    return false;
  }

  rd_kafka_t* producer_ = nullptr;
  bool open_ = false;
  std::string error_;
};

TEST_F(ClientTest, TransactionsMatchKafkaTransactions) {
  start(plain());
  ASSERT_TRUE(client_->send_any_sync(every_topic(), std::chrono::seconds(5)).ok());
  const std::string id = "kse-client-test-txn-" + std::to_string(getpid()) + "-" +
                         std::to_string(std::chrono::system_clock::now().time_since_epoch().count());
  OpenTransaction transaction(id, "testing", 0);
  ASSERT_EQ(transaction.error(), "");
  const std::string bootstrap = std::string("--bootstrap-server ") + kse::test::kBootstrap;

  // Kafka 2.8 has neither ListTransactions nor kafka-transactions (KIP-664, Kafka 3.0): the
  // brokers offer no version of it, and the client says so instead of sending it.
  const auto listing = kse::test::kafka_tool("kafka-transactions", bootstrap + " list");
  if (listing.output.find("has no kafka-transactions") != std::string::npos) {
    for (int32_t broker : client_->broker_ids()) {
      auto listed = client_->send_sync(broker, ListTransactionsRequest{}, std::chrono::seconds(5));
      ASSERT_FALSE(listed.ok()) << "broker " << broker;
      EXPECT_EQ(listed.error().kind, Error::Kind::kUnsupportedVersion) << listed.error().message;
    }
    return;
  }

  // ListTransactions: each broker lists the transactions its coordinator partitions hold.
  auto list_everywhere = [&] {
    std::vector<std::pair<int32_t, ListTransactionsResponse::TransactionState>> found;
    for (int32_t broker : client_->broker_ids()) {
      auto listed = client_->send_sync(broker, ListTransactionsRequest{}, std::chrono::seconds(5));
      EXPECT_TRUE(listed.ok()) << "broker " << broker << ": " << listed.error().message;
      if (!listed.ok()) continue;
      EXPECT_EQ(listed.value().error_code, 0);
      for (const auto& state : listed.value().transaction_states) {
        if (state.transactional_id == id) found.emplace_back(broker, state);
      }
    }
    return found;
  };
  const auto listed = list_everywhere();
  const auto tool_list = parse_tool_table(
      kse::test::kafka_tool("kafka-transactions", bootstrap + " list").output, "TransactionalId");
  ASSERT_EQ(listed.size(), 1u) << "exactly one coordinator holds " << id;
  const std::map<std::string, std::string>* tool_row = nullptr;
  for (const auto& row : tool_list) {
    if (row.count("TransactionalId") && row.at("TransactionalId") == id) tool_row = &row;
  }
  ASSERT_NE(tool_row, nullptr) << id << " not in kafka-transactions list";
  EXPECT_EQ(std::to_string(listed[0].first), tool_row->at("Coordinator"));
  EXPECT_EQ(std::to_string(listed[0].second.producer_id), tool_row->at("ProducerId"));
  EXPECT_EQ(listed[0].second.transaction_state, tool_row->at("TransactionState"));
  EXPECT_EQ(listed[0].second.transaction_state, "Ongoing");

  // DescribeTransactions goes to the coordinator FindCoordinator names.
  FindCoordinatorRequest find;
  find.key_type = kTransactionCoordinator;
  find.coordinator_keys = {id};
  auto coordinator = client_->send_any_sync(find, std::chrono::seconds(5));
  ASSERT_TRUE(coordinator.ok()) << coordinator.error().message;
  ASSERT_EQ(coordinator.value().coordinators.at(0).error_code, 0);
  const int32_t coordinator_id = coordinator.value().coordinators.at(0).node_id;
  EXPECT_EQ(coordinator_id, listed[0].first);
  auto describe = [&] {
    DescribeTransactionsRequest request;
    request.transactional_ids = {id};
    auto described = client_->send_sync(coordinator_id, request, std::chrono::seconds(5));
    EXPECT_TRUE(described.ok()) << described.error().message;
    return described.ok() ? described.value().transaction_states.at(0)
                          : DescribeTransactionsResponse::TransactionState{};
  };
  auto tool_describe = [&] {
    auto rows = parse_tool_table(
        kse::test::kafka_tool("kafka-transactions", bootstrap + " describe --transactional-id " + id).output,
        "CoordinatorId");
    return rows.empty() ? std::map<std::string, std::string>{} : rows[0];
  };
  const auto ours = describe();
  const auto tool = tool_describe();
  ASSERT_FALSE(tool.empty());
  EXPECT_EQ(ours.error_code, 0);
  EXPECT_EQ(ours.transactional_id, tool.at("TransactionalId"));
  EXPECT_EQ(std::to_string(coordinator_id), tool.at("CoordinatorId"));
  EXPECT_EQ(std::to_string(ours.producer_id), tool.at("ProducerId"));
  EXPECT_EQ(ours.producer_id, listed[0].second.producer_id);
  EXPECT_EQ(std::to_string(ours.producer_epoch), tool.at("ProducerEpoch"));
  EXPECT_EQ(ours.transaction_state, tool.at("TransactionState"));
  EXPECT_EQ(std::to_string(ours.transaction_timeout_ms), tool.at("TransactionTimeoutMs"));
  EXPECT_EQ(ours.transaction_timeout_ms, 120000);
  EXPECT_EQ(std::to_string(ours.transaction_start_time_ms), tool.at("CurrentTransactionStartTimeMs"));
  ASSERT_EQ(ours.topics.size(), 1u);
  EXPECT_EQ(ours.topics[0].topic + "-" + std::to_string(ours.topics[0].partitions.at(0)),
            tool.at("TopicPartitions"));

  // After the abort both sides see the transaction completed, with the same epoch.
  ASSERT_TRUE(transaction.abort()) << transaction.error();
  DescribeTransactionsResponse::TransactionState aborted;
  for (int attempt = 0; attempt < 40 && aborted.transaction_state != "CompleteAbort"; ++attempt) {
    aborted = describe();
    if (aborted.transaction_state != "CompleteAbort")
      std::this_thread::sleep_for(std::chrono::milliseconds(250));
  }
  EXPECT_EQ(aborted.transaction_state, "CompleteAbort");
  const auto tool_aborted = tool_describe();
  ASSERT_FALSE(tool_aborted.empty());
  EXPECT_EQ(tool_aborted.at("TransactionState"), "CompleteAbort");
  EXPECT_EQ(std::to_string(aborted.producer_epoch), tool_aborted.at("ProducerEpoch"));
  EXPECT_EQ(tool_aborted.count("TopicPartitions"), 0u) << "no partitions once complete";
  EXPECT_TRUE(aborted.topics.empty());
}

// Quota values from `kafka-configs --describe --entity-type users|clients` for one entity:
// "Quota configs for user-principal 'x' are consumer_byte_rate=2048.0, producer_byte_rate=1024.0".
std::map<std::string, double> tool_quotas(const std::string& entity_type, const std::string& name) {
  const auto output =
      kse::test::kafka_tool("kafka-configs", std::string("--bootstrap-server ") + kse::test::kBootstrap +
                                                 " --describe --entity-type " + entity_type)
          .output;
  std::map<std::string, double> values;
  for (const auto& line : kse::test::split_lines(output)) {
    if (line.rfind("Quota configs for ", 0) != 0 || line.find(" '" + name + "' are ") == std::string::npos)
      continue;
    std::istringstream list(line.substr(line.find(" are ") + 5));
    for (std::string pair; std::getline(list, pair, ',');) {
      const auto start = pair.find_first_not_of(' ');
      const auto equals = pair.find('=');
      if (start == std::string::npos || equals == std::string::npos) continue;
      values[pair.substr(start, equals - start)] = std::stod(pair.substr(equals + 1));
    }
  }
  return values;
}

// Our quotas for exactly one entity {entity_type: name}; empty when there are none.
std::map<std::string, double> our_quotas(const DescribeClientQuotasResponse& response,
                                         const std::string& entity_type, const std::string& name) {
  std::map<std::string, double> values;
  if (!response.entries) return values;
  for (const auto& entry : *response.entries) {
    if (entry.entity.size() != 1 || entry.entity[0].entity_type != entity_type ||
        entry.entity[0].entity_name != name) {
      continue;
    }
    for (const auto& value : entry.values) values[value.key] = value.value;
  }
  return values;
}

class QuotaCleanup {
 public:
  explicit QuotaCleanup(std::string name) : name_(std::move(name)) {}
  ~QuotaCleanup() { remove(); }
  void remove() {
    if (removed_) return;
    removed_ = true;
    const std::string bootstrap = std::string("--bootstrap-server ") + kse::test::kBootstrap;
    kse::test::kafka_tool("kafka-configs",
                          bootstrap +
                              " --alter --delete-config producer_byte_rate,consumer_byte_rate"
                              " --entity-type users --entity-name " +
                              name_);
    kse::test::kafka_tool("kafka-configs", bootstrap +
                                               " --alter --delete-config producer_byte_rate"
                                               " --entity-type clients --entity-name " +
                                               name_);
  }
  QuotaCleanup(const QuotaCleanup&) = delete;
  QuotaCleanup& operator=(const QuotaCleanup&) = delete;

 private:
  std::string name_;
  bool removed_ = false;
};

TEST_F(ClientTest, DescribeClientQuotasMatchesKafkaConfigs) {
  start(plain());
  const std::string name = "kse-quota-test-" + std::to_string(getpid());
  const std::string bootstrap = std::string("--bootstrap-server ") + kse::test::kBootstrap;
  QuotaCleanup cleanup(name);
  auto user = kse::test::kafka_tool("kafka-configs",
                                    bootstrap +
                                        " --alter --add-config producer_byte_rate=1024,"
                                        "consumer_byte_rate=2048 --entity-type users --entity-name " +
                                        name);
  ASSERT_EQ(user.exit_code, 0) << user.output;
  auto client = kse::test::kafka_tool("kafka-configs", bootstrap +
                                                           " --alter --add-config producer_byte_rate=4096"
                                                           " --entity-type clients --entity-name " +
                                                           name);
  ASSERT_EQ(client.exit_code, 0) << client.output;

  DescribeClientQuotasRequest one_user;
  one_user.components.push_back({"user", 0, name});
  one_user.strict = true;
  DescribeClientQuotasRequest one_client;
  one_client.components.push_back({"client-id", 0, name});
  one_client.strict = true;
  const DescribeClientQuotasRequest everything;
  // The brokers learn the new quotas from the metadata log, a moment after the tool returns.
  auto describe_until = [&](const DescribeClientQuotasRequest& request, const std::string& entity_type,
                            size_t expected_values) {
    std::map<std::string, double> values;
    for (int attempt = 0; attempt < 40; ++attempt) {
      auto result = client_->send_any_sync(request, std::chrono::seconds(5));
      EXPECT_TRUE(result.ok()) << result.error().message;
      if (result.ok()) {
        EXPECT_EQ(result.value().error_code, 0) << result.value().error_message.value_or("");
        values = our_quotas(result.value(), entity_type, name);
      }
      if (values.size() == expected_values) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(250));
    }
    return values;
  };
  const auto tool_user = tool_quotas("users", name);
  const auto tool_client = tool_quotas("clients", name);
  EXPECT_EQ(tool_user,
            (std::map<std::string, double>{{"consumer_byte_rate", 2048}, {"producer_byte_rate", 1024}}));
  EXPECT_EQ(tool_client, (std::map<std::string, double>{{"producer_byte_rate", 4096}}));
  EXPECT_EQ(describe_until(one_user, "user", 2), tool_user);
  EXPECT_EQ(describe_until(one_client, "client-id", 1), tool_client);
  EXPECT_EQ(describe_until(everything, "user", 2), tool_user);
  EXPECT_EQ(describe_until(everything, "client-id", 1), tool_client);

  // Deleted quotas disappear from both.
  cleanup.remove();
  EXPECT_TRUE(describe_until(one_user, "user", 0).empty());
  EXPECT_TRUE(describe_until(one_client, "client-id", 0).empty());
  EXPECT_TRUE(tool_quotas("users", name).empty());
  EXPECT_TRUE(tool_quotas("clients", name).empty());
}

}  // namespace
}  // namespace kse::kafka
