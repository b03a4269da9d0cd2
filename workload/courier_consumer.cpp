// courier-consumer: the seed's workshop 3 consumer group. K instances of group
// `consumer`, one thread each, read the couriers' positions, report throughput
// and count the (courier id, index) pairs they see more than once.
#include <fmt/format.h>

#include <CLI/CLI.hpp>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "common/courier_position.h"
#include "common/duplicate_detector.h"
#include "common/kafka_client.h"
#include "common/metrics_endpoint.h"
#include "common/stop_signal.h"

namespace kse::workload {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

constexpr const char* kToolName = "courier-consumer";

struct ConsumerOptions {
  CommonOptions common;
  std::string topic = "position";
  std::string group = "consumer";
  int concurrency = 3;
  std::string isolation = "read_uncommitted";
  int max_poll_records = 500;
  bool manual_commit = false;
  int auto_commit_interval_ms = 5000;
  std::string offset_reset = "earliest";
  int batch_delay_ms = 0;
  std::optional<double> duration_s;
  uint64_t max_messages = 0;
  std::optional<double> idle_exit_s;
  double close_timeout_s = 30;
};

// Everything the instances share.
struct GroupTotals {
  std::atomic<uint64_t> consumed{0};
  std::atomic<uint64_t> invalid{0};
  std::atomic<uint64_t> errors{0};
  std::atomic<uint64_t> commit_errors{0};
  std::atomic<int> instances_running{0};
  std::atomic<bool> stop{false};
  std::atomic<int64_t> last_message_ms{0};
  DuplicateDetector duplicates;
};

class ConsumerInstance {
 public:
  ConsumerInstance(const ConsumerOptions& options, int number, GroupTotals& totals, MetricsEndpoint& metrics,
                   bool with_stats)
      : options_(options),
        number_(number),
        totals_(totals),
        consumed_counter_(metrics.counter("courier_messages_consumed_total",
                                          "Messages processed by the consumer group's instances.",
                                          {{"topic", options.topic}, {"group", options.group}})),
        duplicates_counter_(metrics.counter("courier_duplicates_total",
                                            "Messages whose (courier id, index) was seen before.",
                                            {{"topic", options.topic}, {"group", options.group}})) {
    context_.tool_name = kToolName;
    if (with_stats) context_.stats = std::make_shared<client_stats::ClientStats>();
    const std::string base_id = options.common.client_id.empty() ? kToolName : options.common.client_id;
    KafkaConfig config;
    config.set("bootstrap.servers", options.common.bootstrap_servers);
    config.set("client.id", options.concurrency == 1 ? base_id : fmt::format("{}-{}", base_id, number));
    config.set("group.id", options.group);
    config.set("auto.offset.reset", options.offset_reset);
    config.set("isolation.level", options.isolation);
    config.set("enable.auto.commit", options.manual_commit ? "false" : "true");
    config.set("auto.commit.interval.ms", std::to_string(options.auto_commit_interval_ms));
    // Offsets are stored after processing, so a message polled but not processed is read again.
    config.set("enable.auto.offset.store", "false");
    config.set_all(options.common.properties);
    client_ = create_client(RD_KAFKA_CONSUMER, config, context_, options.common.stats_interval_ms);
    rd_kafka_poll_set_consumer(client_.get());
    rd_kafka_topic_partition_list_t* topics = rd_kafka_topic_partition_list_new(1);
    rd_kafka_topic_partition_list_add(topics, options.topic.c_str(), RD_KAFKA_PARTITION_UA);
    const rd_kafka_resp_err_t error = rd_kafka_subscribe(client_.get(), topics);
    rd_kafka_topic_partition_list_destroy(topics);
    if (error != RD_KAFKA_RESP_ERR_NO_ERROR) {
      throw WorkloadError(fmt::format("cannot subscribe to {}: {}", options.topic, rd_kafka_err2str(error)));
    }
  }

  std::shared_ptr<client_stats::ClientStats> stats() const { return context_.stats; }

  void run() {
    while (!totals_.stop && !stop_requested() && !context_.fatal_error) {
      const int processed = consume_batch();
      if (options_.manual_commit && processed > 0) commit();
      if (options_.batch_delay_ms > 0 && processed > 0) {
        sleep_unless_stopped(milliseconds(options_.batch_delay_ms));
      }
    }
    close();
  }

 private:
  // At most max_poll_records messages, like Java's max.poll.records.
  int consume_batch() {
    int processed = 0;
    while (processed < options_.max_poll_records && !totals_.stop) {
      rd_kafka_message_t* message = rd_kafka_consumer_poll(client_.get(), processed == 0 ? 200 : 0);
      if (message == nullptr) break;
      const bool counted = process(*message);
      rd_kafka_message_destroy(message);
      if (counted) ++processed;
    }
    return processed;
  }

