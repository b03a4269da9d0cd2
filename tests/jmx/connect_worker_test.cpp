// Kafka Connect workers through the Jolokia bridge: exporter/kafka-connect-rules.yml on the
// beans of two real workers, and the workers' series beside a broker's on one valid page.
#include <gtest/gtest.h>
#include <simdjson.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "bulk_agent.h"
#include "jmx/jolokia/bridge.h"
#include "jmx/jolokia/jolokia.h"
#include "prom_text.h"
#include "render/exposition.h"
#include "support/test_support.h"

namespace kse::jmx {
namespace {

using metrics::Family;
using metrics::kClusterOwner;
using test::BulkAgent;

std::string connect_rules_path() { return kse::test::source_dir() + "/exporter/kafka-connect-rules.yml"; }

// Two ConnectDistributed workers of Kafka 4.3.1 (MirrorMaker 2 and FileStream connectors, a
// failed task, a dead letter queue) as their Jolokia agents answered a pattern read:
// {"worker N": {bean: {attribute: value}}}.
simdjson::dom::element recorded_worker(int n) {
  static simdjson::dom::parser parser;
  static const simdjson::dom::element root =
      parser.load(kse::test::source_dir() + "/tests/jmx/data/connect-workers-read.json");
  return root["worker " + std::to_string(n)];
}

std::vector<Family> rules_on_recorded_worker(int n) {
  const auto rules = RuleSet::load_file(connect_rules_path());
  RuleEngine engine(rules);
  BeanCatalog catalog(rules);
  engine.begin_cycle();
  catalog.begin_cycle();
  feed_pattern_read_json(simdjson::minify(recorded_worker(n)), catalog, {}, engine);
  return engine.finish_cycle(kClusterOwner);
}

const Family* find(const std::vector<Family>& families, const std::string& name) {
  for (const Family& f : families) {
    if (f.name == name) return &f;
  }
  return nullptr;
}

struct Promtool {
  int exit_code = -1;
  std::string output;
};

// `promtool check metrics` on `page`: exit 0 valid, 3 valid with naming advice, 1 invalid.
Promtool promtool_check(const std::string& page) {
  char path[] = "/tmp/kse-connect-page-XXXXXX";
  const int fd = mkstemp(path);
  if (fd < 0) return {};
  close(fd);
  { std::ofstream(path) << page; }
  const auto result = kse::test::run_command(std::string("promtool check metrics < ") + path);
  std::remove(path);
  return {result.exit_code, result.output};
}

size_t sample_lines(const std::string& page) {
  size_t lines = 0;
  std::istringstream stream(page);
  std::string line;
  while (std::getline(stream, line)) {
    if (!line.empty() && line[0] != '#') ++lines;
  }
  return lines;
}

// Expected values, hand-checked against tests/jmx/data/connect-workers-read.json.
struct Expected {
  std::string series;  // name{labels sorted by name}
  double value;
};

void expect_series(const std::vector<Family>& families, const std::vector<Expected>& expected) {
  const auto set = test::series_of(families);
  for (const Expected& e : expected) {
    const auto it = set.values.find(e.series);
    ASSERT_NE(it, set.values.end()) << e.series;
    EXPECT_DOUBLE_EQ(it->second, e.value) << e.series;
  }
}

constexpr const char* kMirrorPartition1 =
    R"(partition="1",source="backup",target="primary",topic="backup.mirrored")";

TEST(ConnectRules, RecordedWorkerWithMirrorMaker) {
  const auto families = rules_on_recorded_worker(1);
  const std::string p1 = kMirrorPartition1;
  expect_series(
      families,
      {
          {"kafka_connect_worker_connectors{}", 3},
          {"kafka_connect_worker_tasks{}", 3},
          {"kafka_connect_worker_connector_startup_attempts_total{}", 3},
          {"kafka_connect_worker_connector_startup_success_total{}", 3},
          {"kafka_connect_worker_connector_startup_success_percentage{}", 1},
          {"kafka_connect_worker_task_startup_failure_total{}", 0},
          {R"(kafka_connect_worker_connector_failed_tasks{connector="file-sink-broken"})", 1},
          {R"(kafka_connect_worker_connector_running_tasks{connector="file-sink-broken"})", 0},
          {R"(kafka_connect_worker_connector_total_tasks{connector="file-sink-broken"})", 1},
          {R"(kafka_connect_worker_connector_running_tasks{connector="mm2-source"})", 1},
          {"kafka_connect_worker_rebalance_completed_rebalances_total{}", 17},
          {"kafka_connect_worker_rebalance_epoch{}", 21},
          {"kafka_connect_worker_rebalance_rebalancing{}", 0},
          {"kafka_connect_worker_rebalance_rebalance_avg_time_seconds{}", 5.714285714285714e-3},
          {"kafka_connect_worker_rebalance_rebalance_max_time_seconds{}", 0.036},
          {"kafka_connect_worker_rebalance_time_since_last_rebalance_seconds{}", 18.179},
          {R"(kafka_connect_worker_rebalance_leader_info{leader="http://127.0.0.1:9084/"})", 1},
          {R"(kafka_connect_worker_rebalance_protocol_info{protocol="SESSIONED"})", 1},
          {"kafka_connect_coordinator_assigned_connectors{}", 3},
          {R"(kafka_connect_connector_status{connector="mm2-source",status="running"})", 1},
          {R"(kafka_connect_connector_connector_class{connector="mm2-heartbeat",)"
           R"(connector_class="org.apache.kafka.connect.mirror.MirrorHeartbeatConnector"})",
           1},
          {R"(kafka_connect_connector_connector_type{connector="file-sink-broken",connector_type="sink"})",
           1},
          {R"(kafka_connect_connector_connector_version{connector="mm2-source",connector_version="4.3.1"})",
           1},
          {R"(kafka_connect_connector_task_status{connector="file-sink-broken",status="failed",task="0"})",
           1},
          {R"(kafka_connect_connector_task_running_ratio{connector="file-sink-broken",task="0"})",
           0.0005799155900641129},
          {R"(kafka_connect_connector_task_offset_commit_max_time_seconds{connector="mm2-checkpoint",task="0"})",
           0.015},
          {R"(kafka_connect_connector_task_offset_commit_success_percentage{connector="mm2-source",task="0"})",
           1},
          {R"(kafka_connect_source_task_source_record_poll_total{connector="mm2-source",task="0"})", 100},
          {R"(kafka_connect_source_task_source_record_write_total{connector="mm2-checkpoint",task="0"})", 1},
          {R"(kafka_connect_source_task_source_records_active{connector="mm2-source",task="0"})", 0},
          {R"(kafka_connect_sink_task_partitions{connector="file-sink-broken",task="0"})", 0},
          {R"(kafka_connect_task_error_last_error_timestamp_seconds{connector="mm2-source",task="0"})", 0},
          {"kafka_connect_mirror_source_connector_record_count_total{" + p1 + "}", 100},
          {"kafka_connect_mirror_source_connector_byte_count_total{" + p1 + "}", 892},
          {"kafka_connect_mirror_source_connector_record_rate{" + p1 + "}", 0},
          {"kafka_connect_mirror_source_connector_record_age_seconds{" + p1 + "}", 0.311},
          {"kafka_connect_mirror_source_connector_replication_latency_seconds{" + p1 + "}", 0.406},
          {R"(kafka_connect_mirror_source_connector_record_count_total{partition="0",source="backup",)"
           R"(target="primary",topic="backup.mirrored"})",
           0},
          {R"(kafka_connect_mirror_checkpoint_connector_checkpoint_latency_seconds{group="mm2-test-group",)"
           R"(partition="1",source="backup",target="primary",topic="backup.mirrored"})",
           0.139},
      });
  // Three MirrorSourceConnector partitions, one checkpointed group partition.
  EXPECT_EQ(find(families, "kafka_connect_mirror_source_connector_record_count_total")->samples.size(), 3u);
  EXPECT_EQ(
      find(families, "kafka_connect_mirror_checkpoint_connector_checkpoint_latency_seconds")->samples.size(),
      1u);
  // A null (no value yet) of an attribute of unknown type is skipped, as jmx_exporter skips it.
  EXPECT_EQ(find(families, "kafka_connect_mirror_source_connector_record_age_avg_seconds"), nullptr);
  EXPECT_EQ(find(families, "kafka_connect_connector_task_batch_size_avg"), nullptr);
}

TEST(ConnectRules, RecordedWorkerWithSinkTasksAndErrors) {
  const auto families = rules_on_recorded_worker(2);
  const std::string sink1 = R"({connector="file-sink",task="1"})";
  const std::string heartbeat = R"({connector="mm2-heartbeat",task="0"})";
  expect_series(
      families,
      {
          {"kafka_connect_worker_connector_startup_attempts_total{}", 4},
          {"kafka_connect_worker_connector_startup_failure_total{}", 1},
          {"kafka_connect_worker_connector_startup_failure_percentage{}", 0.3333333333333333},
          {R"(kafka_connect_worker_connector_running_tasks{connector="file-sink"})", 2},
          {R"(kafka_connect_connector_status{connector="mm2-broken",status="failed"})", 1},
          {"kafka_connect_coordinator_assigned_tasks{}", 3},
          {"kafka_connect_connector_task_batch_size_max" + sink1, 20},
          {"kafka_connect_connector_task_batch_size_avg" + sink1, 0.4166666666666667},
          {"kafka_connect_connector_task_offset_commit_avg_time_seconds" + sink1, 2.0638297872340425e-3},
          {"kafka_connect_sink_task_sink_record_read_total" + sink1, 40},
          {"kafka_connect_sink_task_sink_record_send_total" + sink1, 20},
          {"kafka_connect_sink_task_sink_record_read_rate" + sink1, 0.8616604196286244},
          {"kafka_connect_sink_task_offset_commit_completion_total" + sink1, 47},
          {"kafka_connect_sink_task_offset_commit_skip_total" + sink1, 0},
          {"kafka_connect_sink_task_offset_commit_seq_no" + sink1, 47},
          {"kafka_connect_sink_task_partitions" + sink1, 2},
          {R"(kafka_connect_sink_task_partitions{connector="file-sink",task="0"})", 3},
          {"kafka_connect_sink_task_put_batch_avg_time_seconds" + sink1, 0.041666666666666664e-3},
          {"kafka_connect_sink_task_put_batch_max_time_seconds" + sink1, 0.001},
          {"kafka_connect_sink_task_sink_records_active" + sink1, 0},
          {"kafka_connect_sink_task_sink_records_active_avg" + sink1, 0.7692307692307693},
          {"kafka_connect_sink_task_sink_records_active_max" + sink1, 20},
          {"kafka_connect_task_error_record_errors_total" + sink1, 20},
          {"kafka_connect_task_error_record_failures_total" + sink1, 20},
          {"kafka_connect_task_error_records_skipped_total" + sink1, 20},
          {"kafka_connect_task_error_errors_logged_total" + sink1, 20},
          {"kafka_connect_task_error_retries_total" + sink1, 0},
          {"kafka_connect_task_error_deadletterqueue_produce_requests_total" + sink1, 20},
          {"kafka_connect_task_error_deadletterqueue_produce_failures_total" + sink1, 0},
          {"kafka_connect_task_error_last_error_timestamp_seconds" + sink1, 1796507850.339},
          {"kafka_connect_source_task_poll_batch_avg_time_seconds" + heartbeat, 5.000357142857143},
          {"kafka_connect_source_task_poll_batch_max_time_seconds" + heartbeat, 5.001},
          {"kafka_connect_source_task_source_record_poll_rate" + heartbeat, 0.20806705704009748},
          {"kafka_connect_source_task_source_record_write_rate" + heartbeat, 0.20953378732320585},
          {"kafka_connect_source_task_source_records_active_avg" + heartbeat, 0.5},
          {"kafka_connect_source_task_source_records_active_max" + heartbeat, 1},
      });
  // No MirrorMaker 2 replication runs on this worker.
  for (const Family& f : families) EXPECT_EQ(f.name.rfind("kafka_connect_mirror_", 0), std::string::npos);
}

// Only the Connect beans the rules name: no app-info, client network or metric-count series,
// and no series of string attributes other than the states, classes, types and versions.
TEST(ConnectRules, FamiliesAreTypedNamedAndDocumented) {
  std::ifstream doc_file(kse::test::source_dir() + "/docs/jmx-metrics.md");
  std::stringstream doc;
  doc << doc_file.rdbuf();
  std::set<std::string> names;
  for (int worker = 1; worker <= 2; ++worker) {
    for (const Family& f : rules_on_recorded_worker(worker)) {
      names.insert(f.name);
      EXPECT_EQ(f.name.rfind("kafka_connect_", 0), 0u) << f.name;
      const bool total = f.name.size() > 6 && f.name.substr(f.name.size() - 6) == "_total";
      EXPECT_EQ(f.type, total ? metrics::MetricType::kCounter : metrics::MetricType::kGauge) << f.name;
      EXPECT_EQ(f.name.find("_ms"), std::string::npos) << f.name;
      EXPECT_FALSE(f.help.empty()) << f.name;
      EXPECT_NE(doc.str().find("`" + f.name + "`"), std::string::npos)
          << f.name << " is missing from docs/jmx-metrics.md";
      for (const auto& sample : f.samples) EXPECT_FALSE(std::isnan(sample.value)) << f.name;
    }
  }
  EXPECT_EQ(names.count("kafka_connect_connector_task_task_class"), 0u);
  EXPECT_GE(names.size(), 60u);
}

// Kafka declares every attribute a double, so Jolokia's null (no value yet) is NaN: a NaN
// average is served, a string attribute that is null gives no "NaN" label.
TEST(ConnectRules, NullsOfDoublesAreNaNAndNeverLabels) {
  const auto rules = RuleSet::load_file(connect_rules_path());
  RuleEngine engine(rules);
  BeanCatalog catalog(rules);
  AttributeDescriptions descriptions;
  for (const char* bean : {"kafka.connect:type=connector-metrics,connector=c",
                           "kafka.connect:type=connect-worker-rebalance-metrics"}) {
    for (const char* attribute : {"connector-version", "status", "leader-name", "connect-protocol",
                                  "rebalance-avg-time-ms", "epoch"}) {
      descriptions[bean][attribute] = {"Kafka's description", "double"};
    }
  }
  engine.begin_cycle();
  catalog.begin_cycle();
  feed_pattern_read_json(R"({
    "kafka.connect:type=connector-metrics,connector=c": {"connector-version": null, "status": "running"},
    "kafka.connect:type=connect-worker-rebalance-metrics": {"leader-name": null, "connect-protocol": null,
                                                            "rebalance-avg-time-ms": null, "epoch": 0.0}
  })",
                         catalog, descriptions, engine);
  const auto families = engine.finish_cycle(kClusterOwner);
  EXPECT_EQ(find(families, "kafka_connect_connector_connector_version"), nullptr);
  EXPECT_EQ(find(families, "kafka_connect_worker_rebalance_leader_info"), nullptr);
  EXPECT_EQ(find(families, "kafka_connect_worker_rebalance_protocol_info"), nullptr);
  ASSERT_NE(find(families, "kafka_connect_connector_status"), nullptr);
  const Family* average = find(families, "kafka_connect_worker_rebalance_rebalance_avg_time_seconds");
  ASSERT_NE(average, nullptr);
  EXPECT_TRUE(std::isnan(average->samples.at(0).value));
  EXPECT_EQ(
      find(families, "kafka_connect_worker_rebalance_epoch")->help,
      "Kafka's description kafka.connect:name=null,type=connect-worker-rebalance-metrics,attribute=epoch");
}

// The Connect families alone are clean for promtool: valid, and no naming advice either.
TEST(ConnectRules, RecordedWorkersPassPromtoolWithoutAdvice) {
  for (int worker = 1; worker <= 2; ++worker) {
    const std::string page = render::render_text(rules_on_recorded_worker(worker));
    EXPECT_GT(sample_lines(page), 50u);
    const Promtool check = promtool_check(page);
    EXPECT_EQ(check.exit_code, 0) << "worker " << worker << ": " << check.output;
  }
}

// A bean's attributes as `list` describes them; Kafka's MBeans declare every one a double.
std::string attribute_infos(simdjson::dom::object attributes) {
  std::string infos;
  for (auto [name, value] : attributes) {
    infos +=
        (infos.empty() ? "" : ",") + json_quote(name) + R"(:{"desc":"Kafka's description","type":"double"})";
  }
  return R"({"attr":{)" + infos + "}}";
}

// The `list` of one bean ("domain/properties") or of a whole domain, from the recorded beans.
std::optional<std::string> list_answer(simdjson::dom::element beans, std::string_view path) {
  const size_t slash = path.find('/');
  const std::string wanted = slash == std::string_view::npos ? std::string(path) + ":"
                                                             : std::string(path.substr(0, slash)) + ":" +
                                                                   std::string(path.substr(slash + 1));
  std::string domain;
  for (auto [name, attributes] : simdjson::dom::object(beans)) {
    if (slash != std::string_view::npos && name == wanted) return attribute_infos(attributes);
    if (slash == std::string_view::npos && name.rfind(wanted, 0) == 0) {
      domain += (domain.empty() ? "" : ",") + json_quote(name.substr(wanted.size())) + ":" +
                attribute_infos(attributes);
    }
  }
  if (domain.empty()) return std::nullopt;
  return "{" + domain + "}";
}

// A worker's reads answered from its recorded beans (a pattern read or one bean, and their
// attribute lists), a few JVM beans, and "no such bean" for the rest.
std::optional<std::string> worker_answer(simdjson::dom::element beans, simdjson::dom::element request) {
  std::string_view type;
  std::string_view mbean;
  std::string_view path;
  if (request["type"].get(type)) return std::nullopt;
  if (type == "list" && !request["path"].get(path)) return list_answer(beans, path);
  if (type == "exec") {
    std::string_view operation;
    if (!request["operation"].get(operation) && operation == "getThreadInfo([J)") {
      return R"([{"threadState":"RUNNABLE"},{"threadState":"WAITING"}])";
    }
    return "null";  // no deadlocked threads
  }
  if (type != "read" || request["mbean"].get(mbean)) return std::nullopt;
  if (mbean == "java.lang:type=Threading") {
    return R"({"ThreadCount":2,"DaemonThreadCount":1,"PeakThreadCount":3,)"
           R"("TotalStartedThreadCount":5,"AllThreadIds":[1,2]})";
  }
  const ObjectNamePattern pattern(mbean);
  std::string matched;
  for (auto [name, attributes] : simdjson::dom::object(beans)) {
    if (!pattern.matches(parse_object_name(name))) continue;
    if (!pattern.is_pattern()) return simdjson::minify(attributes);
    matched += (matched.empty() ? "" : ",") + json_quote(name) + ":" + simdjson::minify(attributes);
  }
  if (matched.empty()) return std::nullopt;
  return "{" + matched + "}";
}

// A broker with the project's broker rules: a few server beans and the same JVM beans.
std::optional<std::string> broker_answer(simdjson::dom::element request) {
  static simdjson::dom::parser parser;
  static const simdjson::dom::element beans = parser.parse(std::string(R"({
    "kafka.server:type=BrokerTopicMetrics,name=MessagesInPerSec": {"Count": 42},
    "kafka.server:type=BrokerTopicMetrics,name=MessagesInPerSec,topic=testing": {"Count": 40},
    "kafka.server:type=ReplicaManager,name=PartitionCount": {"Value": 12},
    "kafka.server:type=raft-metrics": {"current-state": "leader", "high-watermark": 99}
  })"));
  return worker_answer(beans, request);
}

BridgeConfig worker_config(const std::string& url) {
  BridgeConfig config;
  config.url = url;
  config.connect_worker = connect_worker_name(url);
  return config;
}

// Every sample on the cluster port with exactly one connect_worker label, and no broker label.
void expect_worker_samples(const std::vector<Family>& families, const std::string& worker) {
  for (const Family& f : families) {
    EXPECT_EQ(std::count(f.label_names.begin(), f.label_names.end(), "broker"), 0) << f.name;
    for (const auto& sample : f.samples) {
      EXPECT_EQ(sample.owner, kClusterOwner) << f.name;
      size_t labels = 0;
      for (const metrics::Label& label : sample.extra_labels) {
        EXPECT_NE(label.name, "broker") << f.name;
        if (label.name != "connect_worker") continue;
        ++labels;
        EXPECT_EQ(label.value, worker) << f.name;
      }
      EXPECT_EQ(labels, 1u) << f.name;
    }
  }
}

TEST(ConnectWorkerBridge, NameIsTheHostAndPortOfTheJolokiaUrl) {
  EXPECT_EQ(connect_worker_name("http://connect-1.example:8778/jolokia/"), "connect-1.example:8778");
  EXPECT_EQ(connect_worker_name("https://[::1]:8779/jolokia"), "[::1]:8779");
  EXPECT_EQ(connect_worker_name("http://10.0.0.5/jolokia/"), "10.0.0.5:80");
  EXPECT_EQ(connect_worker_name("not a url"), "not a url");
}

TEST(ConnectWorkerBridge, SeriesAreOnTheClusterPortWithTheWorkerLabel) {
  BulkAgent agent([](simdjson::dom::element request) { return worker_answer(recorded_worker(1), request); });
  const BridgeConfig config = worker_config(agent.url());
  JolokiaBridge bridge(config, RuleSet::load_file(connect_rules_path()));
  bridge.collect_once();
  ASSERT_TRUE(bridge.status().up) << bridge.status().last_error;
  const auto families = bridge.families();
  expect_worker_samples(families, config.connect_worker);
  EXPECT_EQ(find(families, "kafka_connect_worker_connectors")->samples.at(0).value, 3);
  EXPECT_EQ(find(families, "jvm_threads_current")->samples.at(0).value, 2);
  EXPECT_EQ(find(families, "jmx_scrape_error")->samples.at(0).value, 0);
  // The status families carry connect_worker instead of broker.
  const Family* up = find(families, "kafka_sidecar_jmx_up");
  ASSERT_NE(up, nullptr);
  EXPECT_TRUE(up->label_names.empty());
  ASSERT_EQ(up->samples.size(), 1u);
  EXPECT_EQ(up->samples[0].value, 1);
  EXPECT_TRUE(up->samples[0].label_values.empty());
  for (const char* name : {"kafka_sidecar_jmx_errors_total", "kafka_sidecar_jmx_collect_seconds",
                           "kafka_sidecar_jmx_last_success_timestamp_seconds", "jmx_scrape_duration_seconds",
                           "jmx_scrape_cached_beans"}) {
    EXPECT_NE(find(families, name), nullptr) << name;
  }
}

TEST(ConnectWorkerBridge, DeadOrMisconfiguredWorkerKeepsItsLabelledStatus) {
  BridgeConfig down;
  down.url = "http://127.0.0.1:1/jolokia/";
  down.connect_worker = connect_worker_name(down.url);
  JolokiaBridge dead(down, RuleSet::load_file(connect_rules_path()));
  dead.collect_once();
  auto families = dead.families();
  expect_worker_samples(families, "127.0.0.1:1");
  EXPECT_EQ(find(families, "kafka_sidecar_jmx_up")->samples.at(0).value, 0);
  EXPECT_EQ(find(families, "kafka_sidecar_jmx_errors_total")->samples.at(0).value, 1);

  // A URL that cannot be used is known at construction: the status is served before any cycle.
  BridgeConfig bad;
  bad.url = "ftp://connect-1:8778/";
  bad.connect_worker = "connect-1:8778";
  JolokiaBridge misconfigured(bad, RuleSet::load_file(connect_rules_path()));
  families = misconfigured.families();
  ASSERT_NE(find(families, "kafka_sidecar_jmx_up"), nullptr);
  expect_worker_samples(families, "connect-1:8778");
}

// Two workers and a broker on one page (every family served on one port): valid for promtool,
// no series twice, though jvm_*, jmx_scrape_* and kafka_sidecar_jmx_* come from all three.
TEST(ConnectWorkerBridge, TwoWorkersAndABrokerMakeOneValidPage) {
  BulkAgent first([](simdjson::dom::element request) { return worker_answer(recorded_worker(1), request); });
  BulkAgent second([](simdjson::dom::element request) { return worker_answer(recorded_worker(2), request); });
  BulkAgent broker(broker_answer);
  const auto connect_rules = RuleSet::load_file(connect_rules_path());
  JolokiaBridge worker_one(worker_config(first.url()), connect_rules);
  JolokiaBridge worker_two(worker_config(second.url()), connect_rules);
  BridgeConfig broker_config;
  broker_config.broker_id = 1;
  broker_config.url = broker.url();
  JolokiaBridge broker_one(broker_config,
                           RuleSet::load_file(kse::test::source_dir() + "/exporter/kafka-broker-rules.yml"));
  for (JolokiaBridge* bridge : {&worker_one, &worker_two, &broker_one}) {
    bridge->collect_once();
    ASSERT_TRUE(bridge->status().up) << bridge->status().last_error;
  }
  const auto one = worker_one.families();
  const auto two = worker_two.families();
  const auto brokers = broker_one.families();
  ASSERT_NE(find(brokers, "kafka_server_brokertopicmetrics_messagesinpersec"), nullptr);

  const std::string page =
      render::render_slots({&brokers, &one, &two}, 1, [](int32_t) { return size_t{0}; })[0];
  const Promtool check = promtool_check(page);
  // 3: valid, with naming advice (about the broker rules' names, kept for the dashboards).
  EXPECT_TRUE(check.exit_code == 0 || check.exit_code == 3) << check.output;
  EXPECT_EQ(check.output.find("kafka_connect_"), std::string::npos) << check.output;
  const auto series = test::parse_exposition(page);
  EXPECT_EQ(series.values.size(), sample_lines(page)) << "a series appears twice";
  const std::string w1 = R"(connect_worker=")" + worker_config(first.url()).connect_worker + "\"";
  const std::string w2 = R"(connect_worker=")" + worker_config(second.url()).connect_worker + "\"";
  EXPECT_EQ(series.values.count("jvm_threads_current{}"), 1u);
  EXPECT_EQ(series.values.count("jvm_threads_current{" + w1 + "}"), 1u);
  EXPECT_EQ(series.values.count("jvm_threads_current{" + w2 + "}"), 1u);
  EXPECT_EQ(series.values.count(R"(kafka_sidecar_jmx_up{broker="1"})"), 1u);
  EXPECT_EQ(series.values.count("kafka_sidecar_jmx_up{" + w1 + "}"), 1u);
  EXPECT_EQ(series.values.count("kafka_sidecar_jmx_up{" + w2 + "}"), 1u);
  EXPECT_EQ(series.values.count("jmx_scrape_error{" + w2 + "}"), 1u);
  EXPECT_EQ(series.values.count("kafka_connect_worker_connectors{" + w1 + "}"), 1u);
  // No batch yet: Kafka's null average, NaN on the page.
  const auto nan = series.values.find("kafka_connect_connector_task_batch_size_avg{" + w1 +
                                      R"(,connector="mm2-source",task="0"})");
  ASSERT_NE(nan, series.values.end());
  EXPECT_TRUE(std::isnan(nan->second));
  EXPECT_EQ(series.help.at("kafka_connect_worker_connectors").rfind("Kafka's description", 0), 0u);

  // Served as designed: the broker's on its port, the workers' on the cluster port.
  const auto slots = render::render_slots({&brokers, &one, &two}, 2, [](int32_t owner) {
    return owner == kClusterOwner ? size_t{0} : size_t{1};
  });
  EXPECT_EQ(slots[1].find("connect_worker"), std::string::npos);
  EXPECT_EQ(slots[0].find(R"(broker="1")"), std::string::npos);
  EXPECT_EQ(sample_lines(slots[0]) + sample_lines(slots[1]), sample_lines(page));
  for (const std::string& slot : slots) {
    const Promtool slot_check = promtool_check(slot);
    EXPECT_TRUE(slot_check.exit_code == 0 || slot_check.exit_code == 3) << slot_check.output;
  }
}

}  // namespace
}  // namespace kse::jmx
