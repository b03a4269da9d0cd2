#pragma once

#include <utility>

#include <algorithm>
#include <chrono>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "collector/collector.h"

#include "kafka_calls.h"

// The state of one cycle, shared by the collector's parts (single-threaded).
namespace kse::collector {

struct Collector::Cycle {
  model::ClusterSnapshot snapshot;
  std::chrono::steady_clock::time_point deadline;
  std::map<std::string, size_t> topic_index;  // name -> index in snapshot.topics
  std::vector<int32_t> live_brokers;
  // Brokers named as a replica of any partition, filtered topics included.
  std::set<int32_t> replica_holders;
  std::map<int32_t, std::vector<model::TopicPartition>> partitions_by_leader;
  std::map<std::string, int32_t> group_coordinator;
  // Brokers a request of this cycle got no answer from.
  std::set<int32_t> unreachable;
  // Every registered broker, fenced or not, as DescribeCluster listed it (id -> fenced);
  // empty when it did not answer. Before Kafka 4.0 it lists unfenced brokers only.
  std::map<int32_t, model::BrokerInfo> registrations;

  // Time left before the deadline, at most `cap`; zero or less once it has passed.
  std::chrono::milliseconds budget(std::chrono::milliseconds cap) const {
    auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    return std::min(left, cap);
  }

  // Why a request to `broker` (kAnyBroker: any) is not sent now, given `timeout`, its share
  // of the cycle: the broker already failed to answer this cycle, and asking again would
  // cost another timeout; or the cycle has no time left. Nothing when it may be sent.
  std::optional<std::string> not_sent(int32_t broker, const char* api,
                                      std::chrono::milliseconds timeout) const {
    if (broker != kAnyBroker && unreachable.count(broker))
      return "broker " + std::to_string(broker) + " did not answer earlier in this cycle";
    if (timeout <= std::chrono::milliseconds(0))
      return std::string("cycle timeout reached before ") + api + " was sent";
    return std::nullopt;
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

// A broker as Metadata and DescribeCluster both describe it; each names its id differently.
template <typename Broker>
model::BrokerInfo broker_info(int32_t id, const Broker& broker) {
  model::BrokerInfo info;
  info.id = id;
  info.host = broker.host;
  info.port = broker.port;
  info.rack = broker.rack;
  return info;
}

// The answer to a request that was not sent, saying why.
template <typename T>
Answer<T> not_sent_answer(std::string why) {
  Answer<T> answer;
  answer.outcome.failed = true;
  answer.error = std::move(why);
  return answer;
}

template <typename Request>
boost::asio::awaitable<Answer<typename Request::Response>> Collector::ask(Cycle& cycle, int32_t broker,
                                                                          Request request) {
  const auto timeout = cycle.budget(options_.request_timeout);
  if (auto why = cycle.not_sent(broker, Request::kName, timeout)) {
    co_return not_sent_answer<typename Request::Response>(std::move(*why));
  }
  Answer<typename Request::Response> answer;
  if (broker == kAnyBroker) {
    answer = co_await call_any(client_, std::move(request), timeout);
  } else {
    answer = co_await call(client_, broker, std::move(request), timeout);
  }
  forgive_cut_short(answer.outcome, timeout);
  count(cycle, broker, Request::kName, answer.outcome);
  co_return answer;
}

template <typename Request>
boost::asio::awaitable<Answer<int16_t>> Collector::version_at(Cycle& cycle, int32_t broker) {
  const auto timeout = cycle.budget(options_.request_timeout);
  if (auto why = cycle.not_sent(broker, Request::kName, timeout))
    co_return not_sent_answer<int16_t>(std::move(*why));
  auto answer = to_answer(co_await client_.negotiated_version<Request>(broker, timeout));
  forgive_cut_short(answer.outcome, timeout);
  if (answer.outcome.unreachable) cycle.unreachable.insert(broker);
  co_return answer;
}

}  // namespace kse::collector