  // True when the message was processed and its offset stored.
  bool process(const rd_kafka_message_t& message) {
    if (message.err == RD_KAFKA_RESP_ERR__PARTITION_EOF) return false;
    if (message.err != RD_KAFKA_RESP_ERR_NO_ERROR) {
      ++totals_.errors;
      std::fprintf(stderr, "%s-%d: %s\n", kToolName, number_, rd_kafka_message_errstr(&message));
      return false;
    }
    if (options_.max_messages > 0 && totals_.consumed.fetch_add(1) >= options_.max_messages) {
      // Beyond the cap: not processed, not stored, read again by the next run.
      totals_.consumed.fetch_sub(1);
      totals_.stop = true;
      return false;
    }
    if (options_.max_messages == 0) ++totals_.consumed;
    consumed_counter_.Increment();
    totals_.last_message_ms = now_epoch_ms();
    const auto identity = parse_position_identity(
        std::string_view(static_cast<const char*>(message.payload), message.payload ? message.len : 0));
    if (!identity) {
      ++totals_.invalid;
    } else if (totals_.duplicates.seen_before(identity->courier_id, identity->index)) {
      duplicates_counter_.Increment();
    }
    rd_kafka_offset_store(message.rkt, message.partition, message.offset);
    if (options_.max_messages > 0 && totals_.consumed >= options_.max_messages) totals_.stop = true;
    return true;
  }

  void commit() {
    const rd_kafka_resp_err_t error = rd_kafka_commit(client_.get(), nullptr, 0);
    // Nothing stored since the last commit is not an error.
    if (error != RD_KAFKA_RESP_ERR_NO_ERROR && error != RD_KAFKA_RESP_ERR__NO_OFFSET) {
      ++totals_.commit_errors;
      std::fprintf(stderr, "%s-%d: commit failed: %s\n", kToolName, number_, rd_kafka_err2str(error));
    }
  }

  // Commits what was processed and leaves the group, so the others take over at once.
  void close() {
    if (options_.manual_commit) commit();
    rd_kafka_queue_t* close_queue = rd_kafka_queue_new(client_.get());
    rd_kafka_error_t* error = rd_kafka_consumer_close_queue(client_.get(), close_queue);
    if (error != nullptr) {
      std::fprintf(stderr, "%s-%d: close: %s\n", kToolName, number_, rd_kafka_error_string(error));
      rd_kafka_error_destroy(error);
    } else {
      const auto deadline = Clock::now() + std::chrono::duration_cast<Clock::duration>(
                                               std::chrono::duration<double>(options_.close_timeout_s));
      while (!rd_kafka_consumer_closed(client_.get()) && Clock::now() < deadline) {
        rd_kafka_event_t* event = rd_kafka_queue_poll(close_queue, 100);
        if (event == nullptr) continue;
        if (rd_kafka_event_type(event) == RD_KAFKA_EVENT_REBALANCE) give_back_partitions(event);
        rd_kafka_event_destroy(event);
      }
      if (!rd_kafka_consumer_closed(client_.get())) {
        std::fprintf(stderr, "%s-%d: the group was not left cleanly within %.0f s\n", kToolName, number_,
                     options_.close_timeout_s);
      }
    }
    rd_kafka_queue_destroy(close_queue);
  }

  // While closing, revoked partitions are served by us rather than by librdkafka.
  void give_back_partitions(rd_kafka_event_t* event) {
    if (rd_kafka_event_error(event) != RD_KAFKA_RESP_ERR__REVOKE_PARTITIONS) return;
    if (std::string_view(rd_kafka_rebalance_protocol(client_.get())) == "COOPERATIVE") {
      rd_kafka_error_t* error =
          rd_kafka_incremental_unassign(client_.get(), rd_kafka_event_topic_partition_list(event));
      if (error != nullptr) rd_kafka_error_destroy(error);
    } else {
      rd_kafka_assign(client_.get(), nullptr);
    }
  }

