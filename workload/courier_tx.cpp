// courier-tx: the seed's workshop 4 transactional producer. Writes the couriers'
// positions in transactions of T messages (transactional.id tx-position<id>);
// the last, incomplete transaction is committed, aborted or left open so that
// read_committed consumers and the last stable offset show the difference.
#include <fmt/format.h>

#include <CLI/CLI.hpp>
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

constexpr const char* kToolName = "courier-tx";

enum class Ending { kCommit, kAbort, kLeaveOpen };

struct TransactionOptions {
  CommonOptions common;
  std::string topic = "position-tx";
  int id = 1;
  int64_t messages = 105;
  int transaction_size = 10;
  std::string last_transaction = "commit";
  bool leave_open = false;
  bool abort_last = false;
  int abort_every = 0;
  double hold_s = 0;
  int couriers = 5;
  int interval_ms = 0;
  int transaction_timeout_ms = 60000;
  int api_timeout_ms = 30000;
  double linger_after_s = 0;
};

struct TransactionCounts {
  uint64_t committed_transactions = 0;
  uint64_t aborted_transactions = 0;
  uint64_t committed_messages = 0;
  uint64_t aborted_messages = 0;
  uint64_t open_messages = 0;
  std::atomic<uint64_t> delivered{0};
  std::atomic<uint64_t> failed{0};
};

class TransactionalProducer {
 public:
  explicit TransactionalProducer(const TransactionOptions& options)
      : options_(options),
        metrics_(options.common.metrics_address, options.common.metrics_port),
        sent_counter_(metrics_.counter("courier_messages_sent_total", "Messages handed to the Kafka client.",
                                       topic_label())),
        delivered_counter_(metrics_.counter("courier_messages_delivered_total",
                                            "Messages acknowledged by the brokers.", topic_label())),
        failed_counter_(metrics_.counter("courier_messages_failed_total", "Messages whose delivery failed.",
                                         topic_label())),
        committed_counter_(metrics_.counter("courier_transactions_committed_total", "Transactions committed.",
                                            topic_label())),
        aborted_counter_(
            metrics_.counter("courier_transactions_aborted_total", "Transactions aborted.", topic_label())) {
    context_.tool_name = kToolName;
    if (metrics_.serving()) context_.stats = std::make_shared<client_stats::ClientStats>();
    context_.on_delivery = [this](const rd_kafka_message_t& message) { on_delivery(message); };
    KafkaConfig config;
    config.set("bootstrap.servers", options.common.bootstrap_servers);
    config.set("client.id", options.common.client_id.empty() ? fmt::format("{}-{}", kToolName, options.id)
                                                             : options.common.client_id);
    config.set("transactional.id", fmt::format("tx-position{}", options.id));
    config.set("enable.idempotence", "true");
    config.set("transaction.timeout.ms", std::to_string(options.transaction_timeout_ms));
    config.set_all(options.common.properties);
    client_ = create_client(RD_KAFKA_PRODUCER, config, context_, options.common.stats_interval_ms);
    if (context_.stats) metrics_.serve_client_stats({context_.stats});
  }

  int run() {
    check(rd_kafka_init_transactions(client_.get(), options_.api_timeout_ms), "init transactions");
    std::mt19937_64 random(std::random_device{}());
    std::vector<Courier> couriers;
    for (int id = 0; id < options_.couriers; ++id) couriers.emplace_back(id, random);

    int64_t written = 0;
    uint64_t transaction_number = 0;
    const bool until_stopped = options_.messages == 0;
    while ((until_stopped || written < options_.messages) && !stop_requested() && !context_.fatal_error) {
      const int64_t size = until_stopped
                               ? options_.transaction_size
                               : std::min<int64_t>(options_.transaction_size, options_.messages - written);
      ++transaction_number;
      check(rd_kafka_begin_transaction(client_.get()), "begin transaction");
      int64_t produced = 0;
      for (; produced < size && !stop_requested(); ++produced) {
        auto& courier = couriers[static_cast<size_t>((written + produced) % options_.couriers)];
        if (!send(courier, random)) break;
        if (options_.interval_ms > 0) sleep_unless_stopped(milliseconds(options_.interval_ms));
        rd_kafka_poll(client_.get(), 0);
      }
      written += produced;
      Ending ending = ending_of(transaction_number);
      if (produced < size) {
        ending = Ending::kAbort;  // interrupted: never commit half a transaction
      } else if (size < options_.transaction_size) {
        ending = last_ending();
      }
      if (ending == Ending::kLeaveOpen) {
        hold_open(static_cast<uint64_t>(produced));
        end(Ending::kAbort, static_cast<uint64_t>(produced));
      } else {
        end(ending, static_cast<uint64_t>(produced));
      }
    }
    print_summary();
    const auto until = Clock::now() + std::chrono::duration_cast<Clock::duration>(
                                          std::chrono::duration<double>(options_.linger_after_s));
    while (Clock::now() < until && !stop_requested()) rd_kafka_poll(client_.get(), 100);
    return context_.fatal_error || counts_.failed > 0 ? 1 : 0;
  }

