// The probe on the real cluster: its topic as Kafka's own tool describes it, its
// counters against the topic's offsets, and a hung broker seen within two intervals.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <map>
#include <regex>
#include <set>
#include <thread>

#include "../exporter/exporter_process.h"
#include "support/kafka_tools.h"
#include "support/test_support.h"

namespace kse::test {
namespace {

using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

constexpr const char* kTopic = "_kse_probe_it";
constexpr int kPortBase = 19071;

int port_offset() {
  const char* offset = std::getenv("KSE_PORT_OFFSET");
  return offset ? std::atoi(offset) : 0;
}
std::string bootstrap() { return "127.0.0.1:" + std::to_string(9092 + port_offset()); }
int broker_port(int broker) { return kPortBase + broker - 1; }

std::string scrape(int port) {
  return run_command("curl -s -m 2 http://127.0.0.1:" + std::to_string(port) + "/metrics", 5s).output;
}

// The value of the series `name{labels}` on a page, or -1.
double series_value(const std::string& page, const std::string& series) {
  const auto at = page.find("\n" + series + " ");
  if (at == std::string::npos) return -1;
  return std::stod(page.substr(at + series.size() + 2));
}

double probe_value(const std::string& name, int broker) {
  return series_value(scrape(broker_port(broker)), name + "{broker=\"" + std::to_string(broker) + "\"}");
}

class ProbeClusterTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    // A fresh probe topic, so its offsets count only this run's messages.
    kafka_tool("kafka-topics",
               "--bootstrap-server " + bootstrap() + " --delete --if-exists --topic " + kTopic);
    for (int i = 0; i < 60; ++i) {
      auto list = kafka_tool("kafka-topics", "--bootstrap-server " + bootstrap() + " --list");
      if (list.output.find(kTopic) == std::string::npos) break;
      std::this_thread::sleep_for(500ms);
    }
    exporter_ = new ExporterProcess({"--bootstrap-servers",
                                     bootstrap(),
                                     "--listen-address",
                                     "127.0.0.1",
                                     "--cluster-port",
                                     "19308",
                                     "--set",
                                     "serve.broker_port_base=" + std::to_string(kPortBase),
                                     "--set",
                                     "collect.interval=3s",
                                     "--set",
                                     "collect.timeout=2s",
                                     "--set",
                                     "kafka.request_timeout=1s",
                                     "--set",
                                     "probe.interval=1s",
                                     "--set",
                                     std::string("probe.topic=") + kTopic,
                                     "--set",
                                     "probe.group=_kse_probe_it_group"},
                                    ::testing::TempDir() + "/probe-exporter.log");
    ASSERT_TRUE(ExporterProcess::wait_ready(19308, 60s));
  }
  static void TearDownTestSuite() {
    delete exporter_;
    exporter_ = nullptr;
  }

  static bool wait_all_up(std::chrono::seconds timeout) {
    const auto deadline = Clock::now() + timeout;
    while (Clock::now() < deadline) {
      if (probe_value("kafka_probe_up", 1) == 1 && probe_value("kafka_probe_up", 2) == 1 &&
          probe_value("kafka_probe_up", 3) == 1) {
        return true;
      }
      std::this_thread::sleep_for(300ms);
    }
    return false;
  }

  static ExporterProcess* exporter_;
};
ExporterProcess* ProbeClusterTest::exporter_ = nullptr;

