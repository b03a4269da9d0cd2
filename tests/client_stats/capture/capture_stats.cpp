// Captures one real librdkafka statistics document for the golden tests:
//   capture_stats producer|consumer|transactional <bootstrap> <topic> <out.json>
// The producer sends 100 keyed messages over three statistics windows and writes the
// document of a window that saw traffic (batch sizes, latencies and round trips with
// samples); the consumer reads them in a group, the transactional producer commits
// one transaction of 10 the same way; the consumer then waits for the next
// statistics document and writes it.
#include <librdkafka/rdkafka.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <mutex>
#include <string>
#include <thread>

namespace {

std::mutex mutex;
std::string latest;
std::atomic<int> documents{0};

int on_stats(rd_kafka_t*, char* json, size_t length, void*) {
  std::lock_guard lock(mutex);
  latest.assign(json, length);
  ++documents;
  return 0;
}

void set(rd_kafka_conf_t* conf, const char* key, const char* value) {
  char error[512];
  if (rd_kafka_conf_set(conf, key, value, error, sizeof error) != RD_KAFKA_CONF_OK) {
    std::fprintf(stderr, "%s: %s\n", key, error);
    std::exit(2);
  }
}

void wait_for_documents(rd_kafka_t* rk, int more, bool consumer) {
  const int target = documents + more;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (documents < target && std::chrono::steady_clock::now() < deadline) {
    if (consumer) {
      if (auto* m = rd_kafka_consumer_poll(rk, 100)) rd_kafka_message_destroy(m);
    } else {
      rd_kafka_poll(rk, 100);
    }
  }
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 5) {
    std::fprintf(stderr,
                 "usage: capture_stats producer|consumer|transactional <bootstrap> <topic> <out.json>\n");
    return 2;
  }
  const std::string mode = argv[1];
  const char* topic = argv[3];
  char error[512];
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  set(conf, "bootstrap.servers", argv[2]);
  set(conf, "statistics.interval.ms", "1000");
  rd_kafka_conf_set_stats_cb(conf, on_stats);
  rd_kafka_t* rk = nullptr;
  if (mode == "consumer") {
    set(conf, "client.id", "capture-consumer");
    set(conf, "group.id", "capture-stats-group");
    set(conf, "auto.offset.reset", "earliest");
    rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, error, sizeof error);
    if (!rk) return std::fprintf(stderr, "%s\n", error), 1;
    rd_kafka_poll_set_consumer(rk);
    auto* list = rd_kafka_topic_partition_list_new(1);
    rd_kafka_topic_partition_list_add(list, topic, RD_KAFKA_PARTITION_UA);
    rd_kafka_subscribe(rk, list);
    rd_kafka_topic_partition_list_destroy(list);
    int consumed = 0;
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    while (consumed < 100 && std::chrono::steady_clock::now() < deadline) {
      if (auto* m = rd_kafka_consumer_poll(rk, 200)) {
        if (!m->err) ++consumed;
        rd_kafka_message_destroy(m);
      }
    }
    rd_kafka_commit(rk, nullptr, 0);
    wait_for_documents(rk, 2, true);
    rd_kafka_consumer_close(rk);
  } else {
    const bool transactional = mode == "transactional";
    set(conf, "client.id", transactional ? "capture-transactional" : "capture-producer");
    set(conf, "linger.ms", "5");
    if (transactional) set(conf, "transactional.id", "capture-stats-tx");
    rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, error, sizeof error);
    if (!rk) return std::fprintf(stderr, "%s\n", error), 1;
    const int count = transactional ? 10 : 100;
    if (transactional) {
      if (auto* e = rd_kafka_init_transactions(rk, 30000))
        return std::fprintf(stderr, "%s\n", rd_kafka_error_string(e)), 1;
      rd_kafka_begin_transaction(rk);
    }
    // Spread over about three seconds: the windows that close meanwhile hold samples.
    const auto spacing = std::chrono::milliseconds(3000 / count);
    std::string during_traffic;
    for (int i = 0; i < count; ++i) {
      const std::string key = "courier-" + std::to_string(i % 10);
      const std::string value = "{\"index\":" + std::to_string(i) + "}";
      rd_kafka_producev(rk, RD_KAFKA_V_TOPIC(topic), RD_KAFKA_V_KEY(key.data(), key.size()),
                        RD_KAFKA_V_VALUE(const_cast<char*>(value.data()), value.size()),
                        RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_END);
      const auto next = std::chrono::steady_clock::now() + spacing;
      while (std::chrono::steady_clock::now() < next) rd_kafka_poll(rk, 5);
      std::lock_guard lock(mutex);
      if (documents >= 2) during_traffic = latest;  // the first window may predate the first send
    }
    if (transactional) {
      if (auto* e = rd_kafka_commit_transaction(rk, 30000))
        return std::fprintf(stderr, "%s\n", rd_kafka_error_string(e)), 1;
    }
    rd_kafka_flush(rk, 10000);
    wait_for_documents(rk, 1, false);
    std::lock_guard lock(mutex);
    // The transactional producer's last document shows its transaction committed (Ready).
    if (!transactional && !during_traffic.empty()) latest = during_traffic;
  }
  {
    std::lock_guard lock(mutex);
    std::ofstream(argv[4]) << latest << "\n";
  }
  rd_kafka_destroy(rk);
  std::printf("%s: %zu bytes after %d documents\n", argv[4], latest.size(), documents.load());
  return latest.empty() ? 1 : 0;
}
