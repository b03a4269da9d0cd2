// The collector's numbers against what Kafka's own tools print on the same state.
#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/use_future.hpp>
#include <cmath>
#include <thread>

#include "collector/collector.h"
#include "kafka/client/kafka_client.h"
#include "model/derived.h"
#include "model/model.h"
#include "support/kafka_tools.h"
#include "support/test_support.h"

namespace kse::collector {
namespace {

using kse::test::kafka_tool;
using kse::test::kBootstrap;
using model::CollectorId;

class CollectorTruthTest : public ::testing::Test {
 protected:
  void SetUp() override {
    kafka::ClientConfig config;
    config.bootstrap_servers = {"127.0.0.1:9092", "127.0.0.1:9192", "127.0.0.1:9292"};
    config.request_timeout = std::chrono::seconds(5);
    config.connect_timeout = std::chrono::seconds(3);
    client_ = std::make_unique<kafka::KafkaClient>(io_, config);
    CollectorOptions options;
    options.cycle_timeout = std::chrono::seconds(8);
    options.request_timeout = std::chrono::seconds(5);
    collector_ = std::make_unique<Collector>(*client_, options);
    thread_ = std::thread([this] { io_.run(); });
  }
  void TearDown() override {
    boost::asio::post(io_, [this] { client_.reset(); });
    work_.reset();
    io_.stop();
    thread_.join();
  }

  model::ClusterSnapshot collect() {
    return boost::asio::co_spawn(io_, collector_->collect(), boost::asio::use_future).get();
  }

  // A new topic reaches every broker's metadata cache a moment after its creation.
  model::ClusterSnapshot collect_with_topic(const std::string& name) {
    model::ClusterSnapshot snapshot;
    for (int attempt = 0; attempt < 20; ++attempt) {
      snapshot = collect();
      const auto* t = topic(snapshot, name);
      if (t != nullptr && !t->partitions.empty() &&
          std::all_of(t->partitions.begin(), t->partitions.end(),
                      [](const auto& p) { return p.latest_offset.has_value(); })) {
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(500));
    }
    return snapshot;
  }

  // Waits until one cycle reads every partition's offsets, so that a test starts
  // from a cluster where earlier kills, restarts and deletions have settled.
  bool settled() {
    for (int attempt = 0; attempt < 60; ++attempt) {
      auto snapshot = collect();
      bool complete = snapshot.collectors[CollectorId::kOffsets].up && !snapshot.topics.empty();
      for (const auto& t : snapshot.topics) {
        for (const auto& p : t.partitions) complete = complete && p.latest_offset.has_value();
      }
      if (complete) return true;
      std::this_thread::sleep_for(std::chrono::seconds(1));
    }
    return false;
  }

  static const model::TopicState* topic(const model::ClusterSnapshot& s, const std::string& name) {
    for (const auto& t : s.topics) {
      if (t.name == name) return &t;
    }
    return nullptr;
  }

  static std::string describe(const std::string& topic) {
    auto result = kafka_tool(
        "kafka-topics", std::string("--bootstrap-server ") + kBootstrap + " --describe --topic " + topic);
    EXPECT_EQ(result.exit_code, 0) << result.output;
    return result.output;
  }

  static void create_topic(const std::string& name, int partitions, int replication) {
    auto result = kafka_tool("kafka-topics", std::string("--bootstrap-server ") + kBootstrap +
                                                 " --create --if-not-exists --topic " + name +
                                                 " --partitions " + std::to_string(partitions) +
                                                 " --replication-factor " + std::to_string(replication));
    ASSERT_EQ(result.exit_code, 0) << result.output;
  }

  static void produce(const std::string& topic, int count) {
    auto result =
        kafka_tool("kafka-producer-perf-test",
                   "--topic " + topic + " --num-records " + std::to_string(count) +
                       " --record-size 100 --throughput -1 --producer-props bootstrap.servers=" + kBootstrap +
                       " acks=all linger.ms=5");
    ASSERT_EQ(result.exit_code, 0) << result.output;
  }

