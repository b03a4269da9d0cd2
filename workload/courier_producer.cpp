// courier-producer: the seed's workshop 2 producer. N couriers each send their
// position every interval to a topic, keyed by courier id; one thread schedules
// them all. Ends with one summary line whose counts come from delivery reports.
#include <fmt/format.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "common/courier_position.h"
#include "common/kafka_client.h"
#include "common/metrics_endpoint.h"
#include "common/stop_signal.h"

namespace kse::workload {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

constexpr const char* kToolName = "courier-producer";

struct ProducerOptions {
  CommonOptions common;
  std::string topic = "position";
  int couriers = 100;
  int64_t messages_per_courier = 10000;
  int interval_ms = 10;
  std::string acks = "all";
  std::optional<int> batch_size;
  std::optional<int> linger_ms;
  std::optional<int> retries;
  std::optional<int> max_in_flight;
  std::optional<bool> idempotence;
  bool sync = false;
  int delivery_timeout_ms = 30000;
  double flush_timeout_s = 30;
  std::optional<double> duration_s;
  double linger_after_s = 0;
  std::optional<uint64_t> seed;
};

struct DeliveryCounts {
  std::atomic<uint64_t> enqueued{0};
  std::atomic<uint64_t> delivered{0};
  std::atomic<uint64_t> failed{0};
  std::atomic<uint64_t> rejected{0};

  uint64_t outstanding() const { return enqueued - delivered - failed; }
};

class CourierProducer {
 public:
  explicit CourierProducer(const ProducerOptions& options)
      : options_(options),
        metrics_(options.common.metrics_address, options.common.metrics_port),
        sent_counter_(metrics_.counter("courier_messages_sent_total", "Messages handed to the Kafka client.",
                                       topic_label())),
        delivered_counter_(metrics_.counter("courier_messages_delivered_total",
                                            "Messages acknowledged by the brokers.", topic_label())),
        failed_counter_(metrics_.counter("courier_messages_failed_total", "Messages whose delivery failed.",
                                         topic_label())) {
    context_.tool_name = kToolName;
    if (metrics_.serving()) context_.stats = std::make_shared<client_stats::ClientStats>();
    context_.on_delivery = [this](const rd_kafka_message_t& message) { on_delivery(message); };
    KafkaConfig config;
    config.set("bootstrap.servers", options.common.bootstrap_servers);
    config.set("client.id", options.common.client_id.empty() ? kToolName : options.common.client_id);
    config.set("acks", options.acks);
    config.set("message.timeout.ms", std::to_string(options.delivery_timeout_ms));
    if (options.batch_size) config.set("batch.size", std::to_string(*options.batch_size));
    if (options.linger_ms) config.set("linger.ms", std::to_string(*options.linger_ms));
    if (options.retries) config.set("retries", std::to_string(*options.retries));
    if (options.max_in_flight) {
      config.set("max.in.flight.requests.per.connection", std::to_string(*options.max_in_flight));
    }
    if (options.idempotence) config.set("enable.idempotence", *options.idempotence ? "true" : "false");
    config.set_all(options.common.properties);
    client_ = create_client(RD_KAFKA_PRODUCER, config, context_, options.common.stats_interval_ms);
    if (context_.stats) metrics_.serve_client_stats({context_.stats});
  }

