// Commits offsets for each of N consumer groups (kse-bench-group-<i>) on a topic, so the
// benchmarks have that many groups to describe: group i commits OFFSET on PER_GROUP
// partitions (i * PER_GROUP + k) modulo TOPIC_PARTITIONS (defaults: 1, 10 and 0).
// librdkafka, bounded.
#include <librdkafka/rdkafka.h>

#include <cstdio>
#include <cstdlib>
#include <string>

int main(int argc, char** argv) {
  if (argc < 4) {
    std::fprintf(stderr,
                 "usage: make_groups BOOTSTRAP TOPIC COUNT [PER_GROUP [TOPIC_PARTITIONS [OFFSET]]]\n");
    return 2;
  }
  const int count = std::atoi(argv[3]);
  const int per_group = argc > 4 ? std::atoi(argv[4]) : 1;
  const int topic_partitions = argc > 5 ? std::atoi(argv[5]) : 10;
  const long long offset = argc > 6 ? std::atoll(argv[6]) : 0;
  if (count < 0 || per_group < 1 || topic_partitions < 1 || offset < 0) {
    std::fprintf(stderr, "make_groups: COUNT, PER_GROUP, TOPIC_PARTITIONS and OFFSET must be positive\n");
    return 2;
  }
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
    rd_kafka_topic_partition_list_t* offsets = rd_kafka_topic_partition_list_new(per_group);
    for (int k = 0; k < per_group; ++k) {
      const int partition = static_cast<int>((static_cast<long long>(i) * per_group + k) % topic_partitions);
      rd_kafka_topic_partition_list_add(offsets, argv[2], partition)->offset = offset;
    }
    if (rd_kafka_commit(consumer, offsets, 0) != RD_KAFKA_RESP_ERR_NO_ERROR) ++failures;
    rd_kafka_topic_partition_list_destroy(offsets);
    rd_kafka_destroy(consumer);
  }
  std::printf("%d groups committed, %d failed\n", count - failures, failures);
  return failures == 0 ? 0 : 1;
}
