// parse_stats on a librdkafka statistics document the size of a busy client:
// 5 brokers and 10 topics x 100 partitions, built from a captured document
// (tests/client_stats/data/) by repeating its broker and partition objects.
#include <benchmark/benchmark.h>
#include <simdjson.h>

#include <cstdio>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>

#include "client_stats/client_stats.h"

namespace {

constexpr int kBrokers = 5;
constexpr int kTopics = 10;
constexpr int kPartitionsPerTopic = 100;

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read " + path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

std::string quoted(const std::string& text) { return "\"" + text + "\""; }

// Copies `object` with some fields replaced (JSON text by key); the rest kept as captured.
template <typename Replace>
std::string rewrite(simdjson::dom::object object, Replace replace) {
  std::string out = "{";
  bool first = true;
  for (const auto field : object) {
    std::string value = replace(field.key);
    if (value.empty()) value = simdjson::minify(field.value);
    if (!first) out += ',';
    first = false;
    out += quoted(std::string(field.key)) + ":" + value;
  }
  return out + "}";
}

std::string broker_name(int id) {
  return "127.0.0.1:" + std::to_string(9000 + 100 * id + 92) + "/" + std::to_string(id);
}

std::string topic_name(int topic) { return "bench-topic-" + std::to_string(topic); }

int leader_of(int topic, int partition) { return (topic * kPartitionsPerTopic + partition) % kBrokers + 1; }

std::string synthetic_document(const std::string& captured) {
  simdjson::dom::parser parser;
  const simdjson::dom::object root = parser.parse(captured).get_object();
  simdjson::dom::object broker_template;
  for (const auto broker : root["brokers"].get_object()) {
    if (int64_t(broker.value["nodeid"]) >= 0) broker_template = broker.value.get_object();
  }
  const simdjson::dom::object topic_template = root["topics"].get_object().begin().value().get_object();
  simdjson::dom::object partition_template;
  for (const auto partition : topic_template["partitions"].get_object()) {
    if (int64_t(partition.value["partition"]) >= 0) partition_template = partition.value.get_object();
  }

  std::string brokers = "{";
  for (int id = 1; id <= kBrokers; ++id) {
    std::string toppars = "{";
    for (int topic = 0; topic < kTopics; ++topic) {
      for (int partition = 0; partition < kPartitionsPerTopic; ++partition) {
        if (leader_of(topic, partition) != id) continue;
        if (toppars.size() > 1) toppars += ',';
        toppars += quoted(topic_name(topic) + "-" + std::to_string(partition)) +
                   ":{\"topic\":" + quoted(topic_name(topic)) +
                   ",\"partition\":" + std::to_string(partition) + "}";
      }
    }
    toppars += "}";
    if (id > 1) brokers += ',';
    brokers +=
        quoted(broker_name(id)) + ":" + rewrite(broker_template, [&](std::string_view key) -> std::string {
          if (key == "name") return quoted(broker_name(id));
          if (key == "nodeid") return std::to_string(id);
          if (key == "toppars") return toppars;
          return "";
        });
  }
  brokers += "}";

  std::string topics = "{";
  for (int topic = 0; topic < kTopics; ++topic) {
    std::string partitions = "{";
    for (int partition = -1; partition < kPartitionsPerTopic; ++partition) {
      if (partition > -1) partitions += ',';
      partitions += quoted(std::to_string(partition)) + ":" +
                    rewrite(partition_template, [&](std::string_view key) -> std::string {
                      if (key == "partition") return std::to_string(partition);
                      if (key == "leader" || key == "broker") {
                        return std::to_string(partition < 0 ? -1 : leader_of(topic, partition));
                      }
                      return "";
                    });
    }
    partitions += "}";
    if (topic > 0) topics += ',';
    topics +=
        quoted(topic_name(topic)) + ":" + rewrite(topic_template, [&](std::string_view key) -> std::string {
          if (key == "topic") return quoted(topic_name(topic));
          if (key == "partitions") return partitions;
          return "";
        });
  }
  topics += "}";

  return rewrite(root, [&](std::string_view key) -> std::string {
    if (key == "brokers") return brokers;
    if (key == "topics") return topics;
    return "";
  });
}

std::string data_file(const char* name) {
  const char* source = std::getenv("KSE_SOURCE_DIR");
  return std::string(source ? source : KSE_SOURCE_DIR_DEFAULT) + "/tests/client_stats/data/" + name;
}

void BM_ParseStats(benchmark::State& state, const char* captured_file) {
  const std::string document = synthetic_document(read_file(data_file(captured_file)));
  size_t series = 0;
  for (auto _ : state) {
    const auto families = kse::client_stats::parse_stats(document);
    series = 0;
    for (const auto& family : families) series += family.samples.size();
    benchmark::DoNotOptimize(families.data());
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * document.size()));
  state.counters["docs_per_s"] =
      benchmark::Counter(static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
  state.counters["document_bytes"] = static_cast<double>(document.size());
  state.counters["series"] = static_cast<double>(series);
}

BENCHMARK_CAPTURE(BM_ParseStats, producer_5_brokers_1000_partitions, "producer.json")
    ->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(BM_ParseStats, consumer_5_brokers_1000_partitions, "consumer.json")
    ->Unit(benchmark::kMicrosecond);

}  // namespace

BENCHMARK_MAIN();
