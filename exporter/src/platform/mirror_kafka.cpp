#include "mirror_kafka.h"

#include <boost/asio/post.hpp>
#include <boost/asio/use_future.hpp>
#include <sstream>
#include <stdexcept>

#include "kafka/generated/list_offsets.h"
#include "kafka/generated/metadata.h"
#include "kafka/protocol.h"

namespace kse::platform {

namespace asio = boost::asio;

namespace {

// ListOffsets' MAX_TIMESTAMP (KIP-734, version 7+): the record with the largest timestamp.
constexpr int64_t kMaxTimestamp = -3;

std::vector<std::string> split_bootstrap(const std::string& bootstrap) {
  std::vector<std::string> servers;
  std::stringstream stream(bootstrap);
  std::string server;
  while (std::getline(stream, server, ',')) {
    while (!server.empty() && server.front() == ' ') server.erase(server.begin());
    while (!server.empty() && server.back() == ' ') server.pop_back();
    if (!server.empty()) servers.push_back(server);
  }
  return servers;
}

template <typename T>
T value_or_throw(kafka::Result<T> result, const std::string& what) {
  if (!result.ok()) throw std::runtime_error(what + ": " + result.error().to_string());
  return std::move(result.value());
}

}  // namespace

MirrorKafka::MirrorKafka(kafka::ClientConfig monitored, std::chrono::milliseconds timeout)
    : monitored_(std::move(monitored)), timeout_(timeout), work_(asio::make_work_guard(io_)) {
  thread_ = std::thread([this] { io_.run(); });
}

MirrorKafka::~MirrorKafka() {
  // The clients close their connections on the io thread, then it ends.
  asio::post(io_, asio::use_future([this] { clients_.clear(); })).get();
  work_.reset();
  io_.stop();
  thread_.join();
}

kafka::KafkaClient& MirrorKafka::client_for(const std::string& bootstrap) {
  auto it = clients_.find(bootstrap);
  if (it != clients_.end()) return *it->second;
  kafka::ClientConfig config = monitored_;
  if (!bootstrap.empty()) config.bootstrap_servers = split_bootstrap(bootstrap);
  if (config.bootstrap_servers.empty()) throw std::runtime_error("no bootstrap servers");
  config.request_timeout = timeout_;
  config.connect_timeout = std::min(config.connect_timeout, timeout_);
  auto client = asio::post(io_, asio::use_future([this, &config] {
                             return std::make_unique<kafka::KafkaClient>(io_, config);
                           }))
                    .get();
  return *clients_.emplace(bootstrap, std::move(client)).first->second;
}

std::map<TopicPartition, int32_t> MirrorKafka::leaders(
    kafka::KafkaClient& client, const std::optional<std::vector<std::string>>& topics,
    const std::function<bool(const std::string&)>& wanted) {
  kafka::MetadataRequest metadata;
  metadata.allow_auto_topic_creation = false;
  if (topics) {
    metadata.topics.emplace();
    for (const auto& name : *topics) {
      kafka::MetadataRequest::Topic topic;
      topic.name = name;
      metadata.topics->push_back(std::move(topic));
    }
  } else {
    metadata.topics = std::nullopt;
  }
  const auto answer = value_or_throw(client.send_any_sync(std::move(metadata), timeout_), "Metadata");
  std::map<TopicPartition, int32_t> leaders;
  for (const auto& topic : answer.topics) {
    if (topic.error_code != 0 || !topic.name || !wanted(*topic.name)) continue;
    for (const auto& p : topic.partitions) {
      if (p.error_code == 0 && p.leader_id >= 0) leaders[{*topic.name, p.partition_index}] = p.leader_id;
    }
  }
  return leaders;
}

std::map<TopicPartition, std::pair<int64_t, int64_t>> MirrorKafka::list_offsets(
    kafka::KafkaClient& client, const std::map<TopicPartition, int32_t>& partitions, int64_t timestamp) {
  std::map<int32_t, kafka::ListOffsetsRequest> by_leader;
  for (const auto& [tp, leader] : partitions) {
    auto& request = by_leader[leader];
    request.replica_id = -1;
    request.timeout_ms = static_cast<int32_t>(timeout_.count());
    if (request.topics.empty() || request.topics.back().name != tp.first) {
      request.topics.emplace_back();
      request.topics.back().name = tp.first;
    }
    kafka::ListOffsetsRequest::ListOffsetsPartition partition;
    partition.partition_index = tp.second;
    partition.current_leader_epoch = -1;
    partition.timestamp = timestamp;
    request.topics.back().partitions.push_back(partition);
  }
  // One request per leader, all in flight together.
  std::vector<std::future<kafka::Result<kafka::ListOffsetsResponse>>> pending;
  for (auto& [leader, request] : by_leader) {
    pending.push_back(
        asio::co_spawn(io_, client.send(leader, std::move(request), timeout_), asio::use_future));
  }
  std::map<TopicPartition, std::pair<int64_t, int64_t>> offsets;
  std::string failure;
  for (auto& future : pending) {
    auto result = future.get();
    if (!result.ok()) {
      failure = "ListOffsets: " + result.error().to_string();
      continue;
    }
    for (const auto& topic : result.value().topics) {
      for (const auto& p : topic.partitions) {
        if (p.error_code != 0) {
          failure = "ListOffsets of " + topic.name + ": " + std::string(kafka::error_name(p.error_code));
          continue;
        }
        offsets[{topic.name, p.partition_index}] = {p.offset, p.timestamp};
      }
    }
  }
  if (offsets.empty() && !failure.empty()) throw std::runtime_error(failure);
  return offsets;
}

std::map<TopicPartition, MirrorKafka::LogRange> MirrorKafka::log_ranges(
    const std::string& bootstrap, const std::function<bool(const std::string&)>& wanted) {
  kafka::KafkaClient& client = client_for(bootstrap);
  const auto partitions = leaders(client, std::nullopt, wanted);
  const auto ends = list_offsets(client, partitions, kafka::kLatestTimestamp);
  const auto starts = list_offsets(client, partitions, kafka::kEarliestTimestamp);
  std::map<TopicPartition, LogRange> ranges;
  for (const auto& [tp, end] : ends) {
    auto start = starts.find(tp);
    if (start != starts.end()) ranges[tp] = {start->second.first, end.first};
  }
  return ranges;
}

std::optional<double> MirrorKafka::newest_record(const std::string& topic) {
  std::optional<double> newest;
  kafka::KafkaClient& client = client_for("");
  const auto partitions =
      leaders(client, std::vector<std::string>{topic}, [](const std::string&) { return true; });
  for (const auto& [tp, entry] : list_offsets(client, partitions, kMaxTimestamp)) {
    // An empty partition answers offset -1, timestamp -1.
    if (entry.first < 0 || entry.second < 0) continue;
    newest = std::max(newest.value_or(0), static_cast<double>(entry.second) / 1000.0);
  }
  return newest;
}

}  // namespace kse::platform
