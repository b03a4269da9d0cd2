// Jolokia answers flattened like JmxScraper, JVM series, and a bridge facing a working or a
// broken agent.
#include "jmx/jolokia/jolokia.h"

#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cmath>
#include <thread>

#include "bulk_agent.h"
#include "jmx/jolokia/bridge.h"
#include "jmx/jolokia/jvm_metrics.h"

namespace kse::jmx {
namespace {

using metrics::Family;

const Family* find(const std::vector<Family>& families, const std::string& name) {
  for (const Family& f : families) {
    if (f.name == name) return &f;
  }
  return nullptr;
}

TEST(JolokiaFeed, PatternReadWithCompositeAndTabularValues) {
  auto rules = RuleSet::load_text("", "t");
  RuleEngine engine(rules);
  BeanCatalog catalog(rules);
  AttributeDescriptions descriptions;
  descriptions["java.lang:type=Memory"]["HeapMemoryUsage"] = {"HeapMemoryUsage",
                                                              "javax.management.openmbean.CompositeData"};
  descriptions["kafka.server:type=raft-metrics"]["commit-latency-max"] = {"The maximum time.", "double"};
  engine.begin_cycle();
  catalog.begin_cycle();
  const auto stats = feed_pattern_read_json(R"({
    "java.lang:type=Memory": {"HeapMemoryUsage": {"init": 1, "used": 2, "committed": 3, "max": 4},
                              "Verbose": false, "ObjectName": {"objectName": "java.lang:type=Memory"}},
    "java.lang:type=GarbageCollector,name=G1 Young Generation": {
      "CollectionCount": 5, "MemoryPoolNames": ["a", "b"],
      "LastGcInfo": {"duration": 7, "memoryUsageAfterGc": {"G1 Eden Space": {"init": 0, "used": 8, "committed": 9, "max": -1}}}},
    "java.lang:type=Runtime": {"SystemProperties": {"java.version": "17"}, "Uptime": 11},
    "kafka.server:type=app-info": {"version": "3.9.0", "start-time-ms": 1700000000000},
    "kafka.server:type=raft-metrics": {"commit-latency-max": null, "unknown-null": null}
  })",
                                            catalog, descriptions, engine);
  EXPECT_EQ(stats.beans, 5u);
  const auto families = engine.finish_cycle(2);
  const Family* heap = find(families, "java_lang_Memory_HeapMemoryUsage_used");
  ASSERT_NE(heap, nullptr);
  EXPECT_EQ(heap->samples.at(0).value, 2);
  EXPECT_EQ(heap->samples.at(0).owner, 2);
  EXPECT_EQ(heap->help, "java.lang.management.MemoryUsage java.lang:name=null,type=Memory,attribute=used");
  EXPECT_EQ(find(families, "java_lang_Memory_Verbose")->samples.at(0).value, 0);
  const Family* after = find(families, "java_lang_GarbageCollector_LastGcInfo_memoryUsageAfterGc_used");
  ASSERT_NE(after, nullptr);
  EXPECT_EQ(after->label_names, (std::vector<std::string>{"name", "key"}));
  EXPECT_EQ(after->samples.at(0).label_values,
            (std::vector<std::string>{"G1 Young Generation", "G1 Eden Space"}));
  EXPECT_NE(find(families, "java_lang_GarbageCollector_LastGcInfo_duration"), nullptr);
  EXPECT_EQ(find(families, "java_lang_GarbageCollector_MemoryPoolNames"), nullptr);
  EXPECT_NE(find(families, "java_lang_Runtime_Uptime"), nullptr);
  EXPECT_EQ(find(families, "kafka_server_app_info_version"), nullptr);
  EXPECT_NE(find(families, "kafka_server_app_info_start_time_ms"), nullptr);
  for (const Family& f : families) EXPECT_EQ(f.name.find("SystemProperties"), std::string::npos);
  // Jolokia's null for a double attribute is NaN; a null of unknown type is skipped.
  const Family* nan = find(families, "kafka_server_raft_metrics_commit_latency_max");
  ASSERT_NE(nan, nullptr);
  EXPECT_TRUE(std::isnan(nan->samples.at(0).value));
  EXPECT_EQ(nan->help,
            "The maximum time. kafka.server:name=null,type=raft-metrics,attribute=commit-latency-max");
  EXPECT_EQ(find(families, "kafka_server_raft_metrics_unknown_null"), nullptr);
}