TEST_F(ProbeClusterTest, EveryBrokerIsThePreferredLeaderOfAProbePartitionAndIsUp) {
  ASSERT_TRUE(wait_all_up(90s)) << scrape(broker_port(1));
  auto describe =
      kafka_tool("kafka-topics", "--bootstrap-server " + bootstrap() + " --describe --topic " + kTopic);
  ASSERT_EQ(describe.exit_code, 0) << describe.output;
  const auto topics = parse_topics_describe(describe.output);
  ASSERT_EQ(topics.count(kTopic), 1u) << describe.output;
  std::set<int32_t> preferred;
  std::set<int32_t> leaders;
  for (const auto& partition : topics.at(kTopic).partitions) {
    ASSERT_FALSE(partition.replicas.empty());
    preferred.insert(partition.replicas.front());
    leaders.insert(partition.leader);
    EXPECT_EQ(partition.replicas.size(), 3u);
  }
  EXPECT_EQ(preferred, (std::set<int32_t>{1, 2, 3})) << describe.output;
  EXPECT_EQ(leaders, (std::set<int32_t>{1, 2, 3})) << describe.output;
  // Latency histograms are served on the measured broker's port only.
  for (int broker : {1, 2, 3}) {
    const std::string page = scrape(broker_port(broker));
    for (int other : {1, 2, 3}) {
      const bool has = page.find("kafka_probe_end_to_end_latency_seconds_count{broker=\"" +
                                 std::to_string(other) + "\"}") != std::string::npos;
      EXPECT_EQ(has, other == broker) << "port of broker " << broker << ", series of broker " << other;
    }
  }
}

TEST_F(ProbeClusterTest, AcknowledgedCountMatchesTheTopicOffsetsAndNothingIsLost) {
  ASSERT_TRUE(wait_all_up(90s));
  std::this_thread::sleep_for(3s);
  auto sent_sum = [] {
    double sum = 0;
    for (int broker : {1, 2, 3}) sum += probe_value("kafka_probe_messages_sent_total", broker);
    return sum;
  };
  const double before = sent_sum();
  auto offsets = kafka_tool("kafka-get-offsets", "--bootstrap-server " + bootstrap() + " --topic " + kTopic);
  ASSERT_EQ(offsets.exit_code, 0) << offsets.output;
  const double after = sent_sum();
  double end_offsets = 0;
  for (const auto& [key, offset] : parse_get_offsets(offsets.output))
    end_offsets += static_cast<double>(offset);
  // Every acknowledged message is in the log; at most one per partition per
  // interval can be written but not yet acknowledged when the tool reads.
  EXPECT_GE(end_offsets, before);
  EXPECT_LE(end_offsets, after + 3 * 3) << "before " << before << " after " << after;
  EXPECT_GT(before, 9);
  for (int broker : {1, 2, 3}) {
    EXPECT_EQ(probe_value("kafka_probe_messages_lost_total", broker), 0);
    EXPECT_EQ(probe_value("kafka_probe_messages_duplicated_total", broker), 0);
    EXPECT_GT(probe_value("kafka_probe_messages_received_total", broker), 0);
  }
  // Commits are timed on the group coordinator's port, once the exporter knows it.
  bool commit_latency = false;
  for (int i = 0; i < 40 && !commit_latency; ++i) {
    for (int broker : {1, 2, 3}) {
      if (probe_value("kafka_probe_commit_latency_seconds_count", broker) > 0) commit_latency = true;
    }
    if (!commit_latency) std::this_thread::sleep_for(500ms);
  }
  EXPECT_TRUE(commit_latency) << "no commit latency on any broker's port";
  // The probe's consumer reports its librdkafka statistics too.
  EXPECT_NE(scrape(19308).find("kafka_client_messages_received_total{client_id=\"kse-probe-consumer\""),
            std::string::npos);
  // The probe's group is the one Kafka knows, with committed offsets on its topic.
  auto group = kafka_tool("kafka-consumer-groups",
                          "--bootstrap-server " + bootstrap() + " --describe --group _kse_probe_it_group");
  EXPECT_NE(group.output.find(kTopic), std::string::npos) << group.output;
}

TEST_F(ProbeClusterTest, WritesToNoTopicButItsOwn) {
  ASSERT_TRUE(wait_all_up(90s));
  auto end_offsets = [] {
    auto offsets = kafka_tool("kafka-get-offsets", "--bootstrap-server " + bootstrap());
    EXPECT_EQ(offsets.exit_code, 0) << offsets.output;
    auto parsed = parse_get_offsets(offsets.output);
    // Commits of every group, the probe's included, are Kafka's own writes.
    std::erase_if(parsed, [](const auto& entry) { return entry.first.first == "__consumer_offsets"; });
    return parsed;
  };
  const auto before = end_offsets();
  const double sent_before = probe_value("kafka_probe_messages_sent_total", 1);
  std::this_thread::sleep_for(5s);
  const auto after = end_offsets();
  EXPECT_GE(probe_value("kafka_probe_messages_sent_total", 1), sent_before + 3) << "the probe did not run";
  ASSERT_FALSE(before.empty());
  int64_t probe_growth = 0;
  for (const auto& [partition, offset] : after) {
    const auto was = before.find(partition);
    const int64_t growth = offset - (was == before.end() ? 0 : was->second);
    if (partition.first == kTopic) {
      probe_growth += growth;
    } else {
      EXPECT_EQ(growth, 0) << partition.first << "-" << partition.second << " grew while only the probe ran";
    }
  }
  EXPECT_GT(probe_growth, 0);
}