  int run() {
    std::mt19937_64 random(options_.seed ? *options_.seed : std::random_device{}());
    std::vector<Courier> couriers;
    couriers.reserve(static_cast<size_t>(options_.couriers));
    for (int id = 0; id < options_.couriers; ++id) couriers.emplace_back(id, random);

    const auto start = Clock::now();
    const auto deadline = options_.duration_s
                              ? start + std::chrono::duration_cast<Clock::duration>(
                                            std::chrono::duration<double>(*options_.duration_s))
                              : Clock::time_point::max();
    auto next_round = start;
    auto next_report = start + report_interval();
    bool more_to_send = true;
    while (more_to_send && !stop_requested() && !context_.fatal_error && Clock::now() < deadline) {
      more_to_send = false;
      for (auto& courier : couriers) {
        if (options_.messages_per_courier > 0 && courier.next_index() >= options_.messages_per_courier) {
          continue;
        }
        if (!send(courier, random)) {
          more_to_send = false;
          break;
        }
        if (options_.messages_per_courier == 0 || courier.next_index() < options_.messages_per_courier) {
          more_to_send = true;
        }
      }
      next_round += milliseconds(options_.interval_ms);
      // A producer that fell behind starts again from now instead of bursting.
      if (next_round + milliseconds(options_.interval_ms) < Clock::now()) next_round = Clock::now();
      poll_until(more_to_send ? std::min(next_round, deadline) : Clock::now());
      if (options_.common.report_interval_s > 0 && Clock::now() >= next_report) {
        report_progress(start);
        next_report += report_interval();
      }
    }

    const int flush_ms = static_cast<int>(options_.flush_timeout_s * 1000);
    if (rd_kafka_flush(client_.get(), flush_ms) == RD_KAFKA_RESP_ERR__TIMED_OUT) {
      std::fprintf(stderr, "%s: %llu messages still undelivered after the %.0f s flush timeout\n", kToolName,
                   static_cast<unsigned long long>(counts_.outstanding()), options_.flush_timeout_s);
    }
    const double elapsed = seconds_since(start);
    std::printf(
        "sent=%llu failed=%llu enqueued=%llu undelivered=%llu rejected=%llu elapsed_s=%.3f "
        "rate_per_s=%.1f\n",
        static_cast<unsigned long long>(counts_.delivered.load()),
        static_cast<unsigned long long>(counts_.failed.load()),
        static_cast<unsigned long long>(counts_.enqueued.load()),
        static_cast<unsigned long long>(counts_.outstanding()),
        static_cast<unsigned long long>(counts_.rejected.load()), elapsed,
        elapsed > 0 ? static_cast<double>(counts_.delivered) / elapsed : 0.0);
    std::fflush(stdout);
    linger_after();
    const bool all_delivered = counts_.failed == 0 && counts_.rejected == 0 && counts_.outstanding() == 0;
    return all_delivered && !context_.fatal_error ? 0 : 1;
  }

 private:
  std::map<std::string, std::string> topic_label() const { return {{"topic", options_.topic}}; }

  Clock::duration report_interval() const {
    return std::chrono::duration_cast<Clock::duration>(
        std::chrono::duration<double>(std::max(options_.common.report_interval_s, 0.1)));
  }

  // False when the tool must stop sending.
  bool send(Courier& courier, std::mt19937_64& random) {
    const std::string key = courier.key();
    const std::string value = courier.next_message(now_epoch_ms(), random);
    while (true) {
      const rd_kafka_resp_err_t error = rd_kafka_producev(
          client_.get(), RD_KAFKA_V_TOPIC(options_.topic.c_str()), RD_KAFKA_V_KEY(key.data(), key.size()),
          RD_KAFKA_V_VALUE(const_cast<char*>(value.data()), value.size()),
          RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_END);
      if (error == RD_KAFKA_RESP_ERR_NO_ERROR) break;
      if (error != RD_KAFKA_RESP_ERR__QUEUE_FULL) {
        ++counts_.rejected;
        std::fprintf(stderr, "%s: cannot produce to %s: %s\n", kToolName, options_.topic.c_str(),
                     rd_kafka_err2str(error));
        return false;
      }
      // The local queue is full: serve delivery reports until there is room.
      rd_kafka_poll(client_.get(), 50);
      if (stop_requested() || context_.fatal_error) return false;
    }
    ++counts_.enqueued;
    sent_counter_.Increment();
    if (options_.sync) return wait_for_delivery();
    return true;
  }

  bool wait_for_delivery() {
    const auto deadline = Clock::now() + milliseconds(options_.delivery_timeout_ms + 5000);
    while (counts_.outstanding() > 0 && Clock::now() < deadline && !context_.fatal_error) {
      rd_kafka_poll(client_.get(), 100);
    }
    return counts_.outstanding() == 0 && !stop_requested();
  }

  void poll_until(Clock::time_point until) {
    rd_kafka_poll(client_.get(), 0);
    while (!stop_requested()) {
      const auto left = std::chrono::duration_cast<milliseconds>(until - Clock::now()).count();
      if (left <= 0) return;
      rd_kafka_poll(client_.get(), static_cast<int>(std::min<int64_t>(left, 100)));
    }
  }

