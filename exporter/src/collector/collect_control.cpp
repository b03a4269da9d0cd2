// Controller-side facts: KRaft quorum (or the ZooKeeper ensemble), reassignments, transactions,
// quotas.
#include <algorithm>

#include "collector/collector.h"
#include "kafka/generated/describe_client_quotas.h"
#include "kafka/generated/describe_cluster.h"
#include "kafka/generated/describe_quorum.h"
#include "kafka/generated/describe_transactions.h"
#include "kafka/generated/list_partition_reassignments.h"
#include "kafka/generated/list_transactions.h"
#include "kafka/protocol.h"
#include "zookeeper/four_letter.h"

#include "cycle.h"
#include "kafka_calls.h"

namespace kse::collector {

using boost::asio::awaitable;
using model::CollectorId;

awaitable<void> Collector::collect_quorum(Cycle& cycle) {
  kafka::DescribeQuorumRequest request;
  kafka::DescribeQuorumRequest::TopicData topic;
  topic.topic_name = "__cluster_metadata";
  topic.partitions.push_back(kafka::DescribeQuorumRequest::PartitionData{0});
  request.topics.push_back(std::move(topic));
  auto answer = co_await ask(cycle, kAnyBroker, std::move(request));
  if (!answer || answer->error_code != 0 || answer->topics.empty() || answer->topics[0].partitions.empty() ||
      answer->topics[0].partitions[0].error_code != 0) {
    // ZooKeeper clusters have no quorum to describe (their brokers do not offer
    // DescribeQuorum, or refuse it): not an error worth a down collector.
    if (answer ? answer->error_code == kafka::kUnsupportedVersion : answer.reason == "unsupported_version") {
      cycle.snapshot.metadata_mode = "zookeeper";
      co_return;
    }
    if (!answer) {
      mark_failed(cycle, CollectorId::kQuorum, answer.error, answer.reason);
    } else {
      int16_t code = answer->error_code;
      if (code == 0 && !answer->topics.empty() && !answer->topics[0].partitions.empty()) {
        code = answer->topics[0].partitions[0].error_code;
      }
      const std::string reason = code != 0 ? kafka::error_name(code) : "protocol";
      mark_failed(cycle, CollectorId::kQuorum,
                  "DescribeQuorum: " + (code != 0 ? reason : "no partition in the answer"), reason);
    }
    co_return;
  }
  const auto& partition = answer->topics[0].partitions[0];
  model::QuorumState quorum;
  quorum.leader_id = partition.leader_id;
  quorum.leader_epoch = partition.leader_epoch;
  quorum.high_watermark = partition.high_watermark;
  auto convert = [](const auto& replica) {
    model::QuorumReplica r;
    r.id = replica.replica_id;
    r.log_end_offset = replica.log_end_offset;
    if (replica.last_fetch_timestamp >= 0) r.last_fetch_ms = replica.last_fetch_timestamp;
    if (replica.last_caught_up_timestamp >= 0) r.last_caught_up_ms = replica.last_caught_up_timestamp;
    return r;
  };
  for (const auto& voter : partition.current_voters) quorum.voters.push_back(convert(voter));
  for (const auto& observer : partition.observers) quorum.observers.push_back(convert(observer));
  cycle.snapshot.quorum = std::move(quorum);
  cycle.snapshot.metadata_mode = "kraft";
}

awaitable<void> Collector::collect_reassignments(Cycle& cycle) {
  auto request = [&] {
    kafka::ListPartitionReassignmentsRequest request;
    request.timeout_ms = static_cast<int32_t>(cycle.budget(options_.request_timeout).count());
    request.topics = std::nullopt;
    return request;
  };
  // A KRaft broker forwards it to the controller; in ZooKeeper mode only the controller answers.
  int32_t asked = kAnyBroker;
  auto answer = co_await ask(cycle, asked, request());
  if (answer && answer->error_code == kafka::kNotController && cycle.snapshot.controller_id >= 0) {
    asked = cycle.snapshot.controller_id;
    answer = co_await ask(cycle, asked, request());
  }
  if (!answered(cycle, CollectorId::kReassignments, asked, answer)) co_return;
  for (const auto& topic : answer->topics) {
    for (const auto& p : topic.partitions) {
      model::PartitionState* state = cycle.partition(topic.name, p.partition_index);
      if (state == nullptr) continue;
      state->adding_replicas = p.adding_replicas;
      state->removing_replicas = p.removing_replicas;
    }
  }
}

awaitable<void> Collector::collect_transactions(Cycle& cycle) {
  std::map<int32_t, std::vector<std::string>> by_coordinator;
  auto list_on = [&, this](int32_t broker) -> awaitable<void> {
    auto answer = co_await ask(cycle, broker, kafka::ListTransactionsRequest{});
    if (!answered(cycle, CollectorId::kTransactions, broker, answer)) co_return;
    for (const auto& txn : answer->transaction_states) {
      model::TransactionState state;
      state.transactional_id = txn.transactional_id;
      state.producer_id = txn.producer_id;
      state.state = txn.transaction_state;
      state.coordinator = broker;
      cycle.snapshot.transactions.push_back(std::move(state));
      if (txn.transaction_state == "Ongoing" || txn.transaction_state == "PrepareCommit" ||
          txn.transaction_state == "PrepareAbort") {
        by_coordinator[broker].push_back(txn.transactional_id);
      }
    }
  };
  std::vector<awaitable<void>> lists;
  for (int32_t broker : cycle.live_brokers) lists.push_back(list_on(broker));
  co_await when_all(std::move(lists));
  std::vector<awaitable<void>> details;
  for (auto& [coordinator, ids] : by_coordinator) {
    details.push_back(collect_transaction_details(cycle, coordinator, std::move(ids)));
  }
  co_await when_all(std::move(details));
  std::sort(cycle.snapshot.transactions.begin(), cycle.snapshot.transactions.end(),
            [](const auto& a, const auto& b) { return a.transactional_id < b.transactional_id; });
}

awaitable<void> Collector::collect_transaction_details(Cycle& cycle, int32_t coordinator,
                                                       std::vector<std::string> ids) {
  kafka::DescribeTransactionsRequest request;
  request.transactional_ids = std::move(ids);
  auto answer = co_await ask(cycle, coordinator, std::move(request));
  if (!answer) {
    mark_failed(cycle, CollectorId::kTransactions,
                "coordinator " + std::to_string(coordinator) + ": " + answer.error, answer.reason);
    co_return;
  }
  for (const auto& described : answer->transaction_states) {
    mark_error_code(cycle, CollectorId::kTransactions, described.error_code,
                    [&] { return "transaction " + described.transactional_id; });
    if (described.error_code != 0) continue;
    for (auto& txn : cycle.snapshot.transactions) {
      if (txn.transactional_id != described.transactional_id) continue;
      txn.state = described.transaction_state;
      if (described.transaction_start_time_ms > 0) txn.start_time_ms = described.transaction_start_time_ms;
      txn.timeout_ms = described.transaction_timeout_ms;
      for (const auto& topic : described.topics) {
        for (int32_t partition : topic.partitions) txn.partitions.push_back({topic.topic, partition});
      }
    }
  }
}

// Fenced brokers are missing from Metadata; DescribeCluster v2 (KIP-1073) lists them, so a
// fenced broker is told apart from one that left.
awaitable<void> Collector::collect_registrations(Cycle& cycle) {
  kafka::DescribeClusterRequest request;
  request.include_fenced_brokers = true;
  auto answer = co_await ask(cycle, kAnyBroker, std::move(request));
  if (!answered(cycle, CollectorId::kRegistrations, kAnyBroker, answer)) co_return;
  for (const auto& broker : answer->brokers) {
    model::BrokerInfo info = broker_info(broker.broker_id, broker);
    info.fenced = broker.is_fenced;
    cycle.registrations[broker.broker_id] = info;
  }
}

awaitable<void> Collector::collect_quotas(Cycle& cycle) {
  kafka::DescribeClientQuotasRequest request;
  request.strict = false;
  auto answer = co_await ask(cycle, kAnyBroker, std::move(request));
  if (!answered(cycle, CollectorId::kQuotas, kAnyBroker, answer)) co_return;
  if (!answer->entries) co_return;
  for (const auto& entry : *answer->entries) {
    std::vector<std::pair<std::string, std::string>> entity;
    for (const auto& part : entry.entity) {
      entity.emplace_back(part.entity_type, part.entity_name.value_or("<default>"));
    }
    for (const auto& value : entry.values) {
      cycle.snapshot.quotas.push_back({entity, value.key, value.value});
    }
  }
}

// Each node of the ensemble answers mntr on its own, all within the cycle's deadline: a node
// that does not answer costs only its own series (kafka_zookeeper_up 0).
awaitable<void> Collector::collect_zookeeper(Cycle& cycle) {
  const auto& servers = options_.zookeeper_servers;
  cycle.snapshot.zookeeper.resize(servers.size());
  auto ask = [&](size_t i) -> awaitable<void> {
    model::ZooKeeperNode& node = cycle.snapshot.zookeeper[i];
    node.server = servers[i];
    const size_t colon = node.server.rfind(':');
    const int port = std::atoi(node.server.c_str() + colon + 1);
    auto answer = co_await zookeeper::ask_four_letter(node.server.substr(0, colon), port, "mntr",
                                                      cycle.budget(options_.zookeeper_timeout));
    if (!answer.text) {
      mark_failed(cycle, CollectorId::kZooKeeper, "zookeeper " + answer.error,
                  answer.timed_out ? "timeout" : "connection");
      co_return;
    }
    node.answered = zookeeper::read_mntr(zookeeper::parse_mntr(*answer.text), node);
    if (!node.answered) {
      std::string said = answer.text->substr(0, 200);
      std::erase(said, '\n');
      mark_failed(cycle, CollectorId::kZooKeeper,
                  "zookeeper " + node.server +
                      ": mntr gave no zk_server_state (allow it with "
                      "4lw.commands.whitelist=mntr): " +
                      said,
                  "protocol");
    }
  };
  std::vector<awaitable<void>> asks;
  for (size_t i = 0; i < servers.size(); ++i) asks.push_back(ask(i));
  co_await when_all(std::move(asks));
}

}  // namespace kse::collector