TEST(JolokiaFeed, ExcludedBeansAreSkipped) {
  auto rules = RuleSet::load_text("excludeObjectNames: ['kafka.server:type=*']\n", "t");
  RuleEngine engine(rules);
  BeanCatalog catalog(rules);
  engine.begin_cycle();
  catalog.begin_cycle();
  feed_pattern_read_json(R"({"kafka.server:type=A": {"V": 1}, "kafka.server:type=A,name=B": {"V": 2}})",
                         catalog, {}, engine);
  const auto families = engine.finish_cycle(1);
  ASSERT_EQ(families.size(), 1u);
  EXPECT_EQ(families[0].name, "kafka_server_A_V");
}

TEST(JvmMetrics, NamesAndLabelsOfTheHotspotExports) {
  JvmSnapshot jvm;
  jvm.heap = MemoryUsage{1, 2, 3, 4};
  jvm.non_heap = MemoryUsage{5, 6, 7, -1};
  jvm.pools.push_back({"G1 Eden Space", {1, 2, 3, -1}, MemoryUsage{0, 0, 0, -1}});
  jvm.pools.push_back({"Metaspace", {1, 2, 3, -1}, std::nullopt});
  jvm.collectors.push_back({"G1 Young Generation", 10, 2500});
  jvm.threads_current = 50;
  jvm.thread_states = {{"RUNNABLE", 20}, {"WAITING", 30}};
  jvm.process_cpu_ns = 2.5e9;
  jvm.start_time_ms = 1.7e12;
  jvm.runtime_name = "OpenJDK Runtime Environment";
  jvm.runtime_version = "17.0.15+6";
  jvm.vm_vendor = "Debian";
  const auto families = jvm_families(jvm, 3);
  EXPECT_EQ(find(families, "process_cpu_seconds_total")->samples[0].value, 2.5);
  EXPECT_EQ(find(families, "process_start_time_seconds")->samples[0].value, 1.7e9);
  EXPECT_EQ(find(families, "jvm_memory_bytes_used")->samples[1].label_values[0], "nonheap");
  EXPECT_EQ(find(families, "jvm_memory_pool_collection_used_bytes")->samples.size(), 1u);
  const Family* gc = find(families, "jvm_gc_collection_seconds");
  EXPECT_EQ(gc->type, metrics::MetricType::kSummary);
  EXPECT_EQ(gc->samples[1].suffix, "_sum");
  EXPECT_EQ(gc->samples[1].value, 2.5);
  EXPECT_EQ(find(families, "jvm_threads_state")->samples.size(), 7u);
  EXPECT_EQ(find(families, "jvm_info")->samples[0].label_values[2], "17.0.15+6");
  for (const Family& f : families) EXPECT_EQ(f.samples.at(0).owner, 3);
}

TEST(JvmMetrics, LocalProcessMemoryOfThisProcess) {
  const auto memory = local_process_memory("/proc", getpid(), 0, 1e12);
  ASSERT_TRUE(memory.has_value());
  EXPECT_GT(memory->resident_bytes, 0);
  EXPECT_GT(memory->virtual_bytes, memory->resident_bytes);
  EXPECT_FALSE(local_process_memory("/proc", getpid(), 0, 1).has_value());
}

// A TCP server on loopback answering every connection with `reply` (or nothing).
class FakeAgent {
 public:
  explicit FakeAgent(std::string reply, bool silent = false) : reply_(std::move(reply)), silent_(silent) {
    fd_ = test::listen_on_loopback(port_);
    thread_ = std::thread([this] {
      while (!stop_) {
        const int client = accept(fd_, nullptr, nullptr);
        if (client < 0) break;
        char buffer[65536];
        (void)!read(client, buffer, sizeof buffer);
        if (silent_) {
          std::this_thread::sleep_for(std::chrono::milliseconds(1500));
        } else {
          (void)!write(client, reply_.data(), reply_.size());
        }
        close(client);
      }
    });
  }
  ~FakeAgent() {
    stop_ = true;
    shutdown(fd_, SHUT_RDWR);
    close(fd_);
    thread_.join();
  }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_) + "/jolokia/"; }

 private:
  std::string reply_;
  bool silent_;
  int fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