  void on_delivery(const rd_kafka_message_t& message) {
    if (message.err == RD_KAFKA_RESP_ERR_NO_ERROR) {
      ++counts_.delivered;
      delivered_counter_.Increment();
      return;
    }
    // The first failure says why; the rest are counted.
    if (counts_.failed.fetch_add(1) == 0) {
      std::fprintf(stderr, "%s: delivery failed: %s\n", kToolName, rd_kafka_err2str(message.err));
    }
    failed_counter_.Increment();
  }

  void report_progress(Clock::time_point start) {
    const double elapsed = seconds_since(start);
    std::fprintf(stderr, "%s: enqueued=%llu delivered=%llu failed=%llu in_queue=%d rate_per_s=%.1f\n",
                 kToolName, static_cast<unsigned long long>(counts_.enqueued.load()),
                 static_cast<unsigned long long>(counts_.delivered.load()),
                 static_cast<unsigned long long>(counts_.failed.load()), rd_kafka_outq_len(client_.get()),
                 elapsed > 0 ? static_cast<double>(counts_.delivered) / elapsed : 0.0);
  }

  // Keeps serving /metrics (and statistics) so a scrape sees the final numbers.
  void linger_after() {
    const auto until = Clock::now() + std::chrono::duration_cast<Clock::duration>(
                                          std::chrono::duration<double>(options_.linger_after_s));
    poll_until(until);
  }

  ProducerOptions options_;
  MetricsEndpoint metrics_;
  prometheus::Counter& sent_counter_;
  prometheus::Counter& delivered_counter_;
  prometheus::Counter& failed_counter_;
  ClientContext context_;
  DeliveryCounts counts_;
  KafkaHandle client_;
};

}  // namespace
}  // namespace kse::workload

int main(int argc, char** argv) {
  using kse::workload::ProducerOptions;
  ProducerOptions options;
  CLI::App cli{"courier-producer: couriers sending their positions to Kafka, keyed by courier id"};
  options.common.add_to(cli);
  cli.add_option("--topic", options.topic, "Topic to write")->capture_default_str();
  cli.add_option("--couriers", options.couriers, "Number of couriers")
      ->check(CLI::Range(1, 1000000))
      ->capture_default_str();
  cli.add_option("--messages-per-courier", options.messages_per_courier,
                 "Positions each courier sends (0 = until stopped)")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  cli.add_option("--interval-ms", options.interval_ms, "Time between two positions of a courier")
      ->check(CLI::Range(0, 3600000))
      ->capture_default_str();
  cli.add_option("--acks", options.acks, "acks: all, -1, 0 or 1")
      ->check(CLI::IsMember({"all", "-1", "0", "1"}))
      ->capture_default_str();
  cli.add_option("--batch-size", options.batch_size, "batch.size in bytes")->check(CLI::Range(1, 2147483647));
  cli.add_option("--linger-ms", options.linger_ms, "linger.ms")->check(CLI::Range(0, 900000));
  cli.add_option("--retries", options.retries, "retries")->check(CLI::Range(0, 2147483647));
  cli.add_option("--max-in-flight", options.max_in_flight, "max.in.flight.requests.per.connection")
      ->check(CLI::Range(1, 1000000));
  cli.add_option("--idempotence", options.idempotence, "enable.idempotence (true or false)");
  auto* sync =
      cli.add_flag("--sync", options.sync, "Wait for each message's delivery report before the next");
  cli.add_flag("--async{false}", options.sync, "Do not wait for delivery reports (default)")->excludes(sync);
  cli.add_option("--delivery-timeout-ms", options.delivery_timeout_ms,
                 "message.timeout.ms: a message not acknowledged by then fails")
      ->check(CLI::Range(1, 2147483647))
      ->capture_default_str();
  cli.add_option("--flush-timeout-s", options.flush_timeout_s,
                 "At the end, wait this long for outstanding deliveries")
      ->check(CLI::Range(0.0, 3600.0))
      ->capture_default_str();
  cli.add_option("--duration-s", options.duration_s, "Stop sending after this many seconds")
      ->check(CLI::Range(0.0, 31536000.0));
  cli.add_option("--linger-after-s", options.linger_after_s,
                 "After the summary, keep serving /metrics this long")
      ->check(CLI::Range(0.0, 86400.0))
      ->capture_default_str();
  cli.add_option("--seed", options.seed, "Random seed of the positions");
  return kse::workload::run_tool(kse::workload::kToolName, cli, argc, argv, [&] {
    kse::workload::CourierProducer producer(options);
    return producer.run();
  });
}
