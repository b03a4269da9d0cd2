// The local cluster (cluster/kafka-cluster) is what the seed's workshop 1 builds:
// three KRaft brokers that are also the three controller voters, the topics
// `testing` (5 x RF 2) and `position` (5 x RF 3, min.insync.replicas=2), Jolokia on
// every broker, and, in secure mode, SASL_SSL logins on the EXTERNAL listener.
// Every fact is read back with Kafka's own tools (or kcat), never with our code.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <fstream>
#include <functional>
#include <map>
#include <regex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "support/kafka_tools.h"
#include "support/test_support.h"

namespace kse::test {
namespace {

using namespace std::chrono_literals;

std::string bootstrap_arg() { return std::string("--bootstrap-server ") + kBootstrap; }

// Other suites share this cluster and may pause or restart a broker for a moment:
// wait (bounded) for the healthy state before asserting on it exactly.
bool eventually(const std::function<bool()>& check, std::chrono::seconds limit = 90s) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (true) {
    if (check()) return true;
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(1s);
  }
}

// Broker ids in `kafka-broker-api-versions` output ("127.0.0.1:9092 (id: 1 rack: null) -> (").
std::map<int, std::string> api_versions_brokers(const std::string& output) {
  std::map<int, std::string> brokers;
  static const std::regex line(R"(^(\S+) \(id: (\d+) rack: [^)]*\) -> \()");
  for (const auto& text : split_lines(output)) {
    std::smatch m;
    if (std::regex_search(text, m, line)) brokers[std::stoi(m[2])] = m[1];
  }
  return brokers;
}

// `kafka-metadata-quorum describe --status`: "Key:   value" lines.
std::map<std::string, std::string> quorum_status(const std::string& output) {
  std::map<std::string, std::string> fields;
  static const std::regex line(R"(^(\w+):\s+(.*)$)");
  for (const auto& text : split_lines(output)) {
    std::smatch m;
    if (std::regex_match(text, m, line)) fields[m[1]] = m[2];
  }
  return fields;
}

std::set<int> voter_ids(const std::string& voters) {
  std::set<int> ids;
  static const std::regex id(R"re("id":\s*(\d+))re");
  for (auto it = std::sregex_iterator(voters.begin(), voters.end(), id); it != std::sregex_iterator(); ++it) {
    ids.insert(std::stoi((*it)[1]));
  }
  return ids;
}

std::map<std::string, ToolTopic> describe_seed_topics() {
  auto result = kafka_tool("kafka-topics", bootstrap_arg() + " --describe --topic 'testing|position'");
  if (result.exit_code != 0) return {};
  return parse_topics_describe(result.output);
}

bool full_isr(const ToolTopic& topic) {
  for (const auto& p : topic.partitions) {
    if (p.leader < 1 || p.isr.size() != p.replicas.size()) return false;
  }
  return !topic.partitions.empty();
}

TEST(ClusterTest, ThreeBrokersAreRegistered) {
  CommandResult result;
  std::map<int, std::string> brokers;
  eventually([&] {
    result = kafka_tool("kafka-broker-api-versions", bootstrap_arg());
    brokers = api_versions_brokers(result.output);
    return result.exit_code == 0 && brokers.size() == 3;
  });
  ASSERT_EQ(result.exit_code, 0) << result.output;
  EXPECT_EQ(brokers,
            (std::map<int, std::string>{{1, "127.0.0.1:9092"}, {2, "127.0.0.1:9192"}, {3, "127.0.0.1:9292"}}))
      << result.output;
}

// A node's own answer to `srvr`, over its client port.
std::string zookeeper_srvr(const std::string& host_port) {
  const auto colon = host_port.rfind(':');
  return run_command("bash -c 'exec 3<>/dev/tcp/" + host_port.substr(0, colon) + "/" +
                         host_port.substr(colon + 1) + " && printf srvr >&3 && cat <&3'",
                     10s)
      .output;
}

// KRaft: three controllers are the quorum's voters. ZooKeeper mode: three ZooKeeper nodes,
// one leader, hold the brokers' registrations, and no broker offers DescribeQuorum.
TEST(ClusterTest, ThreeNodesFormTheMetadataQuorum) {
  if (zookeeper_mode()) {
    std::map<std::string, int> modes;
    const auto env = cluster_env();
    ASSERT_EQ(env.at("ZOOKEEPER"), "127.0.0.1:2181,127.0.0.1:2182,127.0.0.1:2183");
    for (const char* node : {"127.0.0.1:2181", "127.0.0.1:2182", "127.0.0.1:2183"}) {
      std::smatch m;
      const std::string answer = zookeeper_srvr(node);
      static const std::regex mode("Mode: ([a-z]+)");
      ASSERT_TRUE(std::regex_search(answer, m, mode)) << node << ": " << answer;
      ++modes[m[1]];
    }
    EXPECT_EQ(modes, (std::map<std::string, int>{{"follower", 2}, {"leader", 1}}));
    std::string ids;
    eventually([&] {
      ids = kafka_tool("zookeeper-shell", "127.0.0.1:2181 ls /brokers/ids").output;
      return ids.find("[1, 2, 3]") != std::string::npos;
    });
    EXPECT_NE(ids.find("[1, 2, 3]"), std::string::npos) << ids;
    // The quorum tool (3.x) finds no quorum; Kafka 2.8 has no such tool.
    auto quorum = kafka_tool("kafka-metadata-quorum", bootstrap_arg() + " describe --status");
    EXPECT_NE(quorum.exit_code, 0);
    EXPECT_TRUE(quorum.output.find("does not support DESCRIBE_QUORUM") != std::string::npos ||
                quorum.output.find("has no kafka-metadata-quorum") != std::string::npos)
        << quorum.output;
    return;
  }
  auto result = kafka_tool("kafka-metadata-quorum", bootstrap_arg() + " describe --status");
  ASSERT_EQ(result.exit_code, 0) << result.output;
  auto status = quorum_status(result.output);
  EXPECT_EQ(voter_ids(status["CurrentVoters"]), (std::set<int>{1, 2, 3})) << result.output;
  EXPECT_EQ(voter_ids(status["CurrentObservers"]), std::set<int>{}) << "no broker-only node by default";
  const int leader = std::stoi(status.count("LeaderId") ? status["LeaderId"] : "-1");
  EXPECT_TRUE(leader >= 1 && leader <= 3) << result.output;
  // Controllers on 9093/9193/9293, as in controller.quorum.voters.
  for (const char* endpoint :
       {"CONTROLLER://127.0.0.1:9093", "CONTROLLER://127.0.0.1:9193", "CONTROLLER://127.0.0.1:9293"}) {
    EXPECT_NE(status["CurrentVoters"].find(endpoint), std::string::npos) << endpoint << "\n" << result.output;
  }
}

TEST(ClusterTest, StatusAndEnvDescribeTheRunningCluster) {
  auto status = cluster_script("status", 30s);
  ASSERT_EQ(status.exit_code, 0) << status.output;
  for (int id = 1; id <= 3; ++id) {
    const std::regex line("broker " + std::to_string(id) +
                          ": (running|paused) \\(pid \\d+\\), 127\\.0\\.0\\.1:" +
                          std::to_string(9092 + (id - 1) * 100) + ", jolokia " + std::to_string(8777 + id));
    EXPECT_TRUE(std::regex_search(status.output, line)) << status.output;
  }

  auto vars = cluster_env();
  EXPECT_EQ(vars["BOOTSTRAP"], "127.0.0.1:9092,127.0.0.1:9192,127.0.0.1:9292");
  if (zookeeper_mode()) {
    EXPECT_EQ(vars["CONTROLLERS"], "");
    EXPECT_EQ(vars["ZOOKEEPER"], "127.0.0.1:2181,127.0.0.1:2182,127.0.0.1:2183");
  } else {
    EXPECT_EQ(vars["CONTROLLERS"], "127.0.0.1:9093,127.0.0.1:9193,127.0.0.1:9293");
    EXPECT_EQ(vars["QUORUM_VOTERS"], "1@127.0.0.1:9093,2@127.0.0.1:9193,3@127.0.0.1:9293");
  }
  // Brokers 1..3 first; a broker added by `add-broker` (another suite) may follow.
  EXPECT_EQ(
      vars["JOLOKIA"].rfind(
          "http://127.0.0.1:8778/jolokia/,http://127.0.0.1:8779/jolokia/,http://127.0.0.1:8780/jolokia/", 0),
      0u)
      << vars["JOLOKIA"];
  EXPECT_EQ(vars["BROKER_1"], "127.0.0.1:9092");
  EXPECT_EQ(vars["BROKER_2_JOLOKIA"], "http://127.0.0.1:8779/jolokia/");
  EXPECT_FALSE(vars["CLUSTER_ID"].empty());
  EXPECT_EQ(vars["CLUSTER_ID"].size(), 22u) << "a Kafka Uuid in base64: " << vars["CLUSTER_ID"];
  if (zookeeper_mode()) {
    // The id the first broker wrote to ZooKeeper: {"version":"1","id":"..."}.
    auto id = kafka_tool("zookeeper-shell", "127.0.0.1:2181 get /cluster/id");
    EXPECT_NE(id.output.find("\"id\":\"" + vars["CLUSTER_ID"] + "\""), std::string::npos) << id.output;
    return;
  }
  auto quorum =
      quorum_status(kafka_tool("kafka-metadata-quorum", bootstrap_arg() + " describe --status").output);
  EXPECT_EQ(quorum["ClusterId"], vars["CLUSTER_ID"]) << "the id kafka-storage format wrote";
}

TEST(ClusterTest, SeedTopicsAreDescribedAsSpecified) {
  std::map<std::string, ToolTopic> topics;
  eventually([&] {
    topics = describe_seed_topics();
    return topics.count("testing") && topics.count("position") && full_isr(topics["testing"]) &&
           full_isr(topics["position"]);
  });
  ASSERT_TRUE(topics.count("testing")) << "kafka-topics does not describe 'testing'";
  ASSERT_TRUE(topics.count("position")) << "kafka-topics does not describe 'position'";

  const ToolTopic& testing = topics["testing"];
  EXPECT_EQ(testing.partition_count, 5);
  EXPECT_EQ(testing.replication_factor, 2);
  // Kafka 4 shows the cluster-wide dynamic default (1) that it writes for ELR.
  if (testing.configs.count("min.insync.replicas")) {
    EXPECT_EQ(testing.configs.at("min.insync.replicas"), "1") << "testing keeps the broker default";
  }
  ASSERT_EQ(testing.partitions.size(), 5u);
  std::set<int> testing_replicas;
  for (size_t i = 0; i < testing.partitions.size(); ++i) {
    const auto& partition = testing.partitions[i];
    EXPECT_EQ(partition.partition, static_cast<int32_t>(i));
    ASSERT_EQ(partition.replicas.size(), 2u);
    EXPECT_NE(partition.replicas[0], partition.replicas[1]);
    EXPECT_EQ(partition.isr.size(), 2u);
    EXPECT_NE(std::find(partition.replicas.begin(), partition.replicas.end(), partition.leader),
              partition.replicas.end())
        << "the leader is one of the replicas";
    testing_replicas.insert(partition.replicas.begin(), partition.replicas.end());
  }
  EXPECT_EQ(testing_replicas, (std::set<int>{1, 2, 3})) << "replicas spread over the three brokers";

  const ToolTopic& position = topics["position"];
  EXPECT_EQ(position.partition_count, 5);
  EXPECT_EQ(position.replication_factor, 3);
  ASSERT_TRUE(position.configs.count("min.insync.replicas"));
  EXPECT_EQ(position.configs.at("min.insync.replicas"), "2");
  ASSERT_EQ(position.partitions.size(), 5u);
  for (const auto& partition : position.partitions) {
    EXPECT_EQ(std::set<int>(partition.replicas.begin(), partition.replicas.end()), (std::set<int>{1, 2, 3}));
    EXPECT_EQ(partition.isr.size(), 3u);
    EXPECT_GE(partition.leader, 1);
  }

  // The same facts from the broker's point of view: kafka-configs shows the override.
  auto configs = kafka_tool("kafka-configs",
                            bootstrap_arg() + " --describe --entity-type topics --entity-name position");
  ASSERT_EQ(configs.exit_code, 0) << configs.output;
  EXPECT_NE(configs.output.find("min.insync.replicas=2"), std::string::npos) << configs.output;
}

TEST(ClusterTest, JolokiaAgentAnswersOnEveryBroker) {
  for (int id = 1; id <= 3; ++id) {
    const std::string base = "http://127.0.0.1:" + std::to_string(8777 + id) + "/jolokia";
    auto version = run_command("curl -sf -m 10 " + base + "/version", 30s);
    EXPECT_NE(version.output.find("\"agent\":\"2."), std::string::npos) << base << ": " << version.output;
    // BrokerState 3 is RUNNING.
    bool running = eventually(
        [&] {
          auto state = run_command(
              "curl -sf -m 10 '" + base + "/read/kafka.server:type=KafkaServer,name=BrokerState/Value'", 30s);
          return state.output.find("\"value\":3") != std::string::npos;
        },
        60s);
    EXPECT_TRUE(running) << "broker " << id << " is not RUNNING according to its own MBean";
  }
}

TEST(ClusterTest, ToolsProduceAndConsumeWithKeys) {
  // A topic of this test only: the seed's topics keep the offsets other suites check.
  const std::string topic = "kse-cluster-test";
  kafka_tool("kafka-topics", bootstrap_arg() + " --delete --if-exists --topic " + topic);
  bool created = eventually(
      [&] {
        return kafka_tool("kafka-topics", bootstrap_arg() + " --create --if-not-exists --topic " + topic +
                                              " --partitions 1 --replication-factor 3")
                   .exit_code == 0;
      },
      60s);
  ASSERT_TRUE(created);

  auto produced =
      run_command("printf 'courier-1:pos-1\\ncourier-2:pos-2\\ncourier-1:pos-3\\n' | " + source_dir() +
                  "/cluster/kafka-tool kafka-console-producer " + bootstrap_arg() + " --topic " + topic +
                  " --property parse.key=true --property key.separator=: --producer-property acks=all");
  ASSERT_EQ(produced.exit_code, 0) << produced.output;

  auto consumed =
      kafka_tool("kafka-console-consumer", bootstrap_arg() + " --topic " + topic +
                                               " --from-beginning --max-messages 3 --timeout-ms 30000"
                                               " --property print.key=true --property key.separator=:");
  ASSERT_EQ(consumed.exit_code, 0) << consumed.output;
  for (const char* record : {"courier-1:pos-1", "courier-2:pos-2", "courier-1:pos-3"}) {
    EXPECT_NE(consumed.output.find(record), std::string::npos) << consumed.output;
  }

  auto offsets = kafka_tool("kafka-get-offsets", bootstrap_arg() + " --topic " + topic);
  ASSERT_EQ(offsets.exit_code, 0) << offsets.output;
  auto parsed = parse_get_offsets(offsets.output);
  const auto end_offset = parsed.find({topic, 0});
  ASSERT_NE(end_offset, parsed.end()) << offsets.output;
  EXPECT_EQ(end_offset->second, 3) << offsets.output;

  auto deleted = kafka_tool("kafka-topics", bootstrap_arg() + " --delete --topic " + topic);
  EXPECT_EQ(deleted.exit_code, 0) << deleted.output;
}

TEST(ClusterTest, KafkaToolRejectsAnUnknownTool) {
  auto result = run_command(source_dir() + "/cluster/kafka-tool kafka-no-such-tool", 30s);
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_NE(result.output.find("unknown tool"), std::string::npos) << result.output;
  EXPECT_NE(result.output.find("kafka-consumer-groups"), std::string::npos) << "the usage lists the tools";
}

// Workshop 7, when the cluster runs with `start --secure`: SASL_SSL on 9094/9194/9294
// with PLAIN, SCRAM-SHA-256 and SCRAM-SHA-512, and a wrong password is refused. The
// logins are Kafka's own Java client's: librdkafka before 2.6.1 (Debian 12's kcat)
// cannot log in with SCRAM to Kafka 4.
TEST(ClusterTest, SecureListenerAcceptsTheThreeMechanisms) {
  auto env = cluster_script("env", 30s);
  ASSERT_NE(env.output.find("SECURE=1"), std::string::npos) << "the test cluster runs with --secure\n"
                                                            << env.output;
  std::string ca;
  for (const auto& line : split_lines(env.output)) {
    if (line.rfind("CA_FILE=", 0) == 0) ca = line.substr(8);
  }
  ASSERT_FALSE(ca.empty()) << env.output;

  struct Login {
    std::string mechanism, user, password;
    bool accepted;
  };
  const std::string properties = build_dir() + "/cluster_test_login.properties";
  for (const auto& login : std::vector<Login>{{"PLAIN", "admin", "admin-secret", true},
                                              {"PLAIN", "alice", "alice-secret", true},
                                              {"SCRAM-SHA-256", "scram-user", "scram-secret", true},
                                              {"SCRAM-SHA-512", "scram-user", "scram-secret", true},
                                              {"PLAIN", "alice", "not-her-password", false},
                                              {"SCRAM-SHA-256", "scram-user", "wrong", false},
                                              {"SCRAM-SHA-512", "scram-user", "wrong", false}}) {
    const std::string module = login.mechanism == "PLAIN"
                                   ? "org.apache.kafka.common.security.plain.PlainLoginModule"
                                   : "org.apache.kafka.common.security.scram.ScramLoginModule";
    {
      std::ofstream out(properties);
      out << "security.protocol=SASL_SSL\nsasl.mechanism=" << login.mechanism
          << "\nsasl.jaas.config=" << module << " required username=\"" << login.user << "\" password=\""
          << login.password << "\";\nssl.truststore.type=PEM\nssl.truststore.location=" << ca << "\n";
    }
    auto result = kafka_tool("kafka-broker-api-versions",
                             "--bootstrap-server 127.0.0.1:9094 --command-config " + properties, 60s);
    const std::string what = login.mechanism + " " + login.user + "/" + login.password;
    if (login.accepted) {
      EXPECT_EQ(result.exit_code, 0) << what << "\n" << result.output;
      // Brokers advertise their EXTERNAL listener to EXTERNAL clients.
      for (const char* broker : {"127.0.0.1:9094 (id: 1", "127.0.0.1:9194 (id: 2", "127.0.0.1:9294 (id: 3"}) {
        EXPECT_NE(result.output.find(broker), std::string::npos) << what << "\n" << result.output;
      }
    } else {
      EXPECT_NE(result.exit_code, 0) << what << " was accepted\n" << result.output;
      EXPECT_NE(result.output.find("Authentication failed"), std::string::npos) << what << "\n"
                                                                                << result.output;
    }
  }
}

}  // namespace
}  // namespace kse::test