void expect_only_status(const JolokiaBridge& bridge, int32_t broker) {
  const auto families = bridge.families();
  const Family* up = find(families, "kafka_sidecar_jmx_up");
  ASSERT_NE(up, nullptr);
  EXPECT_EQ(up->samples[0].value, 0);
  EXPECT_EQ(up->samples[0].label_values[0], std::to_string(broker));
  EXPECT_EQ(find(families, "kafka_sidecar_jmx_errors_total")->samples[0].value, 1);
  EXPECT_NE(find(families, "kafka_sidecar_jmx_collect_seconds"), nullptr);
  EXPECT_NE(find(families, "kafka_sidecar_jmx_last_success_timestamp_seconds"), nullptr);
  EXPECT_EQ(find(families, "jmx_scrape_error")->samples[0].value, 1);
  for (const Family& f : families) {
    EXPECT_TRUE(f.name.rfind("kafka_sidecar_jmx_", 0) == 0 || f.name.rfind("jmx_scrape_", 0) == 0) << f.name;
    for (const auto& s : f.samples) EXPECT_EQ(s.owner, broker);
  }
  EXPECT_FALSE(bridge.status().up);
  EXPECT_FALSE(bridge.status().last_error.empty());
}

TEST(JolokiaBridge, AgentDownGivesStatusOnly) {
  BridgeConfig config;
  config.broker_id = 7;
  config.url = "http://127.0.0.1:1/jolokia/";
  JolokiaBridge bridge(config, RuleSet::load_text("", "t"));
  bridge.collect_once();
  expect_only_status(bridge, 7);
}

TEST(JolokiaBridge, GarbageAnswerGivesStatusOnly) {
  FakeAgent agent("HTTP/1.1 200 OK\r\nContent-Length: 9\r\nConnection: close\r\n\r\nnot json!");
  BridgeConfig config;
  config.broker_id = 2;
  config.url = agent.url();
  JolokiaBridge bridge(config, RuleSet::load_text("", "t"));
  bridge.collect_once();
  expect_only_status(bridge, 2);
  EXPECT_NE(bridge.status().last_error.find("invalid JSON"), std::string::npos) << bridge.status().last_error;
}

TEST(JolokiaBridge, SlowAgentTimesOut) {
  FakeAgent agent("", true);
  BridgeConfig config;
  config.broker_id = 3;
  config.url = agent.url();
  config.read_timeout = std::chrono::milliseconds(300);
  JolokiaBridge bridge(config, RuleSet::load_text("", "t"));
  const auto start = std::chrono::steady_clock::now();
  bridge.collect_once();
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(1200));
  expect_only_status(bridge, 3);
  EXPECT_NE(bridge.status().last_error.find("timed out"), std::string::npos) << bridge.status().last_error;
}

TEST(JolokiaBridge, ASlowBrokerDoesNotDelayTheOthers) {
  FakeAgent slow("", true);
  std::vector<BridgeConfig> brokers(3);
  for (int i = 0; i < 3; ++i) {
    brokers[i].broker_id = i + 1;
    brokers[i].url = i == 1 ? slow.url() : "http://127.0.0.1:1/jolokia/";
    brokers[i].read_timeout = std::chrono::milliseconds(500);
  }
  const auto start = std::chrono::steady_clock::now();
  BridgeRunner runner(brokers, RuleSet::load_text("", "t"), std::chrono::hours(1));
  // Each bridge runs its first cycle on its own thread: all three end within about one
  // read timeout, not the sum of them.
  const auto all_ran = [&runner] {
    for (const auto& bridge : runner.bridges()) {
      if (bridge->status().cycles == 0) return false;
    }
    return true;
  };
  while (!all_ran() && std::chrono::steady_clock::now() - start < std::chrono::seconds(5)) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_TRUE(all_ran());
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(1400));
  size_t up_series = 0;
  for (const auto& set : runner.families()) {
    for (const Family& f : *set) {
      if (f.name == "kafka_sidecar_jmx_up") ++up_series;
    }
  }
  EXPECT_EQ(up_series, 3u);
}

