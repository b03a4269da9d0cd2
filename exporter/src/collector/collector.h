#pragma once

// Boost 1.74's awaitable.hpp uses std::exchange without including <utility>.
#include <utility>

#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "model/filters.h"
#include "model/snapshot.h"

namespace kse::kafka {
class KafkaClient;
}

// One collection cycle: the requests of a cycle, batched per broker and
// pipelined, turned into one immutable ClusterSnapshot.
namespace kse::collector {

struct CollectorOptions {
  std::chrono::milliseconds cycle_timeout{10000};
  std::chrono::milliseconds request_timeout{10000};
  std::string topic_include = ".*";
  std::string topic_exclude = "^$";
  std::string group_include = ".*";
  std::string group_exclude = "^$";
};

class Collector {
 public:
  Collector(kafka::KafkaClient& client, CollectorOptions options);

  // Runs on the client's executor; finishes within options.cycle_timeout plus one
  // request timeout at most, whatever the brokers do.
  boost::asio::awaitable<model::ClusterSnapshot> collect();

  // Requests sent and failed so far, per broker and API.
  std::vector<model::RequestStats> request_stats() const;

 private:
  struct Cycle;
  boost::asio::awaitable<void> collect_metadata(Cycle& cycle);
  boost::asio::awaitable<void> collect_groups(Cycle& cycle);
  boost::asio::awaitable<void> collect_group_details(Cycle& cycle, int32_t coordinator,
                                                     std::vector<std::string> groups);
  boost::asio::awaitable<void> collect_offsets(Cycle& cycle);
  boost::asio::awaitable<void> collect_leader_offsets(Cycle& cycle, int32_t leader);
  enum class OffsetKind { kLatest, kEarliest, kStable };
  boost::asio::awaitable<void> read_leader_offsets(Cycle& cycle, int32_t leader, OffsetKind kind);
  boost::asio::awaitable<void> collect_log_dirs(Cycle& cycle, int32_t broker);
  boost::asio::awaitable<void> collect_topic_configs(Cycle& cycle);
  boost::asio::awaitable<void> collect_quorum(Cycle& cycle);
  boost::asio::awaitable<void> collect_reassignments(Cycle& cycle);
  boost::asio::awaitable<void> collect_transactions(Cycle& cycle);
  boost::asio::awaitable<void> collect_transaction_details(Cycle& cycle, int32_t coordinator,
                                                           std::vector<std::string> ids);
  boost::asio::awaitable<void> collect_quotas(Cycle& cycle);

  void count(int32_t broker, const std::string& api, bool failed);
  void mark_failed(Cycle& cycle, const std::string& collector, const std::string& error);

  kafka::KafkaClient& client_;
  CollectorOptions options_;
  model::NameFilter topics_;
  model::NameFilter groups_;
  std::map<std::pair<int32_t, std::string>, model::RequestStats> requests_;
  std::map<int32_t, model::BrokerInfo> known_brokers_;
  std::set<std::string> logged_errors_;
};

}  // namespace kse::collector
