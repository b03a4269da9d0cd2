// The Jolokia bridge on the real cluster: plausible values against Kafka's own
// tools, and the same rules file giving the same series as the JMX exporter 0.20 agent.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmath>
#include <cstdlib>
#include <fstream>
#include <regex>
#include <set>
#include <string>
#include <thread>

#include "jmx/jolokia/bridge.h"
#include "prom_text.h"
#include "support/kafka_tools.h"
#include "support/test_support.h"

namespace kse::jmx {
namespace {

using std::chrono::seconds;
using test::SeriesSet;

constexpr int kBroker = 1;
constexpr const char* kJolokiaUrl = "http://127.0.0.1:8778/jolokia/";
constexpr int kJolokiaPort = 8778;
constexpr int kAgentPort = 7991;

bool port_open(int port) {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<uint16_t>(port));
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  const bool open = connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0;
  close(fd);
  return open;
}

template <typename Predicate>
bool wait_until(Predicate predicate, seconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (predicate()) return true;
    std::this_thread::sleep_for(std::chrono::seconds(2));
  }
  return predicate();
}

std::string seed_rules_path() { return kse::test::source_dir() + "/../shared/seed-assets/kafka_broker.yml"; }

std::string agent_page() {
  return kse::test::run_command("curl -sf -m 120 http://127.0.0.1:" + std::to_string(kAgentPort) + "/metrics",
                                seconds(130))
      .output;
}

std::vector<metrics::Family> collect_with(const std::string& rules_file, BridgeStatus* status) {
  BridgeConfig config;
  config.broker_id = kBroker;
  config.url = kJolokiaUrl;
  config.read_timeout = std::chrono::milliseconds(60000);
  JolokiaBridge bridge(config, RuleSet::load_file(rules_file));
  bridge.collect_once();
  bridge.collect_once();  // the second cycle answers from the match cache
  if (status != nullptr) *status = bridge.status();
  return bridge.families();
}

double value_or_nan(const SeriesSet& set, const std::string& key) {
  const auto it = set.values.find(key);
  return it == set.values.end() ? std::nan("") : it->second;
}

class JmxCluster : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(wait_until([] { return port_open(kJolokiaPort); }, seconds(120)))
        << "broker 1's Jolokia agent is not listening on " << kJolokiaUrl;
  }

  // Leaders and replicas of broker 1 according to kafka-topics --describe.
  static std::pair<int, int> leaders_and_replicas() {
    const auto result = kse::test::kafka_tool(
        "kafka-topics", std::string("--bootstrap-server ") + kse::test::kBootstrap + " --describe");
    EXPECT_EQ(result.exit_code, 0) << result.output;
    int leaders = 0, replicas = 0;
    for (const auto& [name, topic] : kse::test::parse_topics_describe(result.output)) {
      for (const auto& p : topic.partitions) {
        leaders += p.leader == kBroker ? 1 : 0;
        for (const int32_t r : p.replicas) replicas += r == kBroker ? 1 : 0;
      }
    }
    return {leaders, replicas};
  }
};

TEST_F(JmxCluster, OurRulesGiveBrokerOnesInternals) {
  BridgeStatus status;
  SeriesSet ours;
  std::pair<int, int> truth;
  // Leadership may move during a read: agree on two consecutive looks.
  for (int attempt = 0; attempt < 3; ++attempt) {
    const auto before = leaders_and_replicas();
    ours =
        test::series_of(collect_with(kse::test::source_dir() + "/exporter/kafka-broker-rules.yml", &status));
    truth = leaders_and_replicas();
    if (before == truth) break;
  }
  ASSERT_TRUE(status.up) << status.last_error;
  EXPECT_LE(status.posts, 3u);
  EXPECT_GT(status.cache_hits, 0u);
  EXPECT_EQ(value_or_nan(ours, "kafka_server_replicamanager_leadercount{}"), truth.first);
  EXPECT_EQ(value_or_nan(ours, "kafka_server_replicamanager_partitioncount{}"), truth.second);
  EXPECT_EQ(value_or_nan(ours, "kafka_sidecar_jmx_up{broker=\"1\"}"), 1);
  EXPECT_EQ(value_or_nan(ours, "jmx_scrape_error{}"), 0);
  EXPECT_GE(value_or_nan(ours, "kafka_server_replicamanager_underreplicatedpartitions{}"), 0);
  EXPECT_GE(value_or_nan(ours, "kafka_controller_kafkacontroller_activecontrollercount{}"), 0);
  EXPECT_GT(value_or_nan(ours, "kafka_server_kafkarequesthandlerpool_requesthandleravgidlepercent_total{}"),
            0);
  EXPECT_GT(value_or_nan(ours, "kafka_network_socketserver_networkprocessoravgidlepercent{}"), 0);
  EXPECT_GT(value_or_nan(ours, "jvm_memory_bytes_used{area=\"heap\"}"), 0);
  EXPECT_GT(value_or_nan(ours, "process_cpu_seconds_total{}"), 0);
  EXPECT_GT(value_or_nan(ours, "process_open_fds{}"), 0);
  EXPECT_GT(value_or_nan(ours, "process_resident_memory_bytes{}"), 0);
  EXPECT_GT(value_or_nan(ours, "jvm_threads_state{state=\"RUNNABLE\"}"), 0);
  bool request_latency = false, raft = false, bytes_in = false, connections = false;
  for (const auto& [key, value] : ours.values) {
    const std::string name = test::name_of(key);
    request_latency |= name == "kafka_network_requestmetrics_totaltimems" &&
                       key.find("quantile=\"0.99\"") != std::string::npos;
    raft |= name == "kafka_server_raft_metrics_current_state";
    bytes_in |= name == "kafka_server_brokertopicmetrics_bytesinpersec";
    connections |= name == "kafka_server_socketservermetrics_connection_count";
  }
  EXPECT_TRUE(request_latency);
  // KRaft's raft metrics exist only where there is a quorum: absent in ZooKeeper mode.
  EXPECT_EQ(raft, !kse::test::zookeeper_mode());
  EXPECT_TRUE(bytes_in);
  EXPECT_TRUE(connections);
  // Every sample is served on broker 1's port.
  for (const auto& f : collect_with(kse::test::source_dir() + "/exporter/kafka-broker-rules.yml", nullptr)) {
    for (const auto& s : f.samples) ASSERT_EQ(s.owner, kBroker) << f.name;
  }
}