TEST(JolokiaBridge, OversizedAnswerIsRefused) {
  std::string body(4096, 'x');
  FakeAgent agent("HTTP/1.1 200 OK\r\nContent-Length: 4096\r\nConnection: close\r\n\r\n" + body);
  BridgeConfig config;
  config.url = agent.url();
  config.max_body_bytes = 1024;
  JolokiaBridge bridge(config, RuleSet::load_text("", "t"));
  bridge.collect_once();
  expect_only_status(bridge, 0);
  EXPECT_NE(bridge.status().last_error.find("larger than the limit"), std::string::npos)
      << bridge.status().last_error;
}

using test::BulkAgent;

std::optional<std::string> broker_answer(simdjson::dom::element request) {
  std::string_view type;
  std::string_view text;
  if (request["type"].get(type)) return std::nullopt;
  if (type == "list" && request["path"].get(text)) return R"({"kafka.server":{}})";
  if (type == "list" && text == "kafka.server/type=BrokerTopicMetrics,name=MessagesInPerSec") {
    return R"({"attr":{"Count":{"desc":"Messages written to the broker","type":"long"}}})";
  }
  if (type == "exec" && !request["operation"].get(text) && text == "getThreadInfo([J)") {
    return R"([{"threadState":"RUNNABLE"},{"threadState":"WAITING"},{"threadState":"RUNNABLE"}])";
  }
  if (type == "exec") return "null";  // no deadlocked threads
  if (request["mbean"].get(text)) return std::nullopt;
  if (text == "kafka.server:*") {
    return R"({"kafka.server:type=BrokerTopicMetrics,name=MessagesInPerSec":{"Count":42}})";
  }
  if (text == "java.lang:type=Threading") {
    return R"({"ThreadCount":3,"DaemonThreadCount":2,"PeakThreadCount":4,)"
           R"("TotalStartedThreadCount":9,"AllThreadIds":[1,2,3]})";
  }
  return std::nullopt;
}

TEST(JolokiaBridge, WorkingAgentGivesRuleJvmAndStatusSeries) {
  BulkAgent agent(broker_answer);
  BridgeConfig config;
  config.broker_id = 4;
  config.url = agent.url();
  JolokiaBridge bridge(config, RuleSet::load_text("lowercaseOutputName: true\n", "t"));
  bridge.collect_once();
  ASSERT_TRUE(bridge.status().up) << bridge.status().last_error;
  // The domains, the bulk read, then the new bean's description and the thread states.
  EXPECT_EQ(agent.posts(), 3);
  auto families = bridge.families();
  const Family* messages = find(families, "kafka_server_brokertopicmetrics_count");
  ASSERT_NE(messages, nullptr);
  EXPECT_EQ(messages->samples.at(0).value, 42);
  EXPECT_EQ(messages->samples.at(0).label_values, std::vector<std::string>{"MessagesInPerSec"});
  const std::string help = messages->help;
  EXPECT_EQ(help.rfind("Messages written to the broker", 0), 0u) << help;
  EXPECT_EQ(find(families, "jvm_threads_current")->samples.at(0).value, 3);
  EXPECT_EQ(find(families, "jvm_threads_deadlocked")->samples.at(0).value, 0);
  const Family* states = find(families, "jvm_threads_state");
  ASSERT_NE(states, nullptr);
  for (const auto& sample : states->samples) {
    const std::string state(sample.label_values.at(0));
    EXPECT_EQ(sample.value, state == "RUNNABLE" ? 2 : state == "WAITING" ? 1 : 0) << state;
  }
  EXPECT_EQ(find(families, "kafka_sidecar_jmx_up")->samples.at(0).value, 1);
  EXPECT_EQ(find(families, "jmx_scrape_error")->samples.at(0).value, 0);
  for (const Family& f : families) {
    for (const auto& sample : f.samples) EXPECT_EQ(sample.owner, 4) << f.name;
  }

  // Descriptions are listed once: the next cycle is the bulk read and the thread states.
  bridge.collect_once();
  EXPECT_EQ(agent.posts(), 5);
  families = bridge.families();
  EXPECT_EQ(find(families, "kafka_server_brokertopicmetrics_count")->help, help);
}

}  // namespace
}  // namespace kse::jmx
