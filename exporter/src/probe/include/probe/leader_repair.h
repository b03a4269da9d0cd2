#pragma once

// Boost 1.74's awaitable.hpp uses std::exchange without including <utility>.
#include <utility>

#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "model/snapshot.h"

namespace kse::kafka {
class KafkaClient;
}

// A broker back from a restart leads no probe partition until its preferred leadership
// is restored, and Kafka's own rebalance may take minutes or be off: the probe asks for a
// preferred leader election of its own topic's partitions.
namespace kse::probe {

// Partitions of `topic` whose preferred (first) replica is registered, in the ISR and not
// leading; a sidecar (`only_broker`) repairs only those its own broker should lead.
std::vector<int32_t> partitions_to_repair(const model::ClusterSnapshot& snapshot, const std::string& topic,
                                          std::optional<int32_t> only_broker);

class LeaderRepair {
 public:
  LeaderRepair(std::string topic, std::optional<int32_t> only_broker, std::chrono::milliseconds timeout);

  // At most one election every 30 s; failures are logged, never thrown.
  boost::asio::awaitable<void> run(kafka::KafkaClient& client, const model::ClusterSnapshot& snapshot);

 private:
  std::string topic_;
  std::optional<int32_t> only_broker_;
  std::chrono::milliseconds timeout_;
  std::chrono::steady_clock::time_point last_election_{};
};

}  // namespace kse::probe
