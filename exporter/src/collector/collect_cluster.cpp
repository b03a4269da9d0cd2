// Metadata, offsets, log dirs, topic configs: what every partition looks like.
#include <spdlog/spdlog.h>

#include <algorithm>

#include "collector/collector.h"
#include "kafka/generated/describe_configs.h"
#include "kafka/generated/describe_log_dirs.h"
#include "kafka/generated/list_offsets.h"
#include "kafka/generated/metadata.h"
#include "kafka/protocol.h"

#include "cycle.h"
#include "kafka_calls.h"

namespace kse::collector {

using boost::asio::awaitable;
using model::CollectorId;

namespace {
std::optional<int64_t> parse_long(const std::optional<std::string>& value) {
  if (!value) return std::nullopt;
  try {
    return std::stoll(*value);
  } catch (const std::exception&) {
    return std::nullopt;
  }
}
}  // namespace

awaitable<void> Collector::collect_metadata(Cycle& cycle) {
  kafka::MetadataRequest request;
  request.topics = std::nullopt;
  request.allow_auto_topic_creation = false;
  auto answer = co_await ask(cycle, kAnyBroker, std::move(request));
  // v13+ may answer with a top-level error and no cluster described.
  if (!answered(cycle, CollectorId::kMetadata, kAnyBroker, answer)) co_return;
  auto& snapshot = cycle.snapshot;
  snapshot.cluster_id = answer->cluster_id.value_or("");
  snapshot.controller_id = answer->controller_id;
  for (const auto& broker : answer->brokers) {
    snapshot.brokers.push_back(broker_info(broker.node_id, broker));
    cycle.live_brokers.push_back(broker.node_id);
  }
  std::sort(cycle.live_brokers.begin(), cycle.live_brokers.end());
  for (const auto& topic : answer->topics) {
    for (const auto& p : topic.partitions) {
      cycle.replica_holders.insert(p.replica_nodes.begin(), p.replica_nodes.end());
    }
    const std::string name = topic.name.value_or("");
    // A topic answered with an error (being created or deleted) is left out until it answers
    // without one: failing the metadata collector for it would drop every series of the cycle.
    if (topic.error_code != 0 || name.empty() || !topics_.accepts(name)) continue;
    model::TopicState state;
    state.name = name;
    state.internal = topic.is_internal;
    for (const auto& p : topic.partitions) {
      model::PartitionState partition;
      partition.partition = p.partition_index;
      partition.error_code = p.error_code;
      partition.leader = p.leader_id;
      partition.leader_epoch = p.leader_epoch;
      partition.replicas = p.replica_nodes;
      partition.isr = p.isr_nodes;
      partition.offline_replicas = p.offline_replicas;
      state.partitions.push_back(std::move(partition));
    }
    std::sort(state.partitions.begin(), state.partitions.end(),
              [](const auto& a, const auto& b) { return a.partition < b.partition; });
    snapshot.topics.push_back(std::move(state));
  }
  std::sort(snapshot.topics.begin(), snapshot.topics.end(),
            [](const auto& a, const auto& b) { return a.name < b.name; });
  for (size_t i = 0; i < snapshot.topics.size(); ++i) {
    cycle.topic_index[snapshot.topics[i].name] = i;
    for (const auto& p : snapshot.topics[i].partitions) {
      if (p.leader >= 0) {
        cycle.partitions_by_leader[p.leader].push_back({snapshot.topics[i].name, p.partition});
      }
    }
  }
}

awaitable<void> Collector::collect_offsets(Cycle& cycle) {
  std::vector<awaitable<void>> tasks;
  for (const auto& [leader, partitions] : cycle.partitions_by_leader) {
    tasks.push_back(collect_leader_offsets(cycle, leader));
  }
  co_await when_all(std::move(tasks));
}

namespace {

kafka::ListOffsetsRequest offsets_request(const std::vector<model::TopicPartition>& partitions,
                                          int64_t timestamp, int8_t isolation,
                                          std::chrono::milliseconds timeout) {
  kafka::ListOffsetsRequest request;
  request.timeout_ms =
      static_cast<int32_t>(timeout.count());  // v10+: how long the broker may wait on remote storage
  request.replica_id = -1;
  request.isolation_level = isolation;
  for (const auto& tp : partitions) {
    if (request.topics.empty() || request.topics.back().name != tp.topic) {
      request.topics.emplace_back();
      request.topics.back().name = tp.topic;
    }
    kafka::ListOffsetsRequest::ListOffsetsPartition partition;
    partition.partition_index = tp.partition;
    partition.current_leader_epoch = -1;
    partition.timestamp = timestamp;
    request.topics.back().partitions.push_back(partition);
  }
  return request;
}

}  // namespace

// The three reads go out together on the leader's connection (pipelined).
awaitable<void> Collector::collect_leader_offsets(Cycle& cycle, int32_t leader) {
  std::vector<awaitable<void>> reads;
  reads.push_back(read_leader_offsets(cycle, leader, OffsetKind::kLatest));
  reads.push_back(read_leader_offsets(cycle, leader, OffsetKind::kEarliest));
  reads.push_back(read_leader_offsets(cycle, leader, OffsetKind::kStable));
  co_await when_all(std::move(reads));
}

// A plain member coroutine: GCC 12 crashes emitting debug info for coroutine lambdas here.
awaitable<void> Collector::read_leader_offsets(Cycle& cycle, int32_t leader, OffsetKind kind) {
  const int64_t timestamp =
      kind == OffsetKind::kEarliest ? kafka::kEarliestTimestamp : kafka::kLatestTimestamp;
  const int8_t isolation = kind == OffsetKind::kStable ? kafka::kReadCommitted : kafka::kReadUncommitted;
  auto answer = co_await ask(cycle, leader,
                             offsets_request(cycle.partitions_by_leader[leader], timestamp, isolation,
                                             cycle.budget(options_.request_timeout)));
  if (!answered(cycle, CollectorId::kOffsets, leader, answer)) co_return;
  for (const auto& topic : answer->topics) {
    for (const auto& p : topic.partitions) {
      model::PartitionState* state = cycle.partition(topic.name, p.partition_index);
      mark_error_code(cycle, CollectorId::kOffsets, p.error_code,
                      [&] { return topic.name + "-" + std::to_string(p.partition_index); });
      if (state == nullptr || p.error_code != 0 || p.offset < 0) continue;
      (kind == OffsetKind::kLatest     ? state->latest_offset
       : kind == OffsetKind::kEarliest ? state->earliest_offset
                                       : state->last_stable_offset) = p.offset;
    }
  }
}

awaitable<void> Collector::collect_log_dirs(Cycle& cycle) {
  std::vector<awaitable<void>> tasks;
  for (int32_t broker : cycle.live_brokers) tasks.push_back(collect_broker_log_dirs(cycle, broker));
  co_await when_all(std::move(tasks));
}

awaitable<void> Collector::collect_broker_log_dirs(Cycle& cycle, int32_t broker) {
  kafka::DescribeLogDirsRequest request;
  request.topics = std::nullopt;
  auto answer = co_await ask(cycle, broker, std::move(request));
  if (!answered(cycle, CollectorId::kLogDirs, broker, answer)) co_return;
  for (const auto& result : answer->results) {
    model::LogDirState dir;
    dir.broker = broker;
    dir.path = result.log_dir;
    dir.error_code = result.error_code;
    if (result.total_bytes >= 0) dir.total_bytes = result.total_bytes;
    if (result.usable_bytes >= 0) dir.usable_bytes = result.usable_bytes;
    for (const auto& topic : result.topics) {
      if (!cycle.topic_index.count(topic.name)) continue;
      for (const auto& p : topic.partitions) {
        dir.replicas.push_back(
            {topic.name, p.partition_index, p.partition_size, p.offset_lag, p.is_future_key});
      }
    }
    cycle.snapshot.log_dirs.push_back(std::move(dir));
  }
}

awaitable<void> Collector::collect_topic_configs(Cycle& cycle) {
  if (cycle.snapshot.topics.empty()) co_return;
  kafka::DescribeConfigsRequest request;
  for (const auto& topic : cycle.snapshot.topics) {
    kafka::DescribeConfigsRequest::DescribeConfigsResource resource;
    resource.resource_type = kafka::kTopicResource;
    resource.resource_name = topic.name;
    resource.configuration_keys =
        std::vector<std::string>{"min.insync.replicas", "retention.bytes", "retention.ms"};
    request.resources.push_back(std::move(resource));
  }
  auto answer = co_await ask(cycle, kAnyBroker, std::move(request));
  const auto now = model::Clock::now();
  if (answered(cycle, CollectorId::kTopicConfigs, kAnyBroker, answer)) {
    for (const auto& result : answer->results) {
      mark_error_code(cycle, CollectorId::kTopicConfigs, result.error_code,
                      [&] { return "topic " + result.resource_name; });
      if (result.error_code != 0 || !cycle.topic_index.count(result.resource_name)) continue;
      TopicConfigs read;
      read.read_at = now;
      for (const auto& config : result.configs) {
        auto value = parse_long(config.value);
        if (!value) continue;
        if (config.name == "min.insync.replicas") read.min_insync_replicas = static_cast<int32_t>(*value);
        if (config.name == "retention.bytes") read.retention_bytes = *value;
        if (config.name == "retention.ms") read.retention_ms = *value;
      }
      topic_configs_[result.resource_name] = read;
    }
  }
  // Configs change rarely: a topic whose read failed keeps its last good values for a
  // while, and the age of the oldest one in use is served.
  std::erase_if(topic_configs_, [&](const auto& entry) {
    return !cycle.topic_index.count(entry.first) || now - entry.second.read_at > kTopicConfigsKeptFor;
  });
  for (auto& topic : cycle.snapshot.topics) {
    auto it = topic_configs_.find(topic.name);
    if (it == topic_configs_.end()) continue;
    topic.min_insync_replicas = it->second.min_insync_replicas;
    topic.retention_bytes = it->second.retention_bytes;
    topic.retention_ms = it->second.retention_ms;
    auto& oldest = cycle.snapshot.topic_configs_read_at;
    if (!oldest || it->second.read_at < *oldest) oldest = it->second.read_at;
  }
}

}  // namespace kse::collector
