// The courier tools against the live cluster, checked with Kafka's own tools:
// kafka-get-offsets, kafka-consumer-groups, kafka-transactions.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <map>
#include <numeric>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "exporter/exporter_process.h"
#include "support/kafka_tools.h"
#include "support/test_support.h"

namespace kse::test {
namespace {

using namespace std::chrono_literals;

// Ports of this suite only; the demo uses 7081-7083.
constexpr int kProducerMetricsPort = 19801;
constexpr int kConsumerMetricsPort = 19802;
constexpr int kTransactionsMetricsPort = 19803;
constexpr int kExporterClusterPort = 19808;
constexpr int kExporterBrokerPortBase = 19871;

std::string tool_path(const std::string& tool) { return build_dir() + "/workload/" + tool; }

std::string unique_name(const std::string& what) {
  return "position-test-" + std::to_string(getpid()) + "-" + what;
}

std::string read_file(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// "key=value key=value" of the line that starts with `first_key=`.
std::map<std::string, std::string> summary_of(const std::string& output, const std::string& first_key) {
  std::map<std::string, std::string> fields;
  for (const auto& line : split_lines(output)) {
    if (line.rfind(first_key + "=", 0) != 0) continue;
    std::stringstream stream(line);
    std::string field;
    while (stream >> field) {
      const auto equals = field.find('=');
      if (equals != std::string::npos) fields[field.substr(0, equals)] = field.substr(equals + 1);
    }
  }
  return fields;
}

int64_t field(const std::map<std::string, std::string>& fields, const std::string& name) {
  auto found = fields.find(name);
  return found == fields.end() ? -1 : std::stoll(found->second);
}

// One of the courier tools in the background: stdout and stderr to files, SIGTERM at the end.
class ToolProcess {
 public:
  // Each run its own log: a second run of a tool must not find the first one's output.
  ToolProcess(const std::string& tool, std::vector<std::string> arguments)
      : log_(std::string("/tmp/kse-workload-test-") + std::to_string(getpid()) + "-" + tool + "-" +
             std::to_string(++runs_)) {
    const std::string binary = tool_path(tool);
    pid_ = fork();
    if (pid_ == 0) {
      const int out = open((log_ + ".out").c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
      const int err = open((log_ + ".err").c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
      dup2(out, STDOUT_FILENO);
      dup2(err, STDERR_FILENO);
      std::vector<char*> argv{const_cast<char*>(binary.c_str())};
      for (auto& argument : arguments) argv.push_back(argument.data());
      argv.push_back(nullptr);
      execv(binary.c_str(), argv.data());
      _exit(127);
    }
  }
  ~ToolProcess() { terminate(); }

  std::string output() const { return read_file(log_ + ".out"); }
  std::string errors() const { return read_file(log_ + ".err"); }

  bool wait_for_output(const std::string& text, std::chrono::seconds timeout) const {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
      if (output().find(text) != std::string::npos) return true;
      std::this_thread::sleep_for(200ms);
    }
    return false;
  }

  // Exit code, or -1 when it did not end within `timeout` (then it is killed).
  int wait_exit(std::chrono::seconds timeout) {
    if (pid_ <= 0) return exit_code_;
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    int status = 0;
    while (std::chrono::steady_clock::now() < deadline) {
      if (waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = -1;
        exit_code_ = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
        return exit_code_;
      }
      std::this_thread::sleep_for(100ms);
    }
    kill(pid_, SIGKILL);
    waitpid(pid_, &status, 0);
    pid_ = -1;
    exit_code_ = -1;
    return exit_code_;
  }

  int terminate() {
    if (pid_ > 0) kill(pid_, SIGTERM);
    return wait_exit(60s);
  }

 private:
  static inline int runs_ = 0;
  std::string log_;
  pid_t pid_ = -1;
  int exit_code_ = -1;
};

// Runs a tool to its end; returns its standard output (its summary line).
std::string run_tool(const std::string& tool, const std::string& arguments, std::chrono::seconds timeout) {
  const std::string errors = "/tmp/kse-workload-test-" + std::to_string(getpid()) + "-" + tool + ".err";
  auto result = run_command(tool_path(tool) + " " + arguments + " 2>" + errors, timeout);
  EXPECT_EQ(result.exit_code, 0) << tool << " " << arguments << "\n" << result.output << read_file(errors);
  return result.output;
}

// A topic shaped like the seed's `position` (5 partitions, RF 3, min.insync.replicas 2), deleted at
// the end.
class TestTopic {
 public:
  explicit TestTopic(std::string name) : name_(std::move(name)) {
    auto created = kafka_tool("kafka-topics",
                              std::string("--bootstrap-server ") + kBootstrap + " --create --topic " + name_ +
                                  " --partitions 5 --replication-factor 3 --config min.insync.replicas=2");
    EXPECT_EQ(created.exit_code, 0) << created.output;
    // A broker that learns of the topic late would make a producer drop it meanwhile.
    for (const char* broker : {"127.0.0.1:9092", "127.0.0.1:9192", "127.0.0.1:9292"}) {
      const std::string answer = "Metadata for " + name_ + " (from broker";
      bool known = false;
      for (int attempt = 0; attempt < 30 && !known; ++attempt) {
        auto metadata = run_command(std::string("kcat -L -m 5 -b ") + broker + " -t " + name_, 10s);
        known = metadata.output.find(answer) != std::string::npos &&
                metadata.output.find("with 5 partitions") != std::string::npos;
        if (!known) std::this_thread::sleep_for(500ms);
      }
      EXPECT_TRUE(known) << broker << " does not know topic " << name_;
    }
  }
  ~TestTopic() {
    kafka_tool("kafka-topics",
               std::string("--bootstrap-server ") + kBootstrap + " --delete --topic " + name_);
  }
  const std::string& name() const { return name_; }

  // End offset of each partition, from kafka-get-offsets.
  std::map<int32_t, int64_t> end_offsets() const {
    auto result = kafka_tool("kafka-get-offsets",
                             std::string("--bootstrap-server ") + kBootstrap + " --topic " + name_);
    EXPECT_EQ(result.exit_code, 0) << result.output;
    std::map<int32_t, int64_t> offsets;
    for (const auto& [key, offset] : parse_get_offsets(result.output)) {
      if (key.first == name_) offsets[key.second] = offset;
    }
    return offsets;
  }

 private:
  std::string name_;
};

int64_t total(const std::map<int32_t, int64_t>& offsets) {
  return std::accumulate(offsets.begin(), offsets.end(), int64_t{0},
                         [](int64_t sum, const auto& entry) { return sum + entry.second; });
}

// Consumer groups of one test, deleted at its end whatever happened.
class TestGroups {
 public:
  explicit TestGroups(std::vector<std::string> names) : names_(std::move(names)) {}
  ~TestGroups() {
    std::string arguments = std::string("--bootstrap-server ") + kBootstrap + " --delete";
    for (const auto& group : names_) arguments += " --group " + group;
    kafka_tool("kafka-consumer-groups", arguments);
  }
  const std::string& operator[](size_t index) const { return names_.at(index); }

 private:
  std::vector<std::string> names_;
};

std::vector<ToolGroupOffset> describe_group(const std::string& group) {
  auto result = kafka_tool("kafka-consumer-groups",
                           std::string("--bootstrap-server ") + kBootstrap + " --describe --group " + group);
  EXPECT_EQ(result.exit_code, 0) << result.output;
  return parse_group_describe(result.output);
}

struct Series {
  std::string name;
  std::map<std::string, std::string> labels;
  double value = 0;
};

std::vector<Series> scrape(int port) {
  std::vector<Series> page;
  auto result = run_command("curl -sf -m 10 http://127.0.0.1:" + std::to_string(port) + "/metrics", 20s);
  if (result.exit_code != 0) return page;
  for (const auto& line : split_lines(result.output)) {
    if (line.empty() || line[0] == '#') continue;
    Series series;
    const auto brace = line.find('{');
    const auto space = line.rfind(' ');
    if (space == std::string::npos) continue;
    series.name = line.substr(0, std::min(brace, space));
    if (brace != std::string::npos && brace < space) {
      std::string labels = line.substr(brace + 1, line.rfind('}') - brace - 1);
      size_t position = 0;
      while (position < labels.size()) {
        const auto equals = labels.find("=\"", position);
        const auto close = labels.find('"', equals + 2);
        if (equals == std::string::npos || close == std::string::npos) break;
        series.labels[labels.substr(position, equals - position)] =
            labels.substr(equals + 2, close - equals - 2);
        position = close + 2;  // past `",`
      }
    }
    try {
      series.value = std::stod(line.substr(space + 1));
    } catch (const std::exception&) {
      continue;
    }
    page.push_back(std::move(series));
  }
  return page;
}

// The value of the one series `name` whose labels include `labels`.
std::optional<double> value_of(const std::vector<Series>& page, const std::string& name,
                               const std::map<std::string, std::string>& labels) {
  for (const auto& series : page) {
    if (series.name != name) continue;
    bool matches = true;
    for (const auto& [label, value] : labels) {
      auto found = series.labels.find(label);
      if (found == series.labels.end() || found->second != value) matches = false;
    }
    if (matches) return series.value;
  }
  return std::nullopt;
}

std::string producer_arguments(const std::string& topic, int couriers, int messages_per_courier) {
  return "--topic " + topic + " --couriers " + std::to_string(couriers) + " --messages-per-courier " +
         std::to_string(messages_per_courier) + " --interval-ms 5 --acks all --report-interval-s 0";
}

// Seed workshop 2: what the producer says it delivered is what landed in the topic,
// and what its librdkafka statistics say it transmitted.
TEST(WorkloadTest, ProducerDeliveredCountEqualsEndOffsetsAndClientStats) {
  TestTopic topic(unique_name("produce"));
  const auto before = topic.end_offsets();
  ToolProcess producer(
      "courier-producer",
      {"--topic", topic.name(), "--couriers", "5", "--messages-per-courier", "200", "--interval-ms", "10",
       "--acks", "all", "--metrics-port", std::to_string(kProducerMetricsPort), "--stats-interval-ms", "500",
       "--linger-after-s", "6", "--report-interval-s", "0"});
  ASSERT_TRUE(producer.wait_for_output("sent=", 90s)) << producer.output() << producer.errors();
  const auto summary = summary_of(producer.output(), "sent");
  EXPECT_EQ(field(summary, "sent"), 1000) << producer.output();
  EXPECT_EQ(field(summary, "failed"), 0);
  EXPECT_EQ(field(summary, "undelivered"), 0);

  // Statistics every 500 ms: after 2 s the last document counts every transmission.
  std::this_thread::sleep_for(2s);
  const auto page = scrape(kProducerMetricsPort);
  ASSERT_FALSE(page.empty()) << "nothing served on " << kProducerMetricsPort;
  EXPECT_EQ(value_of(page, "kafka_client_messages_sent_total",
                     {{"client_id", "courier-producer"}, {"client_type", "producer"}}),
            1000.0);
  EXPECT_EQ(value_of(page, "courier_messages_delivered_total", {{"topic", topic.name()}}), 1000.0);
  EXPECT_EQ(value_of(page, "courier_messages_sent_total", {{"topic", topic.name()}}), 1000.0);
  EXPECT_EQ(value_of(page, "courier_messages_failed_total", {{"topic", topic.name()}}), 0.0);
  EXPECT_EQ(producer.wait_exit(60s), 0) << producer.errors();

  const auto after = topic.end_offsets();
  ASSERT_EQ(after.size(), 5u);
  EXPECT_EQ(total(after) - total(before), field(summary, "sent"));
  for (const auto& [partition, offset] : after) {
    EXPECT_EQ(value_of(page, "kafka_client_partition_messages_sent_total",
                       {{"topic", topic.name()}, {"partition", std::to_string(partition)}})
                  .value_or(0),
              static_cast<double>(offset - before.at(partition)))
        << "partition " << partition;
  }
}

// Requests the producer's librdkafka sent to all brokers, from its statistics.
double requests_sent(const std::vector<Series>& page) {
  double sum = 0;
  for (const auto& series : page) {
    if (series.name == "kafka_client_broker_requests_sent_total") sum += series.value;
  }
  return sum;
}

// Seed workshop 2's settings reach librdkafka: waiting for each acknowledgement
// (--sync, one request in flight) sends a produce request per message, lingering
// batches them; either way every message lands once.
TEST(WorkloadTest, ProducerSettingsChangeHowItSendsNotWhatLands) {
  TestTopic topic(unique_name("settings"));
  struct Variant {
    std::string name;
    std::vector<std::string> flags;
  };
  const std::vector<Variant> variants = {
      {"sync", {"--sync", "--acks", "1", "--idempotence", "false", "--max-in-flight", "1", "--retries", "3"}},
      {"batched", {"--acks", "all", "--idempotence", "true", "--linger-ms", "200", "--batch-size", "32000"}}};
  std::map<std::string, double> requests;
  for (const auto& variant : variants) {
    SCOPED_TRACE(variant.name);
    const auto before = topic.end_offsets();
    std::vector<std::string> arguments = {"--topic",
                                          topic.name(),
                                          "--couriers",
                                          "3",
                                          "--messages-per-courier",
                                          "100",
                                          "--interval-ms",
                                          "10",
                                          "--metrics-port",
                                          std::to_string(kProducerMetricsPort),
                                          "--stats-interval-ms",
                                          "300",
                                          "--linger-after-s",
                                          "3",
                                          "--report-interval-s",
                                          "0"};
    arguments.insert(arguments.end(), variant.flags.begin(), variant.flags.end());
    ToolProcess producer("courier-producer", arguments);
    ASSERT_TRUE(producer.wait_for_output("sent=", 90s)) << producer.output() << producer.errors();
    const auto summary = summary_of(producer.output(), "sent");
    EXPECT_EQ(field(summary, "sent"), 300) << producer.output();
    EXPECT_EQ(field(summary, "failed"), 0);
    std::this_thread::sleep_for(1s);  // a statistics document after the last send
    requests[variant.name] = requests_sent(scrape(kProducerMetricsPort));
    EXPECT_EQ(producer.wait_exit(60s), 0) << producer.errors();
    EXPECT_EQ(total(topic.end_offsets()) - total(before), 300);
  }
  EXPECT_GE(requests["sync"], 300) << "one produce request per message";
  EXPECT_LT(requests["batched"], 150) << "200 ms of linger batches the couriers' messages";
}

// Seed workshop 3: three instances of a group read every message once and commit the end.
TEST(WorkloadTest, ConsumerGroupReadsEachMessageOnceAndCommitsTheEndOffsets) {
  TestTopic topic(unique_name("consume"));
  const TestGroups groups({unique_name("group")});
  const std::string& group = groups[0];
  const auto produced =
      summary_of(run_tool("courier-producer", producer_arguments(topic.name(), 5, 200), 120s), "sent");
  ASSERT_EQ(field(produced, "sent"), 1000);

  ToolProcess consumer("courier-consumer", {"--topic", topic.name(), "--group", group, "--concurrency", "3",
                                            "--max-poll-records", "50", "--idle-exit-s", "5", "--duration-s",
                                            "90", "--metrics-port", std::to_string(kConsumerMetricsPort),
                                            "--stats-interval-ms", "500", "--report-interval-s", "0"});
  // While it runs: the three instances' statistics on one page.
  std::vector<Series> page;
  for (int attempt = 0; attempt < 40; ++attempt) {
    page = scrape(kConsumerMetricsPort);
    if (value_of(page, "courier_messages_consumed_total", {{"group", group}}).value_or(0) == 1000 &&
        value_of(page, "kafka_client_messages_received_total", {{"client_id", "courier-consumer-3"}})) {
      break;
    }
    std::this_thread::sleep_for(500ms);
  }
  EXPECT_EQ(value_of(page, "courier_messages_consumed_total", {{"group", group}}), 1000.0);
  for (const char* instance : {"courier-consumer-1", "courier-consumer-2", "courier-consumer-3"}) {
    EXPECT_TRUE(value_of(page, "kafka_client_messages_received_total", {{"client_id", instance}}))
        << instance;
  }
  ASSERT_EQ(consumer.wait_exit(120s), 0) << consumer.errors();
  const auto summary = summary_of(consumer.output(), "consumed");
  EXPECT_EQ(field(summary, "consumed"), 1000) << consumer.output();
  EXPECT_EQ(field(summary, "duplicates"), 0);
  EXPECT_EQ(field(summary, "distinct"), 1000);

  const auto end_offsets = topic.end_offsets();
  const auto rows = describe_group(group);
  int64_t committed = 0;
  for (const auto& [partition, end] : end_offsets) {
    const ToolGroupOffset* row = nullptr;
    for (const auto& candidate : rows) {
      if (candidate.topic == topic.name() && candidate.partition == partition) row = &candidate;
    }
    if (end == 0) continue;  // no message, nothing to commit
    ASSERT_NE(row, nullptr) << "partition " << partition << " missing from kafka-consumer-groups";
    ASSERT_TRUE(row->current_offset) << "partition " << partition << " has no committed offset";
    EXPECT_EQ(*row->current_offset, end) << "partition " << partition;
    committed += *row->current_offset;
  }
  EXPECT_EQ(committed, 1000);
}

// Seed workshop 3: a stopped consumer's lag grows by exactly what is produced
// after it; the exporter and kafka-consumer-groups agree.
TEST(WorkloadTest, StoppedConsumerLagEqualsWhatWasProducedSince) {
  TestTopic topic(unique_name("lag"));
  const TestGroups groups({unique_name("lag-group")});
  const std::string& group = groups[0];
  ASSERT_EQ(
      field(summary_of(run_tool("courier-producer", producer_arguments(topic.name(), 5, 100), 120s), "sent"),
            "sent"),
      500);

  ExporterProcess exporter({"--bootstrap-servers",
                            "127.0.0.1:9092,127.0.0.1:9192,127.0.0.1:9292",
                            "--listen-address",
                            "127.0.0.1",
                            "--cluster-port",
                            std::to_string(kExporterClusterPort),
                            "--set",
                            "serve.broker_port_base=" + std::to_string(kExporterBrokerPortBase),
                            "--set",
                            "collect.interval=2s",
                            "--set",
                            "collect.timeout=1500ms",
                            "--set",
                            "kafka.request_timeout=750ms",
                            "--set",
                            "probe.enabled=false",
                            "--set",
                            "filters.topic_include=^" + topic.name() + "$",
                            "--set",
                            "filters.group_include=^" + group + "$"},
                           "/tmp/kse-workload-test-exporter.log");
  ASSERT_TRUE(ExporterProcess::wait_ready(kExporterClusterPort, 30s))
      << read_file("/tmp/kse-workload-test-exporter.log");

  const auto consumed =
      summary_of(run_tool("courier-consumer",
                          "--topic " + topic.name() + " --group " + group +
                              " --concurrency 2 --idle-exit-s 4 --duration-s 60 --report-interval-s 0",
                          90s),
                 "consumed");
  ASSERT_EQ(field(consumed, "consumed"), 500);

  // The group's lag as the exporter serves it, on whichever port its coordinator has.
  auto exporter_lag = [&]() -> std::optional<double> {
    for (int port : {kExporterClusterPort, kExporterBrokerPortBase, kExporterBrokerPortBase + 1,
                     kExporterBrokerPortBase + 2}) {
      auto lag = value_of(scrape(port), "kafka_consumergroup_lag_sum",
                          {{"consumergroup", group}, {"topic", topic.name()}});
      if (lag) return lag;
    }
    return std::nullopt;
  };
  auto wait_for_lag = [&](double expected) {
    std::optional<double> lag;
    for (int attempt = 0; attempt < 30; ++attempt) {
      lag = exporter_lag();
      if (lag == expected) break;
      std::this_thread::sleep_for(1s);
    }
    return lag;
  };
  EXPECT_EQ(wait_for_lag(0), 0.0) << "the consumer committed everything";

  constexpr int kProducedSince = 3 * 40;
  ASSERT_EQ(
      field(summary_of(run_tool("courier-producer", producer_arguments(topic.name(), 3, 40), 120s), "sent"),
            "sent"),
      kProducedSince);
  EXPECT_EQ(wait_for_lag(kProducedSince), static_cast<double>(kProducedSince));

  int64_t tool_lag = 0;
  for (const auto& row : describe_group(group)) {
    if (row.topic == topic.name() && row.lag) tool_lag += *row.lag;
  }
  EXPECT_EQ(tool_lag, kProducedSince);
  EXPECT_EQ(exporter_lag(), static_cast<double>(tool_lag));
  EXPECT_EQ(exporter.stop(), 0);
}

// Seed workshop 4: `producer-tx 1 105 ...`: 10 transactions of 10 committed, the
// last 5 messages in a transaction left open.
TEST(WorkloadTest, OpenTransactionHidesItsMessagesFromReadCommittedConsumers) {
  TestTopic topic(unique_name("tx"));
  const std::string producer_id = std::to_string(getpid());
  const std::string transactional_id = "tx-position" + producer_id;
  ToolProcess producer(
      "courier-tx",
      {"--topic", topic.name(), "--id", producer_id, "--messages", "105", "--transaction-size", "10",
       "--leave-open", "--hold-s", "100", "--transaction-timeout-ms", "120000", "--metrics-port",
       std::to_string(kTransactionsMetricsPort), "--stats-interval-ms", "500"});
  ASSERT_TRUE(producer.wait_for_output("holding transaction open", 90s))
      << producer.output() << producer.errors();

  const TestGroups groups({unique_name("read-committed"), unique_name("read-uncommitted")});
  const std::string& committed_group = groups[0];
  const std::string& uncommitted_group = groups[1];
  const std::string common =
      " --concurrency 1 --idle-exit-s 4 --duration-s 40 --report-interval-s 0 --topic " + topic.name();
  const auto committed = summary_of(
      run_tool("courier-consumer", "--isolation read_committed --group " + committed_group + common, 60s),
      "consumed");
  EXPECT_EQ(field(committed, "consumed"), 100);
  EXPECT_EQ(field(committed, "duplicates"), 0);
  const auto uncommitted = summary_of(
      run_tool("courier-consumer", "--isolation read_uncommitted --group " + uncommitted_group + common, 60s),
      "consumed");
  EXPECT_EQ(field(uncommitted, "consumed"), 105);

  auto listed = kafka_tool("kafka-transactions", std::string("--bootstrap-server ") + kBootstrap + " list");
  bool ongoing = false;
  for (const auto& line : split_lines(listed.output)) {
    std::stringstream stream(line);
    std::vector<std::string> columns;
    for (std::string column; stream >> column;) columns.push_back(column);
    if (columns.size() >= 4 && columns[0] == transactional_id) ongoing = columns[3] == "Ongoing";
  }
  EXPECT_TRUE(ongoing) << listed.output;

  const auto page = scrape(kTransactionsMetricsPort);
  EXPECT_EQ(value_of(page, "kafka_client_transaction_state",
                     {{"client_id", "courier-tx-" + producer_id}, {"txn_state", "InTransaction"}}),
            1.0);
  EXPECT_EQ(value_of(page, "courier_transactions_committed_total", {{"topic", topic.name()}}), 10.0);
  EXPECT_EQ(value_of(page, "courier_messages_delivered_total", {{"topic", topic.name()}}), 105.0);

  // SIGTERM ends the hold: the open transaction is aborted, not left to time out.
  EXPECT_EQ(producer.terminate(), 0) << producer.errors();
  const auto summary = summary_of(producer.output(), "committed_transactions");
  EXPECT_EQ(field(summary, "committed_transactions"), 10) << producer.output();
  EXPECT_EQ(field(summary, "aborted_transactions"), 1);
  EXPECT_EQ(field(summary, "committed_messages"), 100);
  EXPECT_EQ(field(summary, "aborted_messages"), 5);
  std::string state;
  for (int attempt = 0; attempt < 10 && state != "CompleteAbort"; ++attempt) {
    auto described = kafka_tool("kafka-transactions", std::string("--bootstrap-server ") + kBootstrap +
                                                          " describe --transactional-id " + transactional_id);
    for (const auto& line : split_lines(described.output)) {
      std::stringstream stream(line);
      std::vector<std::string> columns;
      for (std::string column; stream >> column;) columns.push_back(column);
      if (columns.size() >= 5 && columns[1] == transactional_id) state = columns[4];
    }
    if (state != "CompleteAbort") std::this_thread::sleep_for(1s);
  }
  EXPECT_EQ(state, "CompleteAbort");
}

}  // namespace
}  // namespace kse::test
