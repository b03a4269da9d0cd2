#pragma once

// Boost 1.74's awaitable.hpp uses std::exchange without including <utility>.
#include <utility>

#include <array>
#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <tuple>
#include <vector>

#include "kafka/protocol.h"
#include "model/filters.h"
#include "model/snapshot.h"

namespace kse::kafka {
class KafkaClient;
}

// One collection cycle: the requests of a cycle, batched per broker and
// pipelined, turned into one immutable ClusterSnapshot.
namespace kse::collector {

// The collector table as docs/architecture.md shows it (`--print-collectors`).
std::string table_markdown();

// What `broker` means in a request sent to whichever broker answers.
inline constexpr int32_t kAnyBroker = -1;

struct Outcome;
template <typename T>
struct Answer;

struct CollectorOptions {
  std::chrono::milliseconds cycle_timeout{10000};
  std::chrono::milliseconds request_timeout{10000};
  std::string topic_include = ".*";
  std::string topic_exclude = "^$";
  std::string group_include = ".*";
  std::string group_exclude = "^$";
  // Committed offsets whose record's timestamp is read per broker and cycle (lag in seconds).
  size_t record_reads_per_broker = 1000;
  // ZooKeeper mode: the ensemble's nodes (host:port of their client port), asked for mntr.
  std::vector<std::string> zookeeper_servers;
  std::chrono::milliseconds zookeeper_timeout{2000};
};

class Collector {
  struct Cycle;

 public:
  // One part of the cycle, with its own kafka_sidecar_collector_up. Metadata runs first;
  // when it answered, the rows that run after it start together, and each row that
  // finishes starts the rows that run after it.
  struct Row {
    model::CollectorId id;
    std::string_view requests;                // the Kafka requests it sends, and to whom
    std::optional<model::CollectorId> after;  // none: metadata, which runs first
    std::string_view reads;                   // what it takes from the rows before it
    std::string_view fills;                   // what it sets in the ClusterSnapshot
    std::string_view series_owner;            // whose port serves the series it feeds (docs/metrics.md)
    boost::asio::awaitable<void> (Collector::*run)(Cycle&);
  };
  // Indexed by model::CollectorId.
  static const std::array<Row, model::kCollectorCount>& table();

  Collector(kafka::KafkaClient& client, CollectorOptions options);

  // Runs on the client's executor; finishes within options.cycle_timeout plus one
  // request timeout at most, whatever the brokers do.
  boost::asio::awaitable<model::ClusterSnapshot> collect();

  // Requests sent and failed so far, per broker and API.
  std::vector<model::RequestStats> request_stats() const;
  // Records whose timestamp was read for lag in seconds so far, and the bytes fetched for them.
  model::RecordReadStats record_read_stats() const { return record_reads_; }

 private:
  // Runs `row`, then the rows that run after it.
  boost::asio::awaitable<void> run(Cycle& cycle, const Row& row);
  boost::asio::awaitable<void> collect_metadata(Cycle& cycle);
  boost::asio::awaitable<void> collect_groups(Cycle& cycle);
  boost::asio::awaitable<void> collect_group_details(Cycle& cycle, int32_t coordinator,
                                                     std::vector<std::string> groups);
  boost::asio::awaitable<void> collect_share_group_details(Cycle& cycle, int32_t coordinator,
                                                           std::vector<std::string> ids);
  boost::asio::awaitable<void> collect_offsets(Cycle& cycle);
  boost::asio::awaitable<void> collect_leader_offsets(Cycle& cycle, int32_t leader);
  enum class OffsetKind { kLatest, kEarliest, kStable };
  boost::asio::awaitable<void> read_leader_offsets(Cycle& cycle, int32_t leader, OffsetKind kind);
  boost::asio::awaitable<void> collect_record_times(Cycle& cycle);
  // A committed offset whose record's timestamp is wanted, and where to fetch it.
  struct RecordRead {
    model::TopicPartition partition;
    int64_t committed = 0;
    int64_t fetch_offset = 0;
    bool operator<(const RecordRead& other) const {
      return std::tie(partition, committed) < std::tie(other.partition, other.committed);
    }
  };
  boost::asio::awaitable<void> fetch_record_times(Cycle& cycle, int32_t leader,
                                                  std::vector<RecordRead> wanted);
  boost::asio::awaitable<void> collect_log_dirs(Cycle& cycle);
  boost::asio::awaitable<void> collect_broker_log_dirs(Cycle& cycle, int32_t broker);
  boost::asio::awaitable<void> collect_topic_configs(Cycle& cycle);
  boost::asio::awaitable<void> collect_quorum(Cycle& cycle);
  boost::asio::awaitable<void> collect_reassignments(Cycle& cycle);
  boost::asio::awaitable<void> collect_transactions(Cycle& cycle);
  boost::asio::awaitable<void> collect_transaction_details(Cycle& cycle, int32_t coordinator,
                                                           std::vector<std::string> ids);
  boost::asio::awaitable<void> collect_quotas(Cycle& cycle);
  boost::asio::awaitable<void> collect_registrations(Cycle& cycle);
  boost::asio::awaitable<void> collect_zookeeper(Cycle& cycle);

