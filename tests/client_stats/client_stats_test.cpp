// Golden tests on real librdkafka statistics captured from the local cluster
// (capture/capture_stats.cpp). Expected values are read from the same files by
// Python's json module, not by our parser.
#include "client_stats/client_stats.h"

#include <gtest/gtest.h>
#include <prometheus/exposer.h>
#include <prometheus/text_serializer.h>

#include <fstream>
#include <random>
#include <set>
#include <sstream>

#include "client_stats/catalogue.h"
#include "client_stats/prometheus_collectable.h"
#include "render/exposition.h"
#include "support/test_support.h"

namespace kse::client_stats {
namespace {

std::string data_file(const std::string& name) {
  return test::source_dir() + "/tests/client_stats/data/" + name;
}

std::string read(const std::string& path) {
  std::ifstream file(path);
  std::stringstream buffer;
  buffer << file.rdbuf();
  return buffer.str();
}

// A value from the document as Python's json module reads it: `expression` uses `d`.
double python_value(const std::string& file, const std::string& expression) {
  auto result = test::run_command("python3 -c \"import json; d = json.load(open('" + data_file(file) +
                                  "')); print(float(" + expression + "))\"");
  EXPECT_EQ(result.exit_code, 0) << result.output;
  return std::stod(result.output);
}

const metrics::Family* find(const std::vector<metrics::Family>& families, const std::string& name) {
  for (const auto& family : families) {
    if (family.name == name) return &family;
  }
  return nullptr;
}

// The value of the sample whose label values end with `tail` (after client_id,
// client_type) and whose suffix / quantile match; -1 when absent.
double value(const std::vector<metrics::Family>& families, const std::string& name,
             std::vector<std::string> tail = {}, const std::string& suffix = "",
             const std::string& quantile = "", int32_t* owner = nullptr) {
  const auto* family = find(families, name);
  if (family == nullptr) return -1;
  for (const auto& sample : family->samples) {
    if (sample.suffix != suffix) continue;
    const auto values = sample.label_values.to_vector();
    if (values.size() < 2 || std::vector<std::string>(values.begin() + 2, values.end()) != tail) continue;
    const bool has_quantile = !sample.extra_labels.empty();
    if (quantile.empty() == has_quantile) continue;
    if (has_quantile && sample.extra_labels[0].value != quantile) continue;
    if (owner) *owner = sample.owner;
    return sample.value;
  }
  return -1;
}

TEST(ClientStatsTest, ProducerDocument) {
  const auto families = parse_stats(read(data_file("producer.json")));
  EXPECT_EQ(value(families, "kafka_client_messages_sent_total"),
            python_value("producer.json", "d['txmsgs']"));
  EXPECT_EQ(value(families, "kafka_client_message_bytes_sent_total"),
            python_value("producer.json", "d['txmsg_bytes']"));
  EXPECT_EQ(value(families, "kafka_client_requests_sent_total"), python_value("producer.json", "d['tx']"));
  EXPECT_NEAR(value(families, "kafka_client_age_seconds"), python_value("producer.json", "d['age'] / 1e6"),
              1e-9);
  const auto& sample = find(families, "kafka_client_messages_sent_total")->samples.at(0);
  EXPECT_EQ(sample.label_values, (std::vector<std::string>{"capture-producer", "producer"}));
  for (int p = 0; p < 5; ++p) {
    const std::string partition = std::to_string(p);
    int32_t owner = -2;
    EXPECT_EQ(
        value(families, "kafka_client_partition_messages_sent_total", {"testing", partition}, "", "", &owner),
        python_value("producer.json", "d['topics']['testing']['partitions']['" + partition + "']['txmsgs']"));
    EXPECT_EQ(owner, python_value("producer.json",
                                  "d['topics']['testing']['partitions']['" + partition + "']['leader']"));
  }
  EXPECT_EQ(value(families, "kafka_client_partition_messages_sent_total", {"testing", "-1"}), -1)
      << "the unassigned pseudo-partition is left out";
  for (const std::string broker : {"1", "2", "3"}) {
    int32_t owner = -2;
    EXPECT_EQ(value(families, "kafka_client_broker_up", {broker}, "", "", &owner),
              python_value("producer.json", "[b for b in d['brokers'].values() if b['nodeid'] == " + broker +
                                                "][0]['state'] == 'UP'"));
    EXPECT_EQ(owner, std::stoi(broker));
    EXPECT_EQ(value(families, "kafka_client_broker_requests_sent_total", {broker}),
              python_value("producer.json",
                           "[b for b in d['brokers'].values() if b['nodeid'] == " + broker + "][0]['tx']"));
  }
  // The document was taken while the producer sent, under a produce quota on broker 1:
  // its windows hold samples, each a summary in base units.
  const std::string topic = "d['topics']['testing']";
  ASSERT_GT(python_value("producer.json", topic + "['batchsize']['cnt']"), 0)
      << "recapture: no batch in the window";
  EXPECT_EQ(value(families, "kafka_client_topic_batch_size_bytes", {"testing"}, "_count"),
            python_value("producer.json", topic + "['batchsize']['cnt']"));
  EXPECT_EQ(value(families, "kafka_client_topic_batch_size_bytes", {"testing"}, "_sum"),
            python_value("producer.json", topic + "['batchsize']['sum']"));
  EXPECT_EQ(value(families, "kafka_client_topic_batch_size_bytes", {"testing"}, "", "0.99"),
            python_value("producer.json", topic + "['batchsize']['p99']"));
  EXPECT_EQ(value(families, "kafka_client_topic_batch_count_messages", {"testing"}, "_sum"),
            python_value("producer.json", topic + "['batchcnt']['sum']"));
  const std::string broker1 = "[b for b in d['brokers'].values() if b['nodeid'] == 1][0]";
  ASSERT_GT(python_value("producer.json", broker1 + "['throttle']['cnt']"), 0)
      << "recapture: broker 1 did not throttle";
  EXPECT_EQ(value(families, "kafka_client_broker_throttle_seconds", {"1"}, "_count"),
            python_value("producer.json", broker1 + "['throttle']['cnt']"));
  EXPECT_NEAR(value(families, "kafka_client_broker_throttle_seconds", {"1"}, "", "0.99"),
              python_value("producer.json", broker1 + "['throttle']['p99'] / 1e3"), 1e-12);
  EXPECT_NEAR(value(families, "kafka_client_broker_internal_latency_seconds", {"1"}, "_sum"),
              python_value("producer.json", broker1 + "['int_latency']['sum'] / 1e6"), 1e-12);
  EXPECT_NEAR(value(families, "kafka_client_broker_outbuf_latency_seconds", {"1"}, "", "0.5"),
              python_value("producer.json", broker1 + "['outbuf_latency']['p50'] / 1e6"), 1e-12);
  EXPECT_EQ(find(families, "kafka_client_partition_fetch_state"), nullptr) << "a producer fetches nothing";
  EXPECT_EQ(find(families, "kafka_client_group_state"), nullptr);
}

TEST(ClientStatsTest, ConsumerDocument) {
  const auto families = parse_stats(read(data_file("consumer.json")));
  EXPECT_EQ(value(families, "kafka_client_messages_received_total"),
            python_value("consumer.json", "d['rxmsgs']"));
  EXPECT_EQ(value(families, "kafka_client_group_rebalances_total"),
            python_value("consumer.json", "d['cgrp']['rebalance_cnt']"));
  EXPECT_EQ(value(families, "kafka_client_group_assignment_partitions"),
            python_value("consumer.json", "d['cgrp']['assignment_size']"));
  EXPECT_EQ(value(families, "kafka_client_group_state", {"up", "steady"}), 1);
  // Lag and committed offset only where librdkafka knows them.
  for (int p = 0; p < 5; ++p) {
    const std::string partition = std::to_string(p);
    const double lag = python_value(
        "consumer.json", "d['topics']['testing']['partitions']['" + partition + "']['consumer_lag']");
    EXPECT_EQ(value(families, "kafka_client_partition_consumer_lag", {"testing", partition}),
              lag < 0 ? -1 : lag);
    EXPECT_EQ(value(families, "kafka_client_partition_fetch_state", {"testing", partition, "active"}), 1);
  }
  // rtt as a summary of the window, in seconds.
  const std::string broker1 =
      "[b for b in d['brokers'].values() if b['nodeid'] == 1 and b['source'] != 'logical'][0]";
  EXPECT_EQ(value(families, "kafka_client_broker_rtt_seconds", {"1"}, "_count"),
            python_value("consumer.json", broker1 + "['rtt']['cnt']"));
  EXPECT_NEAR(value(families, "kafka_client_broker_rtt_seconds", {"1"}, "", "0.99"),
              python_value("consumer.json", broker1 + "['rtt']['p99'] / 1e6"), 1e-12);
  EXPECT_NEAR(value(families, "kafka_client_broker_rtt_seconds", {"1"}, "_sum"),
              python_value("consumer.json", broker1 + "['rtt']['sum'] / 1e6"), 1e-12);
}

TEST(ClientStatsTest, TransactionalDocument) {
  const auto families = parse_stats(read(data_file("transactional.json")));
  EXPECT_EQ(value(families, "kafka_client_transaction_state", {"Assigned", "Ready"}), 1);
  EXPECT_EQ(value(families, "kafka_client_producer_id"),
            python_value("transactional.json", "d['eos']['producer_id']"));
  EXPECT_EQ(value(families, "kafka_client_producer_epoch"),
            python_value("transactional.json", "d['eos']['producer_epoch']"));
}

// The coordinator handles (GroupCoordinator, TxnCoordinator) repeat a broker's id:
// served as well, they would make duplicate series.
TEST(ClientStatsTest, EverySeriesIsUniqueAndPromtoolAcceptsThePage) {
  for (const char* file : {"producer.json", "consumer.json", "transactional.json"}) {
    const auto families = parse_stats(read(data_file(file)));
    const std::string text = render::render_text(families);
    std::set<std::string> seen;
    std::stringstream lines(text);
    for (std::string line; std::getline(lines, line);) {
      if (line.empty() || line[0] == '#') continue;
      const std::string series = line.substr(0, line.rfind(' '));
      EXPECT_TRUE(seen.insert(series).second) << file << ": duplicate " << series;
    }
    const std::string path = ::testing::TempDir() + "/client-stats.prom";
    std::ofstream(path) << text;
    auto check = test::run_command("promtool check metrics < " + path);
    EXPECT_EQ(check.exit_code, 0) << file << ": " << check.output;
  }
}

TEST(ClientStatsTest, TruncatedDocumentsAreRejectedCleanly) {
  const std::string json = read(data_file("consumer.json"));
  for (size_t length = 0; length + 2 < json.size(); length += (length < 200 ? 1 : 37)) {
    EXPECT_THROW(parse_stats(std::string_view(json).substr(0, length)), StatsParseError) << length;
  }
}

TEST(ClientStatsTest, WrongTypesNameTheField) {
  std::string json = read(data_file("producer.json"));
  const auto at = json.find("\"txmsgs\":");
  ASSERT_NE(at, std::string::npos);
  json.insert(at + 9, "\"many\", \"was\":");
  try {
    parse_stats(json);
    FAIL() << "accepted a string where a number belongs";
  } catch (const StatsParseError& error) {
    EXPECT_NE(std::string(error.what()).find("txmsgs"), std::string::npos) << error.what();
  }
  std::string consumer = read(data_file("consumer.json"));
  const auto lag = consumer.find("\"consumer_lag\":");
  ASSERT_NE(lag, std::string::npos);
  consumer.insert(lag + 15, "\"far\", \"was\":");
  try {
    parse_stats(consumer);
    FAIL() << "accepted a string as a partition's lag";
  } catch (const StatsParseError& error) {
    EXPECT_NE(std::string(error.what()).find("partitions."), std::string::npos) << error.what();
    EXPECT_NE(std::string(error.what()).find("consumer_lag"), std::string::npos) << error.what();
  }
  EXPECT_THROW(parse_stats("[1, 2]"), StatsParseError);
  EXPECT_THROW(parse_stats("{\"brokers\": {}}"), StatsParseError);
  EXPECT_THROW(parse_stats("{\"client_id\": \"c\", \"type\": \"producer\", \"brokers\": []}"),
               StatsParseError);
}

TEST(ClientStatsTest, BadDocumentKeepsTheLastGoodValuesAndCountsAnError) {
  ClientStats stats;
  EXPECT_TRUE(stats.families()->empty());
  ASSERT_TRUE(stats.update(read(data_file("producer.json"))));
  EXPECT_FALSE(stats.update("{\"client_id\": \"capture-producer\", \"type\": "));
  EXPECT_EQ(stats.parse_errors(), 1u);
  EXPECT_NE(stats.last_error().find("not valid JSON"), std::string::npos) << stats.last_error();
  const auto families = *stats.families();
  EXPECT_EQ(value(families, "kafka_client_messages_sent_total"),
            python_value("producer.json", "d['txmsgs']"));
  EXPECT_EQ(value(families, "kafka_client_stats_parse_errors_total"), 1);
  EXPECT_EQ(value(families, "kafka_client_stats_documents_total"), 2);
}

TEST(ClientStatsTest, RandomDamageNeverCrashes) {
  const std::string json = read(data_file("consumer.json"));
  std::mt19937 random(12345);
  for (int round = 0; round < 2000; ++round) {
    std::string damaged = json;
    for (int i = 0; i < 1 + round % 8; ++i)
      damaged[random() % damaged.size()] = static_cast<char>(random() % 256);
    try {
      parse_stats(damaged);
    } catch (const StatsParseError&) {
    }
  }
}

TEST(ClientStatsTest, PrometheusCollectableCarriesTheSameValues) {
  auto stats = std::make_shared<ClientStats>();
  ASSERT_TRUE(stats->update(read(data_file("consumer.json"))));
  PrometheusCollectable collectable(stats);
  const auto families = collectable.Collect();
  const std::string text = prometheus::TextSerializer().Serialize(families);
  std::ostringstream expected;
  expected << "kafka_client_messages_received_total{client_id=\"capture-consumer\",client_type=\"consumer\"} "
           << static_cast<int64_t>(python_value("consumer.json", "d['rxmsgs']"));
  EXPECT_NE(text.find(expected.str()), std::string::npos) << text.substr(0, 2000);
  bool found = false;
  for (const auto& family : families) {
    if (family.name != "kafka_client_broker_rtt_seconds") continue;
    for (const auto& metric : family.metric) {
      if (metric.label.back().value != "1") continue;
      found = true;
      EXPECT_EQ(metric.summary.quantile.size(), 3u);
      EXPECT_EQ(static_cast<double>(metric.summary.sample_count),
                python_value("consumer.json",
                             "[b for b in d['brokers'].values() if b['nodeid'] == 1 and b['source'] != "
                             "'logical'][0]['rtt']['cnt']"));
    }
  }
  EXPECT_TRUE(found);
}

// docs/client-metrics.md's three lines, in a librdkafka producer served by a real
// prometheus-cpp Exposer; no broker is needed for the client to report on itself.
TEST(ClientStatsTest, TheDocumentedThreeLinesServeTheClientThroughAnExposer) {
  prometheus::Exposer exposer{"127.0.0.1:0"};
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  char error[256];
  ASSERT_EQ(rd_kafka_conf_set(conf, "bootstrap.servers", "127.0.0.1:1", error, sizeof error),
            RD_KAFKA_CONF_OK);
  ASSERT_EQ(rd_kafka_conf_set(conf, "client.id", "three-lines", error, sizeof error), RD_KAFKA_CONF_OK);
  ASSERT_EQ(rd_kafka_conf_set(conf, "log_level", "0", error, sizeof error), RD_KAFKA_CONF_OK);

  auto client_metrics = std::make_shared<kse::client_stats::PrometheusCollectable>();
  client_metrics->stats().attach(conf, 100);
  exposer.RegisterCollectable(client_metrics);

  rd_kafka_t* producer = rd_kafka_new(RD_KAFKA_PRODUCER, conf, error, sizeof error);
  ASSERT_NE(producer, nullptr) << error;
  const std::string url =
      "http://127.0.0.1:" + std::to_string(exposer.GetListeningPorts().at(0)) + "/metrics";
  std::string page;
  for (int i = 0; i < 50 && page.find("kafka_client_age_seconds{") == std::string::npos; ++i) {
    rd_kafka_poll(producer, 100);
    page = test::run_command("curl -sf -m 5 " + url).output;
  }
  rd_kafka_destroy(producer);
  EXPECT_NE(page.find("kafka_client_age_seconds{client_id=\"three-lines\",client_type=\"producer\"}"),
            std::string::npos)
      << page.substr(0, 2000);
  EXPECT_EQ(client_metrics->stats().parse_errors(), 0u) << client_metrics->stats().last_error();
}

TEST(ClientStatsTest, DocumentationListsEveryFamily) {
  const std::string doc = read(test::source_dir() + "/docs/client-metrics.md");
  const std::string begin = "<!-- BEGIN GENERATED: client families -->\n";
  const std::string end = "<!-- END GENERATED: client families -->";
  const auto b = doc.find(begin);
  const auto e = doc.find(end);
  ASSERT_NE(b, std::string::npos) << "docs/client-metrics.md lacks the generated-section marker";
  ASSERT_NE(e, std::string::npos);
  EXPECT_EQ(doc.substr(b + begin.size(), e - b - begin.size()), catalogue_markdown())
      << "docs/client-metrics.md disagrees with client_stats/catalogue.cpp; regenerate the table";
}

}  // namespace
}  // namespace kse::client_stats
