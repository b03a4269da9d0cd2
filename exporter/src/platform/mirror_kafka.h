#pragma once

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "kafka/client/client_config.h"
#include "kafka/client/kafka_client.h"

// The Kafka reads of the mirrors: log-end offsets in a source cluster, newest record times in
// the monitored cluster. Clients live on an io_context of their own, run by a thread of their
// own; the calls block their caller for at most about two request timeouts.
namespace kse::platform {

using TopicPartition = std::pair<std::string, int32_t>;

class MirrorKafka {
 public:
  MirrorKafka(kafka::ClientConfig monitored, std::chrono::milliseconds timeout);
  ~MirrorKafka();
  MirrorKafka(const MirrorKafka&) = delete;
  MirrorKafka& operator=(const MirrorKafka&) = delete;

  // The log start and end offsets of every partition of the topics `wanted` accepts, in the
  // cluster at `bootstrap` (comma-separated). Throws std::runtime_error saying what failed; a
  // partition whose leader did not answer is absent.
  struct LogRange {
    int64_t start = -1;
    int64_t end = -1;
  };
  std::map<TopicPartition, LogRange> log_ranges(const std::string& bootstrap,
                                                const std::function<bool(const std::string&)>& wanted);

  // The newest record timestamp (Unix seconds) among `topic`'s partitions in the monitored
  // cluster; absent when the topic is empty. Throws std::runtime_error.
  std::optional<double> newest_record(const std::string& topic);

 private:
  kafka::KafkaClient& client_for(const std::string& bootstrap);
  // The leader of each partition of the topics `wanted` accepts (every topic asked for when
  // `topics` is absent).
  std::map<TopicPartition, int32_t> leaders(kafka::KafkaClient& client,
                                            const std::optional<std::vector<std::string>>& topics,
                                            const std::function<bool(const std::string&)>& wanted);
  // ListOffsets at `timestamp` (-1 latest, -2 earliest, -3 max timestamp) of those partitions,
  // one request per leader, all in flight together: (offset, timestamp) of each that answered.
  std::map<TopicPartition, std::pair<int64_t, int64_t>> list_offsets(
      kafka::KafkaClient& client, const std::map<TopicPartition, int32_t>& partitions, int64_t timestamp);

  kafka::ClientConfig monitored_;
  std::chrono::milliseconds timeout_;
  boost::asio::io_context io_;
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> work_;
  std::map<std::string, std::unique_ptr<kafka::KafkaClient>> clients_;  // by bootstrap
  std::thread thread_;
};

}  // namespace kse::platform