  // One request of the cycle, to `broker` or to any broker (kAnyBroker), counted.
  template <typename Request>
  boost::asio::awaitable<Answer<typename Request::Response>> ask(Cycle& cycle, int32_t broker,
                                                                 Request request);
  // The version of Request that ask() would use with `broker` (connecting first if need be),
  // for a request whose shape depends on it; a broker unreachable this cycle is not asked.
  template <typename Request>
  boost::asio::awaitable<Answer<int16_t>> version_at(Cycle& cycle, int32_t broker);
  // Counts a request; a broker that did not answer at all is unreachable this cycle.
  void count(Cycle& cycle, int32_t broker, const std::string& api, const Outcome& outcome);
  // A request that the cycle's deadline cut short (its `timeout` below the request timeout)
  // says nothing about its broker: it does not make the broker unreachable.
  void forgive_cut_short(Outcome& outcome, std::chrono::milliseconds timeout) const;
  // The groups collector's handling of a coordinator's answer: a failed request fails it,
  // naming the coordinator; a group's nonzero error code fails it, naming the `kind` of
  // group and its id; each other group that `find(id)` knows is handed to `use(group, entry)`.
  template <typename Answer>
  void coordinator_failed(Cycle& cycle, int32_t coordinator, const Answer& answer);
  template <typename Group, typename Entry, typename Use>
  void one_group(Cycle& cycle, const char* kind, const std::string& id, Group* group, int16_t error_code,
                 const Entry& entry, Use use);
  template <typename Answer, typename Find, typename Use>
  void each_group(Cycle& cycle, int32_t coordinator, const char* kind, Answer& answer, Find find, Use use);
  // Fails `collector` for this cycle; `reason` is the bounded label value of
  // kafka_sidecar_collector_error_info, `error` the full story for the log.
  void mark_failed(Cycle& cycle, model::CollectorId collector, const std::string& error,
                   const std::string& reason);
  // True when `broker` answered without a top-level error code; else fails `collector`
  // for this cycle, naming the broker (unless any broker was asked) and the reason.
  template <typename Response>
  bool answered(Cycle& cycle, model::CollectorId collector, int32_t broker, const Answer<Response>& answer) {
    std::string error = answer.error, reason = answer.reason;
    if (answer) {
      if constexpr (requires { answer.response->error_code; }) {
        if (answer.response->error_code == 0) return true;
        error = reason = kafka::error_name(answer.response->error_code);
      } else {
        return true;
      }
    }
    mark_failed(cycle, collector,
                broker == kAnyBroker ? error : "broker " + std::to_string(broker) + ": " + error, reason);
    return false;
  }
  // An error code inside an answer (one topic, group or partition) fails its collector
  // for this cycle, with Kafka's name for it (e.g. GROUP_AUTHORIZATION_FAILED). `what`
  // names the topic, group or partition; it is called only for a non-zero code, since
  // ListOffsets answers for every partition three times a cycle.
  template <typename What>
  void mark_error_code(Cycle& cycle, model::CollectorId collector, int16_t code, What what) {
    if (code != 0)
      mark_failed(cycle, collector, what() + ": " + kafka::error_name(code), kafka::error_name(code));
  }

  kafka::KafkaClient& client_;
  CollectorOptions options_;
  model::NameFilter topics_;
  model::NameFilter groups_;
  std::map<std::pair<int32_t, std::string>, model::RequestStats> requests_;
  std::map<int32_t, model::BrokerInfo> known_brokers_;
  // Brokers DescribeCluster listed as fenced at its last answer.
  std::set<int32_t> fenced_;
  // The brokers of the last cycle whose Metadata answered.
  std::vector<model::BrokerInfo> last_brokers_;
  std::set<std::pair<model::CollectorId, std::string>> logged_errors_;
  // The last good read of each topic's configs.
  struct TopicConfigs {
    model::Clock::time_point read_at;
    std::optional<int32_t> min_insync_replicas;
    std::optional<int64_t> retention_bytes;
    std::optional<int64_t> retention_ms;
  };
  static constexpr std::chrono::minutes kTopicConfigsKeptFor{10};
  std::map<std::string, TopicConfigs> topic_configs_;
  // Timestamps of records at committed offsets: a record never changes, so each is read once
  // and kept while a group's committed offset stays on it.
  std::map<std::pair<model::TopicPartition, int64_t>, int64_t> record_times_;
  // Committed offsets followed by transaction markers only, up to the log end they were read at.
  std::map<std::pair<model::TopicPartition, int64_t>, int64_t> markers_only_until_;
  model::RecordReadStats record_reads_;
  // Bytes asked of a partition whose first batch did not fit the default share.
  std::map<model::TopicPartition, int32_t> record_fetch_bytes_;
};

}  // namespace kse::collector