TEST_F(ProbeClusterTest, HungBrokerIsDownWithinTwoIntervalsAndRecovers) {
  ASSERT_TRUE(wait_all_up(90s));
  auto pause = cluster_script("pause-broker 2");
  ASSERT_EQ(pause.exit_code, 0) << pause.output;
  const auto paused = Clock::now();  // the broker is stopped once the command returns
  std::optional<std::chrono::milliseconds> seen_down;
  std::string page;
  while (Clock::now() - paused < 20s) {
    page = scrape(broker_port(2));
    if (series_value(page, "kafka_probe_up{broker=\"2\"}") == 0) {
      seen_down = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - paused);
      break;
    }
    std::this_thread::sleep_for(100ms);
  }
  const bool latency_gone =
      page.find("kafka_probe_end_to_end_latency_seconds_count{broker=\"2\"}") == std::string::npos;
  auto resume = cluster_script("resume-broker 2");
  ASSERT_EQ(resume.exit_code, 0) << resume.output;
  ASSERT_TRUE(seen_down.has_value()) << "broker 2 still up 20 s after pause";
  std::printf("probe: broker 2 reported down %lld ms after pause-broker 2 (probe interval 1000 ms)\n",
              static_cast<long long>(seen_down->count()));
  // Two intervals, plus the half interval between page renders and the scrape itself.
  EXPECT_LE(seen_down->count(), 2 * 1000 + 500 + 300);
  EXPECT_TRUE(latency_gone) << "latency series of a down broker must be left out";
  EXPECT_TRUE(wait_all_up(120s)) << "broker 2 did not come back";
}

// After a restart the broker is a follower of its probe partition; the exporter
// asks for the preferred leader back instead of waiting minutes for Kafka's rebalance.
TEST_F(ProbeClusterTest, RestartedBrokerLeadsItsProbePartitionAgain) {
  ASSERT_TRUE(wait_all_up(90s));
  auto stop = cluster_script("stop-broker 3");
  ASSERT_EQ(stop.exit_code, 0) << stop.output;
  // A graceful stop hands its partition to another broker first: the messages that
  // one serves must not keep broker 3 looking alive.
  bool seen_down = false;
  for (int i = 0; i < 40 && !seen_down; ++i) {
    seen_down = probe_value("kafka_probe_up", 3) == 0;
    if (!seen_down) std::this_thread::sleep_for(250ms);
  }
  EXPECT_TRUE(seen_down) << "broker 3 still reported up 10 s after it stopped";
  auto start = cluster_script("start-broker 3");
  ASSERT_EQ(start.exit_code, 0) << start.output;
  const auto restarted = Clock::now();
  ASSERT_TRUE(wait_all_up(120s)) << "broker 3's probe did not recover";
  std::printf("probe: broker 3 measured again %lld s after its restart\n",
              static_cast<long long>(
                  std::chrono::duration_cast<std::chrono::seconds>(Clock::now() - restarted).count()));
  auto describe =
      kafka_tool("kafka-topics", "--bootstrap-server " + bootstrap() + " --describe --topic " + kTopic);
  std::set<int32_t> leaders;
  const auto topics = parse_topics_describe(describe.output);
  ASSERT_EQ(topics.count(kTopic), 1u) << describe.output;
  for (const auto& partition : topics.at(kTopic).partitions) leaders.insert(partition.leader);
  EXPECT_EQ(leaders, (std::set<int32_t>{1, 2, 3})) << describe.output;
}

}  // namespace
}  // namespace kse::test