// Families the agent adds that a reader of MBeans cannot reproduce, with the reason.
const std::map<std::string, std::string> kAgentOnly = {
    {"jmx_config_reload_success_total", "the agent's own config reload counter"},
    {"jmx_config_reload_success_created", "the agent's own config reload counter"},
    {"jmx_config_reload_failure_total", "the agent's own config reload counter"},
    {"jmx_config_reload_failure_created", "the agent's own config reload counter"},
    {"jmx_exporter_build_info", "the agent's own version"},
    {"jvm_memory_pool_allocated_bytes_total", "counted in-process from GC notifications"},
    {"jvm_memory_pool_allocated_bytes_created", "counted in-process from GC notifications"},
};

// Series that come and go with traffic or clients between two reads.
bool timing_dependent(const std::string& key) {
  const std::string name = test::name_of(key);
  return name == "kafka_server_socketservermetrics_connections" ||  // per client software
         key.find("request=\"") != std::string::npos ||             // request types/versions seen so far
         name.rfind("kafka_server_fetcherlagmetrics_", 0) == 0;
}

// Gauges that do not move between two reads a few seconds apart on an idle broker.
const std::set<std::string> kStableGauges = {
    "kafka_server_replicamanager_leadercount{}",
    "kafka_server_replicamanager_partitioncount{}",
    "kafka_server_replicamanager_offlinereplicacount{}",
    "kafka_controller_kafkacontroller_activecontrollercount{}",
    "kafka_controller_kafkacontroller_globaltopiccount{}",
    "kafka_controller_kafkacontroller_globalpartitioncount{}",
    "kafka_controller_kafkacontroller_offlinepartitionscount{}",
    "jvm_memory_bytes_max{area=\"heap\"}",
    "jvm_memory_bytes_init{area=\"heap\"}",
    "process_max_fds{}",
    "process_start_time_seconds{}",
    "jvm_classes_unloaded_total{}",
};

// The seed's rules without startDelaySeconds, which only delays the agent's first scrape.
std::string seed_rules_without_delay() {
  std::ifstream in(seed_rules_path());
  const std::string path = kse::test::build_dir() + "/tests/jmx/kafka_broker-nodelay.yml";
  std::ofstream out(path);
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("startDelaySeconds:", 0) != 0) out << line << "\n";
  }
  return path;
}

// The rules file broker 1's JMX exporter agent was started with ("" when none), as
// `kafka-cluster env` reports it.
std::string agent_rules() {
  const std::string key = "JMX_EXPORTER_CONFIG=";
  for (const auto& line : kse::test::split_lines(kse::test::cluster_script("env").output)) {
    if (line.rfind(key, 0) == 0) return line.substr(key.size());
  }
  return "";
}

// Restarts broker 1 with (or, for "", without) the JMX exporter agent on `rules`.
::testing::AssertionResult restart_broker_1_with_agent(const std::string& rules) {
  setenv("KSE_JMX_EXPORTER_CONFIG", rules.c_str(), 1);
  const auto restart = kse::test::cluster_script("restart-broker 1", seconds(300));
  unsetenv("KSE_JMX_EXPORTER_CONFIG");
  if (restart.exit_code != 0) return ::testing::AssertionFailure() << restart.output;
  const bool agent = !rules.empty();
  if (!wait_until([agent] { return port_open(kJolokiaPort) && port_open(kAgentPort) == agent; },
                  seconds(180))) {
    return ::testing::AssertionFailure()
           << "broker 1 came back without Jolokia on " << kJolokiaPort
           << (agent ? " or the JMX exporter agent on " + std::to_string(kAgentPort) : "");
  }
  // The tests after this one compare ISRs: leave only once broker 1 is back in all of them.
  const auto settled = [] {
    const auto urp =
        kse::test::kafka_tool("kafka-topics", std::string("--bootstrap-server ") + kse::test::kBootstrap +
                                                  " --describe --under-replicated-partitions");
    return urp.exit_code == 0 && urp.output.find("Partition:") == std::string::npos;
  };
  if (!wait_until(settled, seconds(120))) {
    return ::testing::AssertionFailure()
           << "partitions still under-replicated 120 s after broker 1 restarted";
  }
  return ::testing::AssertionSuccess();
}