  const ConsumerOptions& options_;
  int number_;
  GroupTotals& totals_;
  prometheus::Counter& consumed_counter_;
  prometheus::Counter& duplicates_counter_;
  ClientContext context_;
  KafkaHandle client_;
};

int run_group(const ConsumerOptions& options) {
  MetricsEndpoint metrics(options.common.metrics_address, options.common.metrics_port);
  GroupTotals totals;
  std::vector<std::unique_ptr<ConsumerInstance>> instances;
  std::vector<std::shared_ptr<client_stats::ClientStats>> stats;
  for (int number = 1; number <= options.concurrency; ++number) {
    instances.push_back(
        std::make_unique<ConsumerInstance>(options, number, totals, metrics, metrics.serving()));
    if (instances.back()->stats()) stats.push_back(instances.back()->stats());
  }
  if (!stats.empty()) metrics.serve_client_stats(stats);

  const auto start = Clock::now();
  std::vector<std::thread> threads;
  totals.instances_running = options.concurrency;
  for (auto& instance : instances) {
    threads.emplace_back([&totals, raw = instance.get()] {
      raw->run();
      --totals.instances_running;
    });
  }

  const auto deadline = options.duration_s ? start + std::chrono::duration_cast<Clock::duration>(
                                                         std::chrono::duration<double>(*options.duration_s))
                                           : Clock::time_point::max();
  const auto report_every = std::chrono::duration_cast<Clock::duration>(
      std::chrono::duration<double>(std::max(options.common.report_interval_s, 0.1)));
  auto next_report = start + report_every;
  uint64_t consumed_at_last_report = 0;
  auto last_report = start;
  while (!stop_requested() && !totals.stop && totals.instances_running > 0 && Clock::now() < deadline) {
    std::this_thread::sleep_for(milliseconds(50));
    if (options.idle_exit_s && totals.consumed > 0 &&
        now_epoch_ms() - totals.last_message_ms > static_cast<int64_t>(*options.idle_exit_s * 1000)) {
      break;
    }
    if (options.common.report_interval_s > 0 && Clock::now() >= next_report) {
      const uint64_t consumed = totals.consumed;
      const double window = std::chrono::duration<double>(Clock::now() - last_report).count();
      std::fprintf(stderr, "%s: consumed=%llu rate_per_s=%.1f duplicates=%llu invalid=%llu\n", kToolName,
                   static_cast<unsigned long long>(consumed),
                   static_cast<double>(consumed - consumed_at_last_report) / window,
                   static_cast<unsigned long long>(totals.duplicates.duplicates()),
                   static_cast<unsigned long long>(totals.invalid.load()));
      consumed_at_last_report = consumed;
      last_report = Clock::now();
      next_report += report_every;
    }
  }
  const double elapsed = seconds_since(start);
  totals.stop = true;
  for (auto& thread : threads) thread.join();
  instances.clear();  // every instance has left the group before the summary

  const uint64_t consumed = totals.consumed;
  std::printf(
      "consumed=%llu duplicates=%llu distinct=%llu invalid=%llu errors=%llu commit_errors=%llu "
      "elapsed_s=%.3f rate_per_s=%.1f\n",
      static_cast<unsigned long long>(consumed),
      static_cast<unsigned long long>(totals.duplicates.duplicates()),
      static_cast<unsigned long long>(totals.duplicates.distinct()),
      static_cast<unsigned long long>(totals.invalid.load()),
      static_cast<unsigned long long>(totals.errors.load()),
      static_cast<unsigned long long>(totals.commit_errors.load()), elapsed,
      elapsed > 0 ? static_cast<double>(consumed) / elapsed : 0.0);
  std::fflush(stdout);
  return totals.commit_errors == 0 ? 0 : 1;
}

}  // namespace
}  // namespace kse::workload

int main(int argc, char** argv) {
  kse::workload::ConsumerOptions options;
  CLI::App cli{"courier-consumer: a consumer group reading the couriers' positions, counting duplicates"};
  options.common.add_to(cli);
  cli.add_option("--topic", options.topic, "Topic to read")->capture_default_str();
  cli.add_option("--group", options.group, "group.id")->capture_default_str();
  cli.add_option("--concurrency", options.concurrency, "Consumer instances of the group in this process")
      ->check(CLI::Range(1, 256))
      ->capture_default_str();
  cli.add_option("--isolation", options.isolation, "isolation.level")
      ->check(CLI::IsMember({"read_committed", "read_uncommitted"}))
      ->capture_default_str();
  cli.add_option("--max-poll-records", options.max_poll_records,
                 "Messages processed per poll loop iteration (and per manual commit)")
      ->check(CLI::Range(1, 1000000))
      ->capture_default_str();
  cli.add_flag("--manual-commit", options.manual_commit,
               "Commit synchronously after each batch instead of auto-commit");
  cli.add_option("--auto-commit-interval-ms", options.auto_commit_interval_ms, "auto.commit.interval.ms")
      ->check(CLI::Range(1, 86400000))
      ->capture_default_str();
  cli.add_option("--offset-reset", options.offset_reset, "auto.offset.reset")
      ->check(CLI::IsMember({"earliest", "latest"}))
      ->capture_default_str();
  cli.add_option("--batch-delay-ms", options.batch_delay_ms, "Pause after each batch: a slow consumer")
      ->check(CLI::Range(0, 3600000))
      ->capture_default_str();
  cli.add_option("--duration-s", options.duration_s, "Stop after this many seconds")
      ->check(CLI::Range(0.0, 31536000.0));
  cli.add_option("--max-messages", options.max_messages,
                 "Stop after processing this many messages (0 = no cap)")
      ->capture_default_str();
  cli.add_option("--idle-exit-s", options.idle_exit_s,
                 "Stop when no message arrived for this long after the first one")
      ->check(CLI::Range(0.1, 86400.0));
  cli.add_option("--close-timeout-s", options.close_timeout_s, "Longest wait to leave the group at the end")
      ->check(CLI::Range(0.0, 3600.0))
      ->capture_default_str();
  return kse::workload::run_tool(kse::workload::kToolName, cli, argc, argv,
                                 [&] { return kse::workload::run_group(options); });
}