 private:
  std::map<std::string, std::string> topic_label() const { return {{"topic", options_.topic}}; }

  Ending last_ending() const {
    if (options_.leave_open || options_.last_transaction == "open") return Ending::kLeaveOpen;
    if (options_.abort_last || options_.last_transaction == "abort") return Ending::kAbort;
    return Ending::kCommit;
  }

  Ending ending_of(uint64_t transaction_number) const {
    const bool abort =
        options_.abort_every > 0 && transaction_number % static_cast<uint64_t>(options_.abort_every) == 0;
    return abort ? Ending::kAbort : Ending::kCommit;
  }

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
        std::fprintf(stderr, "%s: cannot produce to %s: %s\n", kToolName, options_.topic.c_str(),
                     rd_kafka_err2str(error));
        return false;
      }
      rd_kafka_poll(client_.get(), 50);
      if (stop_requested()) return false;
    }
    sent_counter_.Increment();
    return true;
  }

  // The messages reach the brokers, the transaction stays open: the partitions'
  // last stable offset stays below the high watermark until it ends.
  void hold_open(uint64_t messages) {
    if (rd_kafka_flush(client_.get(), options_.api_timeout_ms) != RD_KAFKA_RESP_ERR_NO_ERROR) {
      std::fprintf(stderr, "%s: the open transaction's messages were not all delivered\n", kToolName);
    }
    counts_.open_messages = messages;
    std::printf(
        "holding transaction open: transactional_id=tx-position%d open_messages=%llu "
        "committed_transactions=%llu\n",
        options_.id, static_cast<unsigned long long>(messages),
        static_cast<unsigned long long>(counts_.committed_transactions));
    std::fflush(stdout);
    const auto until = options_.hold_s > 0
                           ? Clock::now() + std::chrono::duration_cast<Clock::duration>(
                                                std::chrono::duration<double>(options_.hold_s))
                           : Clock::time_point::max();
    while (Clock::now() < until && !stop_requested() && !context_.fatal_error) {
      rd_kafka_poll(client_.get(), 100);
    }
    counts_.open_messages = 0;
  }

  void end(Ending ending, uint64_t messages) {
    if (ending == Ending::kCommit) {
      rd_kafka_error_t* error = rd_kafka_commit_transaction(client_.get(), options_.api_timeout_ms);
      if (error == nullptr) {
        ++counts_.committed_transactions;
        counts_.committed_messages += messages;
        committed_counter_.Increment();
        return;
      }
      const bool abortable = rd_kafka_error_txn_requires_abort(error);
      std::fprintf(stderr, "%s: commit failed: %s\n", kToolName, rd_kafka_error_string(error));
      rd_kafka_error_destroy(error);
      if (!abortable) throw WorkloadError("commit transaction: not recoverable, see above");
    }
    check(rd_kafka_abort_transaction(client_.get(), options_.api_timeout_ms), "abort transaction");
    ++counts_.aborted_transactions;
    counts_.aborted_messages += messages;
    aborted_counter_.Increment();
  }

  void on_delivery(const rd_kafka_message_t& message) {
    if (message.err == RD_KAFKA_RESP_ERR_NO_ERROR) {
      ++counts_.delivered;
      delivered_counter_.Increment();
    } else if (message.err != RD_KAFKA_RESP_ERR__PURGE_QUEUE &&
               message.err != RD_KAFKA_RESP_ERR__PURGE_INFLIGHT) {
      // Purged messages belong to an aborted transaction: aborted, not failed.
      if (counts_.failed.fetch_add(1) == 0) {
        std::fprintf(stderr, "%s: delivery failed: %s\n", kToolName, rd_kafka_err2str(message.err));
      }
      failed_counter_.Increment();
    }
  }

  void print_summary() {
    std::printf(
        "committed_transactions=%llu aborted_transactions=%llu committed_messages=%llu "
        "aborted_messages=%llu delivered=%llu failed=%llu\n",
        static_cast<unsigned long long>(counts_.committed_transactions),
        static_cast<unsigned long long>(counts_.aborted_transactions),
        static_cast<unsigned long long>(counts_.committed_messages),
        static_cast<unsigned long long>(counts_.aborted_messages),
        static_cast<unsigned long long>(counts_.delivered.load()),
        static_cast<unsigned long long>(counts_.failed.load()));
    std::fflush(stdout);
  }

  TransactionOptions options_;
  MetricsEndpoint metrics_;
  prometheus::Counter& sent_counter_;
  prometheus::Counter& delivered_counter_;
  prometheus::Counter& failed_counter_;
  prometheus::Counter& committed_counter_;
  prometheus::Counter& aborted_counter_;
  ClientContext context_;
  TransactionCounts counts_;
  KafkaHandle client_;
};

}  // namespace
}  // namespace kse::workload

