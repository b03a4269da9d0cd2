#include "probe/leader_repair.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <set>

#include "kafka/client/kafka_client.h"
#include "kafka/generated/elect_leaders.h"
#include "kafka/protocol.h"

namespace kse::probe {

std::vector<int32_t> partitions_to_repair(const model::ClusterSnapshot& snapshot, const std::string& topic,
                                          std::optional<int32_t> only_broker) {
  std::set<int32_t> live;
  for (const auto& broker : snapshot.brokers) {
    if (broker.registered) live.insert(broker.id);
  }
  std::vector<int32_t> partitions;
  for (const auto& t : snapshot.topics) {
    if (t.name != topic) continue;
    for (const auto& p : t.partitions) {
      if (p.replicas.empty() || p.leader == p.replicas.front()) continue;
      const int32_t preferred = p.replicas.front();
      if (only_broker && *only_broker != preferred) continue;
      if (!live.count(preferred) || std::find(p.isr.begin(), p.isr.end(), preferred) == p.isr.end()) continue;
      partitions.push_back(p.partition);
    }
  }
  return partitions;
}

LeaderRepair::LeaderRepair(std::string topic, std::optional<int32_t> only_broker,
                           std::chrono::milliseconds timeout)
    : topic_(std::move(topic)), only_broker_(only_broker), timeout_(timeout) {}

boost::asio::awaitable<void> LeaderRepair::run(kafka::KafkaClient& client,
                                               const model::ClusterSnapshot& snapshot) {
  const auto now = std::chrono::steady_clock::now();
  if (now - last_election_ < std::chrono::seconds(30)) co_return;
  kafka::ElectLeadersRequest::TopicPartitions topic{topic_,
                                                    partitions_to_repair(snapshot, topic_, only_broker_)};
  if (topic.partitions.empty()) co_return;
  last_election_ = now;
  kafka::ElectLeadersRequest request;
  request.election_type = kafka::kPreferredElection;
  request.topic_partitions = std::vector{topic};
  request.timeout_ms = static_cast<int32_t>(timeout_.count());
  auto result = co_await client.send_any(std::move(request), timeout_);
  if (!result.ok()) {
    spdlog::warn("probe: preferred leader election on {} failed: {}", topic_, result.error().to_string());
    co_return;
  }
  for (const auto& t : result.value().replica_election_results) {
    for (const auto& p : t.partition_result) {
      if (p.error_code == 0 || p.error_code == kafka::kElectionNotNeeded) {
        spdlog::info("probe: {}-{} led by its preferred broker again", t.topic, p.partition_id);
      } else {
        spdlog::warn("probe: preferred leader election on {}-{}: {}", t.topic, p.partition_id,
                     p.error_message.value_or(kafka::error_name(p.error_code)));
      }
    }
  }
}

}  // namespace kse::probe
