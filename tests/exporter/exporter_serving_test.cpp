// The running exporter against the live cluster: what each port serves.
#include <gtest/gtest.h>

#include <map>
#include <set>

#include "exporter_process.h"
#include "support/kafka_tools.h"
#include "support/test_support.h"

namespace kse::test {
namespace {

// series line "name{labels}" -> value, from one port's page; a series that appears
// twice on the same page is a test failure.
std::map<std::string, double> scrape(int port, const std::string& curl_flags = "") {
  auto result =
      run_command("curl -sf -m 10 " + curl_flags + " http://127.0.0.1:" + std::to_string(port) + "/metrics");
  std::map<std::string, double> series;
  if (result.exit_code != 0) return series;
  for (const auto& line : split_lines(result.output)) {
    if (line.empty() || line[0] == '#') continue;
    const auto space = line.rfind(' ');
    const bool first = series.emplace(line.substr(0, space), std::stod(line.substr(space + 1))).second;
    EXPECT_TRUE(first) << line.substr(0, space) << " twice on port " << port;
  }
  return series;
}

std::vector<std::string> common_flags() {
  return {"--bootstrap-servers",
          "127.0.0.1:9092,127.0.0.1:9192,127.0.0.1:9292",
          "--listen-address",
          "127.0.0.1",
          "--set",
          "collect.interval=2s",
          "--set",
          "collect.timeout=1500ms",
          "--set",
          "kafka.request_timeout=750ms",
          "--set",
          "probe.enabled=false"};
}

TEST(ExporterServingTest, EachSeriesExactlyOnceAndOnItsOwnersPort) {
  auto flags = common_flags();
  for (const char* f : {"--cluster-port", "19308", "--set", "serve.broker_port_base=17071"})
    flags.push_back(f);
  ExporterProcess exporter(flags, "/tmp/kse-serving-test.log");
  ASSERT_TRUE(ExporterProcess::wait_ready(19308, std::chrono::seconds(30)));
  std::this_thread::sleep_for(std::chrono::seconds(3));  // a second cycle: derived series too

  std::map<int, std::map<std::string, double>> pages;
  for (int port : {19308, 17071, 17072, 17073}) {
    pages[port] = scrape(port);
    ASSERT_FALSE(pages[port].empty()) << "port " << port;
  }
  std::map<std::string, std::vector<int>> where;
  for (const auto& [port, series] : pages) {
    for (const auto& [key, value] : series) where[key].push_back(port);
  }
  for (const auto& [key, ports] : where) {
    EXPECT_EQ(ports.size(), 1u) << key << " served more than once";
    EXPECT_NE(key.rfind("kafka_probe_", 0), 0u) << key << " served with probe.enabled=false";
  }

  EXPECT_EQ(pages[19308]["kafka_brokers"], 3);
  for (int port : {19308, 17071}) {
    const std::string base = "curl -sf -m 5 http://127.0.0.1:" + std::to_string(port);
    EXPECT_EQ(run_command(base + "/healthz").exit_code, 0) << "port " << port;
    EXPECT_EQ(run_command(base + "/ready").exit_code, 0) << "port " << port;
    const auto index = run_command(base + "/").output;
    for (const char* link : {"href=\"/metrics\"", "href=\"/healthz\"", "href=\"/ready\""}) {
      EXPECT_NE(index.find(link), std::string::npos) << "port " << port << " index lacks " << link << ":\n"
                                                     << index;
    }
  }
  for (int broker : {1, 2, 3}) {
    EXPECT_EQ(pages[17070 + broker]["kafka_broker_up{broker=\"" + std::to_string(broker) + "\"}"], 1);
  }
  // Partition offsets on the leader's port, equal to kafka-get-offsets.
  auto topics =
      parse_topics_describe(kafka_tool("kafka-topics", std::string("--bootstrap-server ") + kBootstrap +
                                                           " --describe --topic position")
                                .output);
  auto offsets = parse_get_offsets(
      kafka_tool("kafka-get-offsets", std::string("--bootstrap-server ") + kBootstrap + " --topic position")
          .output);
  for (const auto& partition : topics["position"].partitions) {
    const std::string key = "kafka_topic_partition_current_offset{topic=\"position\",partition=\"" +
                            std::to_string(partition.partition) + "\"}";
    auto& page = pages[17070 + partition.leader];
    ASSERT_TRUE(page.count(key)) << key << " not on the leader's port " << 17070 + partition.leader;
    EXPECT_EQ(page[key], static_cast<double>(offsets[{"position", partition.partition}]));
  }
  // gzip: the same series decompressed.
  EXPECT_EQ(scrape(17071, "--compressed"), scrape(17071));
  auto encoding = [](const std::string& accept) {
    return run_command("curl -s -o /dev/null -D - -m 5 -H 'Accept-Encoding: " + accept +
                       "' http://127.0.0.1:17071/metrics | grep -ci '^content-encoding: gzip'")
        .output;
  };
  EXPECT_EQ(encoding("gzip"), "1\n");
  EXPECT_EQ(encoding("br, gzip;q=0.5"), "1\n");
  EXPECT_EQ(encoding("gzip;q=0"), "0\n");
  EXPECT_EQ(encoding("identity"), "0\n");
  auto root = run_command("curl -s -m 5 http://127.0.0.1:17072/");
  EXPECT_NE(root.output.find("broker 2"), std::string::npos);
  auto missing = run_command("curl -s -o /dev/null -w '%{http_code}' -m 5 http://127.0.0.1:17072/nope");
  EXPECT_EQ(missing.output, "404");
  auto post =
      run_command("curl -s -o /dev/null -w '%{http_code}' -m 5 -X POST http://127.0.0.1:17072/metrics");
  EXPECT_EQ(post.output, "405");
  // A second exporter on the same cluster port says which port is busy and exits 1.
  auto clash = run_command(build_dir() +
                           "/exporter/kafka-sidecar-exporter --listen-address 127.0.0.1 --cluster-port 19308 "
                           "--set serve.broker_port_base=17171 2>&1");
  EXPECT_EQ(clash.exit_code, 1);
  EXPECT_NE(clash.output.find("cannot serve port 19308"), std::string::npos) << clash.output;
  EXPECT_EQ(exporter.stop(), 0);
}

TEST(ExporterServingTest, SidecarsSplitThePortsAndTheLowestIdServesTheCluster) {
  std::vector<std::unique_ptr<ExporterProcess>> sidecars;
  for (int broker : {1, 2, 3}) {
    auto flags = common_flags();
    for (std::string f :
         {std::string("--cluster-port"), std::string("19309"), std::string("--broker-id"),
          std::to_string(broker), std::string("--set"),
          "serve.broker_ports={" + std::to_string(broker) + ": " + std::to_string(17270 + broker) + "}"}) {
      flags.push_back(f);
    }
    sidecars.push_back(
        std::make_unique<ExporterProcess>(flags, "/tmp/kse-sidecar-" + std::to_string(broker) + ".log"));
  }
  for (int broker : {1, 2, 3})
    ASSERT_TRUE(ExporterProcess::wait_ready(17270 + broker, std::chrono::seconds(30)));
  std::this_thread::sleep_for(std::chrono::seconds(3));
  std::map<std::string, int> count;
  for (int port : {19309, 17271, 17272, 17273}) {
    auto page = scrape(port);
    ASSERT_FALSE(page.empty()) << "port " << port;
    for (const auto& [key, value] : page) {
      // Each sidecar reports on itself: those series differ by scrape target, not by name.
      if (key.rfind("kafka_sidecar_", 0) != 0) ++count[key];
    }
  }
  for (const auto& [key, n] : count) EXPECT_EQ(n, 1) << key;
  EXPECT_TRUE(count.count("kafka_brokers"));
  EXPECT_TRUE(count.count("kafka_broker_up{broker=\"3\"}"));
}

// Seed workshop 8: a 4th broker joins and gets its port without a restart; when
// it stops, the port stays and says so.
TEST(ExporterServingTest, JoiningBrokerGetsItsPortAndKeepsItAfterLeaving) {
  auto flags = common_flags();
  for (const char* f : {"--cluster-port", "19608", "--set", "serve.broker_port_base=19671"})
    flags.push_back(f);
  ExporterProcess exporter(flags, "/tmp/kse-joining-broker-test.log");
  ASSERT_TRUE(ExporterProcess::wait_ready(19608, std::chrono::seconds(30)));
  EXPECT_TRUE(scrape(19674).empty()) << "no port for broker 4 before it exists";
  ASSERT_EQ(cluster_script("add-broker 4").exit_code, 0);
  std::map<std::string, double> page;
  for (int attempt = 0; attempt < 30 && page["kafka_broker_up{broker=\"4\"}"] != 1; ++attempt) {
    std::this_thread::sleep_for(std::chrono::seconds(1));
    page = scrape(19674);
  }
  EXPECT_EQ(page["kafka_broker_up{broker=\"4\"}"], 1);
  ASSERT_EQ(cluster_script("stop-broker 4").exit_code, 0);
  for (int attempt = 0; attempt < 60 && page["kafka_broker_up{broker=\"4\"}"] != 0; ++attempt) {
    std::this_thread::sleep_for(std::chrono::seconds(1));
    page = scrape(19674);
  }
  EXPECT_EQ(page["kafka_broker_up{broker=\"4\"}"], 0) << "broker 4's port keeps saying it is gone";
  EXPECT_EQ(scrape(19608)["kafka_brokers"], 3);
  EXPECT_EQ(remove_extra_broker(4), "") << "broker 4 stays registered (fenced) for the suites that follow";
}

}  // namespace
}  // namespace kse::test
