#pragma once

#include <utility>

#include <algorithm>
#include <chrono>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "collector/collector.h"

// The state of one cycle, shared by the collector's parts (single-threaded).
namespace kse::collector {

struct Collector::Cycle {
  model::ClusterSnapshot snapshot;
  std::chrono::steady_clock::time_point deadline;
  std::map<std::string, size_t> topic_index;  // name -> index in snapshot.topics
  std::vector<int32_t> live_brokers;
  std::map<int32_t, std::vector<model::TopicPartition>> partitions_by_leader;
  std::map<std::string, int32_t> group_coordinator;
  // Brokers a request of this cycle got no answer from.
  std::set<int32_t> unreachable;

  std::chrono::milliseconds remaining(std::chrono::milliseconds cap) const {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    return std::clamp(left, std::chrono::milliseconds(1), cap);
  }

  model::PartitionState* partition(const std::string& topic, int32_t index) {
    auto it = topic_index.find(topic);
    if (it == topic_index.end()) return nullptr;
    auto& partitions = snapshot.topics[it->second].partitions;
    auto p = std::lower_bound(partitions.begin(), partitions.end(), index,
                              [](const model::PartitionState& s, int32_t i) { return s.partition < i; });
    return p != partitions.end() && p->partition == index ? &*p : nullptr;
  }
};

}  // namespace kse::collector
