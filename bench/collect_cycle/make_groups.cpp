// Commits one offset for each of N consumer groups (kse-bench-group-<i>) on a topic,
// so the collection benchmark has that many groups to describe. librdkafka, bounded.
#include <librdkafka/rdkafka.h>

#include <cstdio>
#include <cstdlib>
#include <string>

int main(int argc, char** argv) {
  if (argc < 4) {
    std::fprintf(stderr, "usage: make_groups BOOTSTRAP TOPIC COUNT\n");
    return 2;
  }
  const int count = std::atoi(argv[3]);
  int failures = 0;
  for (int i = 0; i < count; ++i) {
    char error[512];
    rd_kafka_conf_t* conf = rd_kafka_conf_new();
    const std::string group = "kse-bench-group-" + std::to_string(i);
    if (rd_kafka_conf_set(conf, "bootstrap.servers", argv[1], error, sizeof error) != RD_KAFKA_CONF_OK ||
        rd_kafka_conf_set(conf, "group.id", group.c_str(), error, sizeof error) != RD_KAFKA_CONF_OK ||
        rd_kafka_conf_set(conf, "socket.timeout.ms", "10000", error, sizeof error) != RD_KAFKA_CONF_OK) {
      std::fprintf(stderr, "config: %s\n", error);
      return 2;
    }
    rd_kafka_t* consumer = rd_kafka_new(RD_KAFKA_CONSUMER, conf, error, sizeof error);
    if (consumer == nullptr) {
      std::fprintf(stderr, "consumer: %s\n", error);
      return 1;
    }
    rd_kafka_topic_partition_list_t* offsets = rd_kafka_topic_partition_list_new(1);
    rd_kafka_topic_partition_list_add(offsets, argv[2], i % 10)->offset = 0;
    if (rd_kafka_commit(consumer, offsets, 0) != RD_KAFKA_RESP_ERR_NO_ERROR) ++failures;
    rd_kafka_topic_partition_list_destroy(offsets);
    rd_kafka_destroy(consumer);
  }
  std::printf("%d groups committed, %d failed\n", count - failures, failures);
  return failures == 0 ? 0 : 1;
}