// Kafka 4 registers some metrics under both kafka.server and org.apache.kafka.server;
// a family fed by both takes the help of whichever bean the agent lists first (the MBean
// server's order), so the bean's domain is left out of the help compared.
std::string without_bean_domain(const std::string& help) {
  static const std::regex bean_domain(R"(^(Attribute exposed for management )[\w.]+:)");
  return std::regex_replace(help, bean_domain, "$1");
}

// Broker 1 runs the agent only while these tests need it.
class JmxAgentComparison : public JmxCluster {
 protected:
  static void TearDownTestSuite() {
    if (!agent_rules().empty()) {
      EXPECT_TRUE(restart_broker_1_with_agent(""));
    }
  }

  // The same rules file read by the real agent on broker 1 and by our bridge: the
  // same series, the same values for gauges that hold still, the same types and help.
  void expect_same_series_as_the_agent(const std::string& rules) {
    if (!port_open(kAgentPort) || agent_rules() != rules) {
      ASSERT_TRUE(restart_broker_1_with_agent(rules));
    }
    ASSERT_TRUE(
        wait_until([] { return agent_page().find("\n# TYPE kafka_") != std::string::npos; }, seconds(240)))
        << "the agent on " << kAgentPort << " serves no kafka_ family";

    const SeriesSet agent_before = test::parse_exposition(agent_page());
    BridgeStatus status;
    const SeriesSet ours = test::series_of(collect_with(rules, &status));
    const SeriesSet agent_after = test::parse_exposition(agent_page());
    ASSERT_TRUE(status.up) << status.last_error;

    std::vector<std::string> missing, extra;
    for (const auto& [key, value] : agent_before.values) {
      if (kAgentOnly.count(test::name_of(key)) > 0 || timing_dependent(key)) continue;
      if (agent_after.values.count(key) == 0) continue;  // came and went
      // Jolokia's JSON carries a NaN double as null, so such an attribute has no value for
      // us: absent, where the agent serves NaN (a ZooKeeper-mode broker's control-plane
      // processor, for one, when no control-plane listener is set).
      if (std::isnan(value)) continue;
      if (ours.values.count(key) == 0) missing.push_back(key);
    }
    for (const auto& [key, value] : ours.values) {
      if (test::name_of(key).rfind("kafka_sidecar_", 0) == 0 || timing_dependent(key)) continue;
      if (agent_before.values.count(key) == 0 && agent_after.values.count(key) == 0) {
        extra.push_back(key);
      }
    }
    const auto show = [](const std::vector<std::string>& keys) {
      std::string out;
      for (size_t i = 0; i < keys.size() && i < 30; ++i) out += "\n  " + keys[i];
      return out;
    };
    EXPECT_TRUE(missing.empty()) << missing.size() << " agent series we lack:" << show(missing);
    EXPECT_TRUE(extra.empty()) << extra.size() << " series the agent lacks:" << show(extra);
    EXPECT_GT(ours.values.size(), 100u);

    size_t held_still = 0;
    for (const std::string& key : kStableGauges) {
      const double before = value_or_nan(agent_before, key);
      const double after = value_or_nan(agent_after, key);
      if (std::isnan(before) || before != after) continue;  // moved, or absent on this broker
      ++held_still;
      EXPECT_EQ(value_or_nan(ours, key), before) << key;
    }
    EXPECT_GE(held_still, 5u) << "too few stable gauges to compare values";
    // Same types and help text as the agent for the families both serve.
    size_t compared = 0;
    for (const auto& [name, type] : agent_after.type) {
      if (ours.type.count(name) == 0) continue;
      ++compared;
      EXPECT_EQ(ours.type.at(name), type) << name;
      EXPECT_EQ(without_bean_domain(ours.help.at(name)), without_bean_domain(agent_after.help.at(name)))
          << name;
    }
    EXPECT_GT(compared, 30u);
  }
};

TEST_F(JmxAgentComparison, OurRulesGiveTheSameSeriesAsTheJmxExporterAgent) {
  expect_same_series_as_the_agent(kse::test::source_dir() + "/exporter/kafka-broker-rules.yml");
}

TEST_F(JmxAgentComparison, SeedRulesGiveTheSameSeriesAsTheJmxExporterAgent) {
  if (!std::ifstream(seed_rules_path())) {
    GTEST_SKIP() << "seed assets absent: " << seed_rules_path();
  }
  expect_same_series_as_the_agent(seed_rules_without_delay());
}

}  // namespace
}  // namespace kse::jmx
