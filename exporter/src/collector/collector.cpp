#include "collector/collector.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <boost/asio/this_coro.hpp>

#include "kafka/protocol.h"

#include "cycle.h"
#include "kafka_calls.h"

namespace kse::collector {

using boost::asio::awaitable;
using model::ClusterSnapshot;
using model::CollectorId;

const std::array<Collector::Row, model::kCollectorCount>& Collector::table() {
  static const std::array<Row, model::kCollectorCount> rows = {{
      {CollectorId::kMetadata, "Metadata (any broker)", std::nullopt, "nothing",
       "cluster id, brokers; topics and partitions (leader, replicas, ISR) after the topic filters",
       "partition leader; the broker itself (`kafka_broker_up`); cluster port (counts, info)",
       &Collector::collect_metadata},
      {CollectorId::kGroups,
       "ListGroups (each broker), FindCoordinator (any broker); DescribeGroups, "
       "ConsumerGroupDescribe, OffsetFetch; ShareGroupDescribe, DescribeShareGroupOffsets (each coordinator)",
       CollectorId::kMetadata, "live brokers",
       "groups: state, coordinator, members, committed offsets; share groups: state, members, start "
       "offsets, lag",
       "group coordinator", &Collector::collect_groups},
      {CollectorId::kOffsets, "ListOffsets latest, earliest, read_committed (each leader)",
       CollectorId::kGroups,
       "partition leaders; runs after groups so that committed offsets are read before log ends and "
       "lag is never negative",
       "partitions' latest, earliest and last stable offsets", "partition leader; group coordinator (lag)",
       &Collector::collect_offsets},
      {CollectorId::kRecordTimes, "Fetch (each leader)", CollectorId::kOffsets,
       "groups' committed offsets, partitions' log ends", "timestamps of the records at committed offsets",
       "group coordinator (`kafka_consumergroup_lag_seconds`)", &Collector::collect_record_times},
      {CollectorId::kLogDirs, "DescribeLogDirs (each broker)", CollectorId::kMetadata, "live brokers, topics",
       "log dirs: size, space, replicas", "broker holding the replica", &Collector::collect_log_dirs},
      {CollectorId::kTopicConfigs, "DescribeConfigs (any broker)", CollectorId::kMetadata, "topics",
       "topics' min.insync.replicas and retention, kept 10 minutes when a read fails",
       "cluster port; partition leader (`kafka_topic_partition_under_min_isr`)",
       &Collector::collect_topic_configs},
      {CollectorId::kQuorum,
       "DescribeQuorum (any broker, forwarded to the controller; not applicable in ZooKeeper mode)",
       CollectorId::kMetadata, "nothing", "KRaft quorum: leader, voters, observers", "cluster port",
       &Collector::collect_quorum},
      {CollectorId::kReassignments,
       "ListPartitionReassignments (any broker, forwarded to the controller; in ZooKeeper mode the "
       "controller)",
       CollectorId::kMetadata, "partitions", "partitions' adding and removing replicas",
       "cluster port; partition leader (`kafka_topic_partition_under_replicated_partition`)",
       &Collector::collect_reassignments},
      {CollectorId::kTransactions,
       "ListTransactions (each broker); DescribeTransactions (the coordinators of open transactions)",
       CollectorId::kMetadata, "live brokers", "transactions: state, coordinator, start, timeout, partitions",
       "transaction coordinator; cluster port (`kafka_transactions`)", &Collector::collect_transactions},
      {CollectorId::kQuotas, "DescribeClientQuotas (any broker)", CollectorId::kMetadata, "nothing",
       "client quotas", "cluster port", &Collector::collect_quotas},
      {CollectorId::kRegistrations, "DescribeCluster (any broker)", CollectorId::kMetadata, "nothing",
       "brokers' fenced state (Kafka 4.0+); which brokers missing from Metadata keep a row",
       "the broker itself (`kafka_broker_fenced`, `kafka_broker_up`)", &Collector::collect_registrations},
      {CollectorId::kZooKeeper,
       "the mntr four-letter word (each node of `zookeeper.servers`, ZooKeeper mode; none when empty)",
       std::nullopt, "nothing (runs beside `metadata`: the ensemble answers when the brokers do not)",
       "each node's state (leader, follower), outstanding requests, latency, znodes, connections",
       "cluster port", &Collector::collect_zookeeper},
  }};
  return rows;
}

std::string table_markdown() {
  std::string text =
      "| collector | requests | runs after | reads | fills | series owner |\n"
      "| --- | --- | --- | --- | --- | --- |\n";
  for (const auto& row : Collector::table()) {
    const std::string after =
        row.after ? "`" + std::string(model::collector_name(*row.after)) + "`" : "none (first)";
    text += "| `" + std::string(model::collector_name(row.id)) + "` | " + std::string(row.requests) + " | " +
            after + " | " + std::string(row.reads) + " | " + std::string(row.fills) + " | " +
            std::string(row.series_owner) + " |\n";
  }
  return text;
}

Collector::Collector(kafka::KafkaClient& client, CollectorOptions options)
    : client_(client),
      options_(std::move(options)),
      topics_(options_.topic_include, options_.topic_exclude),
      groups_(options_.group_include, options_.group_exclude) {}

std::vector<model::RequestStats> Collector::request_stats() const {
  std::vector<model::RequestStats> stats;
  for (const auto& [key, value] : requests_) stats.push_back(value);
  return stats;
}

void Collector::count(Cycle& cycle, int32_t broker, const std::string& api, const Outcome& outcome) {
  auto& stats = requests_[{broker, api}];
  stats.broker = broker;
  stats.api = api;
  ++stats.sent;
  if (outcome.failed) ++stats.errors;
  if (outcome.unreachable && broker >= 0) cycle.unreachable.insert(broker);
}

void Collector::forgive_cut_short(Outcome& outcome, std::chrono::milliseconds timeout) const {
  if (outcome.timed_out && timeout < options_.request_timeout) outcome.unreachable = false;
}

void Collector::mark_failed(Cycle& cycle, CollectorId collector, const std::string& error,
                            const std::string& reason) {
  auto& status = cycle.snapshot.collectors[collector];
  if (status.up) {
    status.up = false;
    status.error = error;
    status.reason = reason;
  }
  // Said once per distinct problem, not every cycle.
  if (logged_errors_.insert({collector, error}).second) {
    spdlog::warn("collector {}: {}", model::collector_name(collector), error);
  }
}

awaitable<void> Collector::run(Cycle& cycle, const Row& row) {
  co_await (this->*row.run)(cycle);
  // Without Metadata's answer there are no brokers, topics or leaders to ask.
  if (!cycle.snapshot.collectors.up(CollectorId::kMetadata)) co_return;
  std::vector<awaitable<void>> next;
  for (const Row& follower : table()) {
    if (follower.after == row.id) next.push_back(run(cycle, follower));
  }
  co_await when_all(std::move(next));
}

awaitable<ClusterSnapshot> Collector::collect() {
  const auto started = std::chrono::steady_clock::now();
  Cycle cycle;
  cycle.deadline = started + options_.cycle_timeout;
  cycle.snapshot.taken_at = model::Clock::now();
  // Every status starts up; the rows that run after nothing start together (metadata
  // first among them), and each starts those that run after it.
  std::vector<awaitable<void>> first;
  for (const Row& row : table()) {
    if (!row.after) first.push_back(run(cycle, row));
  }
  co_await when_all(std::move(first));

  auto& snapshot = cycle.snapshot;
  const bool metadata_up = snapshot.collectors.up(CollectorId::kMetadata);
  if (!metadata_up) {
    // No broker answered Metadata: the brokers are as last seen, none reachable now.
    for (const auto& broker : last_brokers_) {
      model::BrokerInfo unknown = broker;
      unknown.reachable = false;
      unknown.fenced.reset();
      snapshot.brokers.push_back(unknown);
    }
  } else {
    // A broker missing from the metadata that is still registered (fenced, as
    // DescribeCluster says) or still holds replicas is down: it keeps a row (registered =
    // false) so its port can say so. One that is neither has left the cluster
    // (decommissioned, or unregistered after its replicas moved away) and is no longer
    // reported.
    std::set<int32_t> present;
    for (auto& broker : snapshot.brokers) {
      present.insert(broker.id);
      broker.reachable = !cycle.unreachable.count(broker.id);
      auto registration = cycle.registrations.find(broker.id);
      if (registration != cycle.registrations.end()) broker.fenced = registration->second.fenced;
    }
    // When DescribeCluster did not answer this cycle, a broker fenced at the last answer
    // stays fenced: it neither leaves the cluster nor comes back for one cycle.
    const bool registrations_read = snapshot.collectors.up(CollectorId::kRegistrations);
    if (registrations_read) {
      fenced_.clear();
      for (const auto& [id, registration] : cycle.registrations)
        if (registration.fenced.value_or(false)) fenced_.insert(id);
    }
    auto fenced = [&](int32_t id) { return fenced_.count(id) > 0; };
    for (const auto& [id, registration] : cycle.registrations) {
      if (!present.count(id) && fenced(id) && !known_brokers_.count(id)) known_brokers_[id] = registration;
    }
    std::erase_if(known_brokers_, [&](const auto& entry) {
      return !present.count(entry.first) && !cycle.replica_holders.count(entry.first) && !fenced(entry.first);
    });
    // Replicas name brokers this process never saw registered (it started while they
    // were down): they are down too, not unknown.
    for (int32_t id : cycle.replica_holders) {
      if (!present.count(id) && !known_brokers_.count(id)) {
        model::BrokerInfo unseen;
        unseen.id = id;
        known_brokers_[id] = unseen;
      }
    }
    for (auto& [id, broker] : known_brokers_) {
      if (!present.count(id)) {
        model::BrokerInfo down = broker;
        down.registered = false;
        down.reachable = false;
        down.fenced = fenced(id) ? std::optional<bool>(true) : std::nullopt;
        snapshot.brokers.push_back(down);
      }
    }
    for (const auto& broker : snapshot.brokers) {
      if (broker.registered) known_brokers_[broker.id] = broker;
    }
  }
  std::sort(snapshot.brokers.begin(), snapshot.brokers.end(),
            [](const auto& a, const auto& b) { return a.id < b.id; });
  if (metadata_up) last_brokers_ = snapshot.brokers;
  std::sort(snapshot.groups.begin(), snapshot.groups.end(),
            [](const auto& a, const auto& b) { return a.group_id < b.group_id; });
  std::sort(snapshot.share_groups.begin(), snapshot.share_groups.end(),
            [](const auto& a, const auto& b) { return a.group_id < b.group_id; });
  snapshot.complete = metadata_up && snapshot.collectors.up(CollectorId::kOffsets);
  // A collector that works again logs its next problem again.
  std::erase_if(logged_errors_, [&](const auto& logged) { return snapshot.collectors.up(logged.first); });
  snapshot.cycle_duration = std::chrono::steady_clock::now() - started;
  co_return std::move(cycle.snapshot);
}

}  // namespace kse::collector