  boost::asio::io_context io_;
  std::optional<boost::asio::executor_work_guard<boost::asio::io_context::executor_type>> work_{
      io_.get_executor()};
  std::unique_ptr<kafka::KafkaClient> client_;
  std::unique_ptr<Collector> collector_;
  std::thread thread_;
};

TEST_F(CollectorTruthTest, MetadataMatchesKafkaTopicsDescribe) {
  auto snapshot = collect();
  ASSERT_TRUE(snapshot.collectors[CollectorId::kMetadata].up)
      << snapshot.collectors[CollectorId::kMetadata].error;
  ASSERT_EQ(snapshot.brokers.size(), 3u);
  EXPECT_EQ(snapshot.brokers[0].port, 9092);
  auto tool = kse::test::parse_topics_describe(describe("position"));
  const auto* position = topic(snapshot, "position");
  ASSERT_NE(position, nullptr);
  EXPECT_EQ(position->min_insync_replicas, 2);
  ASSERT_EQ(position->partitions.size(), tool["position"].partitions.size());
  for (const auto& expected : tool["position"].partitions) {
    const auto& actual = position->partitions[static_cast<size_t>(expected.partition)];
    EXPECT_EQ(actual.leader, expected.leader) << "partition " << expected.partition;
    EXPECT_EQ(actual.replicas, expected.replicas) << "partition " << expected.partition;
    EXPECT_EQ(actual.isr, expected.isr) << "partition " << expected.partition;
  }
  std::string said;
  const int32_t controller = kse::test::tool_controller_id(&said);
  EXPECT_TRUE(snapshot.collectors.up(CollectorId::kQuorum))
      << snapshot.collectors[CollectorId::kQuorum].error;
  if (kse::test::zookeeper_mode()) {
    // Metadata names the active controller; there is no quorum to describe: absent, not an
    // empty one, and said so.
    EXPECT_EQ(snapshot.controller_id, controller) << said;
    EXPECT_FALSE(snapshot.quorum.has_value());
    EXPECT_EQ(snapshot.metadata_mode, "zookeeper");
    return;
  }
  // In KRaft, Metadata's controller id is any live broker (clients cannot reach the
  // controllers); the active controller is the quorum's leader.
  EXPECT_EQ(snapshot.metadata_mode, "kraft");
  ASSERT_TRUE(snapshot.quorum.has_value()) << snapshot.collectors[CollectorId::kQuorum].error;
  EXPECT_EQ(snapshot.quorum->voters.size(), 3u);
  EXPECT_EQ(snapshot.quorum->leader_id, controller) << said;
}

TEST_F(CollectorTruthTest, OffsetsAfterProducingAKnownNumberOfMessages) {
  create_topic("truth-offsets", 3, 3);
  auto before = collect_with_topic("truth-offsets");
  ASSERT_NE(topic(before, "truth-offsets"), nullptr);
  int64_t sum_before = 0;
  for (const auto& p : topic(before, "truth-offsets")->partitions) sum_before += p.latest_offset.value_or(-1);
  produce("truth-offsets", 3000);
  auto after = collect();
  auto tool =
      kse::test::parse_get_offsets(kafka_tool("kafka-get-offsets", std::string("--bootstrap-server ") +
                                                                       kBootstrap + " --topic truth-offsets")
                                       .output);
  int64_t sum_after = 0;
  for (const auto& p : topic(after, "truth-offsets")->partitions) {
    ASSERT_TRUE(p.latest_offset.has_value());
    EXPECT_EQ(*p.latest_offset, tool.at({"truth-offsets", p.partition})) << "partition " << p.partition;
    EXPECT_EQ(p.earliest_offset, 0);
    EXPECT_EQ(p.last_stable_offset, p.latest_offset);
    sum_after += *p.latest_offset;
  }
  EXPECT_EQ(sum_after - sum_before, 3000);
}

TEST_F(CollectorTruthTest, GroupLagAfterACommitAtAKnownOffset) {
  create_topic("truth-lag", 2, 3);
  produce("truth-lag", 1000);
  // Commit half of each partition's log end (a reset is capped at the log end, and the
  // producer may have filled one partition only).
  auto ends = kse::test::parse_get_offsets(
      kafka_tool("kafka-get-offsets", std::string("--bootstrap-server ") + kBootstrap + " --topic truth-lag")
          .output);
  ASSERT_EQ(ends.size(), 2u);
  std::map<int32_t, int64_t> committed;
  std::string csv;
  for (const auto& [tp, end] : ends) {
    committed[tp.second] = end / 2;
    csv += "truth-lag," + std::to_string(tp.second) + "," + std::to_string(end / 2) + "\n";
  }
  kse::test::run_command("printf '" + csv + "' > /tmp/kse-truth-lag.csv");
  auto reset =
      kafka_tool("kafka-consumer-groups",
                 std::string("--bootstrap-server ") + kBootstrap +
                     " --group truth-group --reset-offsets --from-file /tmp/kse-truth-lag.csv --execute");
  ASSERT_EQ(reset.exit_code, 0) << reset.output;
  auto snapshot = collect();
  ASSERT_TRUE(snapshot.collectors[CollectorId::kGroups].up)
      << snapshot.collectors[CollectorId::kGroups].error;
  auto described = kse::test::parse_group_describe(
      kafka_tool("kafka-consumer-groups",
                 std::string("--bootstrap-server ") + kBootstrap + " --describe --group truth-group")
          .output);
  ASSERT_EQ(described.size(), 2u);
  auto families = model::build_cluster_families(snapshot, {}, {});
  for (const auto& row : described) {
    ASSERT_TRUE(row.current_offset.has_value());
    EXPECT_EQ(*row.current_offset, committed[row.partition]);
    bool found = false;
    for (const auto& family : families) {
      if (family.name != "kafka_consumergroup_lag") continue;
      for (const auto& sample : family.samples) {
        if (sample.label_values ==
            std::vector<std::string>{"truth-group", "truth-lag", std::to_string(row.partition)}) {
          found = true;
          EXPECT_EQ(sample.value, static_cast<double>(*row.lag)) << "partition " << row.partition;
        }
      }
    }
    EXPECT_TRUE(found) << "no lag series for partition " << row.partition;
  }
  const model::GroupState* group = nullptr;
  for (const auto& g : snapshot.groups) {
    if (g.group_id == "truth-group") group = &g;
  }
  ASSERT_NE(group, nullptr);
  EXPECT_EQ(group->state, "Empty");
}

TEST_F(CollectorTruthTest, LogDirSizesWithinOnePercentOfKafkaLogDirs) {
  produce("position", 2000);
  auto tool = kafka_tool("kafka-log-dirs", std::string("--bootstrap-server ") + kBootstrap +
                                               " --describe --broker-list 1,2,3 --topic-list position");
  ASSERT_EQ(tool.exit_code, 0) << tool.output;
  auto expected = kse::test::parse_log_dirs(tool.output);
  ASSERT_EQ(expected.size(), 15u) << tool.output;
  auto snapshot = collect();
  ASSERT_TRUE(snapshot.collectors[CollectorId::kLogDirs].up)
      << snapshot.collectors[CollectorId::kLogDirs].error;
  // A log dir's total and usable bytes come with DescribeLogDirs v4 (Kafka 3.3, KIP-827):
  // before that they are unknown, so absent, never 0.
  const bool sizes_known = kse::test::cluster_env()["KAFKA_VERSION"].rfind("2.", 0) != 0;
  for (const auto& e : expected) {
    bool found = false;
    for (const auto& dir : snapshot.log_dirs) {
      if (dir.broker != e.broker) continue;
      if (sizes_known) {
        EXPECT_TRUE(dir.total_bytes.has_value() && *dir.total_bytes > 0);
      } else {
        EXPECT_FALSE(dir.total_bytes.has_value() || dir.usable_bytes.has_value());
      }
      for (const auto& replica : dir.replicas) {
        if (replica.topic == e.topic && replica.partition == e.partition) {
          found = true;
          EXPECT_LE(std::abs(static_cast<double>(replica.size_bytes - e.size)),
                    0.01 * static_cast<double>(std::max<int64_t>(e.size, 1)) + 1)
              << "broker " << e.broker << " " << e.topic << "-" << e.partition;
        }
      }
    }
    EXPECT_TRUE(found) << "broker " << e.broker << " " << e.topic << "-" << e.partition;
  }
}

TEST_F(CollectorTruthTest, KilledBrokerMakesItsPartitionsUnderReplicatedAndComesBack) {
  model::DerivedState derived;
  // Broker 2 must lead something for its death to move leaders: earlier tests may have left
  // its partitions led by others, which a preferred election gives back.
  kafka_tool("kafka-leader-election", std::string("--bootstrap-server ") + kBootstrap +
                                          " --election-type PREFERRED --all-topic-partitions");
  model::ClusterSnapshot baseline;
  size_t led_by_two = 0;
  for (int attempt = 0; attempt < 30 && led_by_two == 0; ++attempt) {
    if (attempt > 0) std::this_thread::sleep_for(std::chrono::seconds(1));
    baseline = collect();
    led_by_two = 0;
    for (const auto& t : baseline.topics) {
      for (const auto& p : t.partitions) led_by_two += p.leader == 2;
    }
  }
  ASSERT_GT(led_by_two, 0u) << "broker 2 leads no partition even after a preferred election";
  model::advance(derived, baseline);
  ASSERT_EQ(kse::test::cluster_script("kill-broker 2").exit_code, 0);
  auto tool_urp = [] {
    return kse::test::parse_topics_describe(
        kafka_tool("kafka-topics", std::string("--bootstrap-server ") + kBootstrap +
                                       " --describe --under-replicated-partitions")
            .output);
  };
  // The controller drops broker 2 from the ISRs after its session times out, partition by
  // partition: the exporter's cycle and the tool are two moments of that change, compared
  // until they agree (or 30 attempts show they do not).
  model::ClusterSnapshot down;
  size_t urp = 0;
  size_t expected_urp = 0;
  for (int attempt = 0; attempt < 30; ++attempt) {
    down = collect();
    urp = 0;
    for (const auto& t : down.topics) {
      for (const auto& p : t.partitions) urp += p.isr.size() < p.replicas.size();
    }
    if (urp > 0 && !down.topics.empty()) {
      expected_urp = 0;
      for (const auto& [name, t] : tool_urp()) expected_urp += t.partitions.size();
      if (urp == expected_urp) break;
    }
    std::this_thread::sleep_for(std::chrono::seconds(1));
  }
  model::advance(derived, down);
  EXPECT_GT(urp, 0u);
  EXPECT_EQ(urp, expected_urp);
  // Every partition with a replica on broker 2 is under-replicated, and only those.
  for (const auto& t : down.topics) {
    for (const auto& p : t.partitions) {
      const bool on_two = std::find(p.replicas.begin(), p.replicas.end(), 2) != p.replicas.end();
      EXPECT_EQ(p.isr.size() < p.replicas.size(), on_two) << t.name << "-" << p.partition;
    }
  }
  uint64_t leader_changes = 0;
  for (const auto& [topic_name, counters] : derived.topic_changes) leader_changes += counters.leader_changes;
  EXPECT_GT(leader_changes, 0u) << "partitions led by broker 2 moved";

  ASSERT_EQ(kse::test::cluster_script("start-broker 2").exit_code, 0);
  size_t urp_after = 1;
  for (int attempt = 0; attempt < 60 && urp_after > 0; ++attempt) {
    auto up = collect();
    urp_after = 0;
    for (const auto& t : up.topics) {
      for (const auto& p : t.partitions) urp_after += p.isr.size() < p.replicas.size();
    }
    if (urp_after > 0) std::this_thread::sleep_for(std::chrono::seconds(1));
  }
  EXPECT_EQ(urp_after, 0u);
}

// Two of three replicas down. Brokers 1..3 are also the KRaft voters, and killing two
// of them would stop the controller that shrinks ISRs, so the replicas here live on
// two broker-only nodes (4 and 5, as the course's workshop 8 adds them) and broker 1.
TEST_F(CollectorTruthTest, UnderMinIsrWhenTwoOfThreeReplicasAreDown) {
  ASSERT_EQ(kse::test::cluster_script("add-broker 4").exit_code, 0);
  ASSERT_EQ(kse::test::cluster_script("add-broker 5").exit_code, 0);
  auto create = kafka_tool("kafka-topics", std::string("--bootstrap-server ") + kBootstrap +
                                               " --create --if-not-exists --topic truth-min-isr"
                                               " --replica-assignment 4:5:1,5:1:4"
                                               " --config min.insync.replicas=2");
  ASSERT_EQ(create.exit_code, 0) << create.output;
  ASSERT_NE(topic(collect_with_topic("truth-min-isr"), "truth-min-isr"), nullptr);
  ASSERT_EQ(kse::test::cluster_script("kill-broker 4").exit_code, 0);
  ASSERT_EQ(kse::test::cluster_script("kill-broker 5").exit_code, 0);
  size_t under_min = 0;
  for (int attempt = 0; attempt < 30 && under_min < 2; ++attempt) {
    auto snapshot = collect();
    under_min = 0;
    if (const auto* t = topic(snapshot, "truth-min-isr")) {
      EXPECT_EQ(t->min_insync_replicas, 2);
      for (const auto& p : t->partitions) {
        under_min += static_cast<int32_t>(p.isr.size()) < t->min_insync_replicas.value_or(0);
      }
    }
    if (under_min < 2) std::this_thread::sleep_for(std::chrono::seconds(1));
  }
  auto tool = kse::test::parse_topics_describe(
      kafka_tool("kafka-topics", std::string("--bootstrap-server ") + kBootstrap +
                                     " --describe --under-min-isr-partitions --topic truth-min-isr")
          .output);
  kafka_tool("kafka-topics",
             std::string("--bootstrap-server ") + kBootstrap + " --delete --topic truth-min-isr");
  for (int attempt = 0; attempt < 30 && topic(collect(), "truth-min-isr") != nullptr; ++attempt) {
    std::this_thread::sleep_for(std::chrono::seconds(1));
  }
  EXPECT_EQ(under_min, 2u);
  EXPECT_EQ(tool["truth-min-isr"].partitions.size(), 2u);
  EXPECT_EQ(kse::test::remove_extra_broker(4), "");
  EXPECT_EQ(kse::test::remove_extra_broker(5), "");
}

// The broker paused is the active controller: besides its own partitions, it then also
// hangs every request the other brokers forward to it in KRaft (DescribeQuorum,
// ListPartitionReassignments), or that only it answers in ZooKeeper mode
// (ListPartitionReassignments), and those must not hold up the other brokers' answers.
TEST_F(CollectorTruthTest, PausedBrokerTimesOutAloneWithinTheCycle) {
  ASSERT_TRUE(settled()) << "the cluster never answered for every partition before the pause";
  std::string said;
  const int32_t paused = kse::test::tool_controller_id(&said);
  ASSERT_TRUE(paused >= 1 && paused <= 3) << said;
  const std::string broker = std::to_string(paused);
  ASSERT_EQ(kse::test::cluster_script("pause-broker " + broker).exit_code, 0);
  const auto started = std::chrono::steady_clock::now();
  auto snapshot = collect();
  const auto took = std::chrono::steady_clock::now() - started;
  ASSERT_EQ(kse::test::cluster_script("resume-broker " + broker).exit_code, 0);
  EXPECT_LT(took, std::chrono::seconds(15));
  ASSERT_TRUE(snapshot.collectors[CollectorId::kMetadata].up);
  // Partitions led by the two others still have offsets; those led by the paused one do not.
  for (const auto& t : snapshot.topics) {
    for (const auto& p : t.partitions) {
      EXPECT_EQ(p.latest_offset.has_value(), p.leader != paused)
          << t.name << "-" << p.partition << " led by " << p.leader << ", broker " << paused << " paused";
    }
  }
  EXPECT_FALSE(snapshot.collectors[CollectorId::kOffsets].up);
  // Whether or not it is still registered, the paused broker answered nothing; the other
  // voters did (an extra broker another test left stopped would be down, and fenced).
  for (const auto& b : snapshot.brokers) {
    if (b.id > 3) continue;
    EXPECT_EQ(b.reachable, b.id != paused) << "broker " << b.id << ", broker " << paused << " paused";
  }
}

// Limited rights (a managed cluster's user): alice may see `testing` but not its
// configuration. Only the topic-config collector fails, naming why; the rest works.
TEST_F(CollectorTruthTest, AnAuthorizationErrorFailsOnlyItsCollector) {
  if (kse::test::cluster_script("env").output.find("SECURE=1") == std::string::npos) {
    GTEST_SKIP() << "the cluster runs without its SASL listeners (cluster/kafka-cluster start --secure)";
  }
  const std::string acl = std::string("--bootstrap-server ") + kBootstrap + " --topic testing --force ";
  ASSERT_EQ(
      kafka_tool("kafka-acls", acl + "--add --allow-principal User:alice --operation Describe").exit_code, 0);
  ASSERT_EQ(kafka_tool("kafka-acls", acl + "--add --deny-principal User:alice --operation DescribeConfigs")
                .exit_code,
            0);
  kafka::ClientConfig config;
  config.bootstrap_servers = {"127.0.0.1:9095"};
  config.sasl.mechanism = "PLAIN";
  config.sasl.username = "alice";
  config.sasl.password = "alice-secret";
  config.request_timeout = std::chrono::seconds(5);
  auto alice_client = std::make_unique<kafka::KafkaClient>(io_, config);
  CollectorOptions options;
  options.cycle_timeout = std::chrono::seconds(8);
  options.request_timeout = std::chrono::seconds(5);
  auto as_alice = std::make_unique<Collector>(*alice_client, options);
  model::ClusterSnapshot snapshot;
  // ACLs reach every broker's authorizer a moment after they are created.
  for (int attempt = 0; attempt < 20; ++attempt) {
    snapshot = boost::asio::co_spawn(io_, as_alice->collect(), boost::asio::use_future).get();
    if (!snapshot.collectors[CollectorId::kTopicConfigs].up) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
  }
  // The client belongs to the io thread: it goes there.
  boost::asio::co_spawn(
      io_,
      [&]() -> boost::asio::awaitable<void> {
        as_alice.reset();
        alice_client.reset();
        co_return;
      },
      boost::asio::use_future)
      .get();
  kafka_tool("kafka-acls", acl + "--remove --allow-principal User:alice --operation Describe");
  kafka_tool("kafka-acls", acl + "--remove --deny-principal User:alice --operation DescribeConfigs");
  EXPECT_TRUE(snapshot.collectors[CollectorId::kMetadata].up)
      << snapshot.collectors[CollectorId::kMetadata].error;
  EXPECT_TRUE(snapshot.collectors[CollectorId::kOffsets].up)
      << snapshot.collectors[CollectorId::kOffsets].error;
  EXPECT_FALSE(snapshot.collectors[CollectorId::kTopicConfigs].up);
  EXPECT_NE(
      snapshot.collectors[CollectorId::kTopicConfigs].error.find("topic testing: TOPIC_AUTHORIZATION_FAILED"),
      std::string::npos)
      << snapshot.collectors[CollectorId::kTopicConfigs].error;
  const auto* position = topic(snapshot, "position");
  ASSERT_NE(position, nullptr);
  EXPECT_EQ(position->min_insync_replicas, 2) << "the other topics' configs are still read";
  const auto* testing = topic(snapshot, "testing");
  ASSERT_NE(testing, nullptr);
  EXPECT_FALSE(testing->min_insync_replicas.has_value());
}

}  // namespace
}  // namespace kse::collector