int main(int argc, char** argv) {
  kse::workload::TransactionOptions options;
  CLI::App cli{
      "courier-tx: couriers' positions written in Kafka transactions (transactional.id "
      "tx-position<id>)"};
  options.common.add_to(cli);
  cli.add_option("--topic", options.topic, "Topic to write")->capture_default_str();
  cli.add_option("--id", options.id, "Producer number: transactional.id is tx-position<id>")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  cli.add_option("--messages", options.messages, "Messages to write in all (0 = until stopped)")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  cli.add_option("--transaction-size", options.transaction_size, "Messages per transaction")
      ->check(CLI::Range(1, 1000000))
      ->capture_default_str();
  auto* last = cli.add_option("--last-transaction", options.last_transaction,
                              "What to do with a last, incomplete transaction")
                   ->check(CLI::IsMember({"commit", "abort", "open"}))
                   ->capture_default_str();
  auto* leave_open = cli.add_flag("--leave-open", options.leave_open,
                                  "Same as --last-transaction open: keep it open until --hold-s or a signal")
                         ->excludes(last);
  cli.add_flag("--abort-last", options.abort_last, "Same as --last-transaction abort")
      ->excludes(last)
      ->excludes(leave_open);
  cli.add_option("--abort-every", options.abort_every, "Abort every Nth complete transaction (0 = none)")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  cli.add_option("--hold-s", options.hold_s,
                 "How long an open transaction is kept open (0 = until SIGINT/SIGTERM); it is then aborted")
      ->check(CLI::Range(0.0, 86400.0))
      ->capture_default_str();
  cli.add_option("--couriers", options.couriers, "Couriers whose positions are written in turn")
      ->check(CLI::Range(1, 1000000))
      ->capture_default_str();
  cli.add_option("--interval-ms", options.interval_ms, "Pause between two messages")
      ->check(CLI::Range(0, 3600000))
      ->capture_default_str();
  cli.add_option("--transaction-timeout-ms", options.transaction_timeout_ms,
                 "transaction.timeout.ms: the broker aborts a transaction left open longer (after "
                 "a kill -9)")
      ->check(CLI::Range(1000, 900000))
      ->capture_default_str();
  cli.add_option("--api-timeout-ms", options.api_timeout_ms, "Timeout of init / commit / abort")
      ->check(CLI::Range(1000, 3600000))
      ->capture_default_str();
  cli.add_option("--linger-after-s", options.linger_after_s,
                 "After the summary, keep serving /metrics this long")
      ->check(CLI::Range(0.0, 86400.0))
      ->capture_default_str();
  return kse::workload::run_tool(kse::workload::kToolName, cli, argc, argv, [&] {
    kse::workload::TransactionalProducer producer(options);
    return producer.run();
  });
}
