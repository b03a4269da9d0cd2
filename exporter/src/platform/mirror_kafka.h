#pragma once

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <chrono>
#include <cstdint>
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

  // Latest offsets of `topics`' partitions in the cluster at `bootstrap` (comma-separated).
  // Throws std::runtime_error saying what failed; a partition whose leader did not answer is absent.
  std::map<TopicPartition, int64_t> log_ends(const std::string& bootstrap,
                                             const std::vector<std::string>& topics);

  // The newest record timestamp (Unix seconds) among `topic`'s partitions in the monitored
  // cluster; absent when the topic is empty. Throws std::runtime_error.
  std::optional<double> newest_record(const std::string& topic);

 private:
  kafka::KafkaClient& client_for(const std::string& bootstrap);
  // Latest offsets (timestamp -1) or the max timestamp entries (timestamp -3) of `topics`.
  std::map<TopicPartition, std::pair<int64_t, int64_t>> list_offsets(kafka::KafkaClient& client,
                                                                     const std::vector<std::string>& topics,
                                                                     int64_t timestamp);

  kafka::ClientConfig monitored_;
  std::chrono::milliseconds timeout_;
  boost::asio::io_context io_;
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> work_;
  std::map<std::string, std::unique_ptr<kafka::KafkaClient>> clients_;  // by bootstrap
  std::thread thread_;
};

}  // namespace kse::platform
