#pragma once

#include <algorithm>
#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

// What one collection cycle saw of the cluster. Immutable once built; the model
// turns it into metric families and never talks to Kafka.
namespace kse::model {

using Clock = std::chrono::system_clock;

struct BrokerInfo {
  int32_t id = -1;
  std::string host;
  int32_t port = 0;
  std::optional<std::string> rack;
  // In the latest metadata (false: known from an earlier cycle, now gone).
  bool registered = true;
  // The exporter could talk to it this cycle.
  bool reachable = true;
  // Registered but fenced (DescribeCluster v2, Kafka 4.0+): it is down, not gone.
  // Unknown (no value) where the cluster cannot say.
  std::optional<bool> fenced;
};

struct PartitionState {
  int32_t partition = 0;
  int16_t error_code = 0;
  int32_t leader = -1;
  int32_t leader_epoch = -1;
  std::vector<int32_t> replicas;
  std::vector<int32_t> isr;
  std::vector<int32_t> offline_replicas;
  std::optional<int64_t> earliest_offset;
  std::optional<int64_t> latest_offset;
  std::optional<int64_t> last_stable_offset;
  // Reassignment in progress: replicas being added / removed.
  std::vector<int32_t> adding_replicas;
  std::vector<int32_t> removing_replicas;
};

struct TopicState {
  std::string name;
  bool internal = false;
  std::vector<PartitionState> partitions;  // sorted by partition
  std::optional<int32_t> min_insync_replicas;
  std::optional<int64_t> retention_bytes;
  std::optional<int64_t> retention_ms;
};

struct TopicPartition {
  std::string topic;
  int32_t partition = 0;
  auto operator<=>(const TopicPartition&) const = default;
};

struct GroupMember {
  std::string member_id;
  std::string client_id;
  std::string client_host;
  std::vector<TopicPartition> assignment;
};

struct GroupState {
  std::string group_id;
  std::string state;          // Stable, Empty, PreparingRebalance, ... or the new protocol's
  std::string protocol_type;  // "consumer" for consumer groups
  std::string group_type;     // "classic" or "consumer" (ListGroups v5), may be empty
  int32_t coordinator = -1;
  std::vector<GroupMember> members;
  // Committed offsets; partitions without a committed offset are absent.
  std::map<TopicPartition, int64_t> committed;
  bool offsets_known = false;  // OffsetFetch answered this cycle
  bool described = false;      // DescribeGroups or ConsumerGroupDescribe answered: members known
};

// A share group (KIP-932, Kafka 4.2+): its members read the same partitions together, so it
// has no committed offset per partition but a share-partition start offset, and its lag is
// what the broker counts from there.
struct ShareGroupState {
  std::string group_id;
  std::string state;  // Empty, Stable, Dead, ...
  int32_t coordinator = -1;
  std::vector<GroupMember> members;
  struct SharePartition {
    int64_t start_offset = -1;
    std::optional<int64_t> lag;  // as the broker counts it (DescribeShareGroupOffsets v1)
  };
  std::map<TopicPartition, SharePartition> partitions;
  bool described = false;      // ShareGroupDescribe answered: state and members known
  bool offsets_known = false;  // DescribeShareGroupOffsets answered
};

struct ReplicaSize {
  std::string topic;
  int32_t partition = 0;
  int64_t size_bytes = 0;
  int64_t offset_lag = 0;
  bool is_future = false;
};

struct LogDirState {
  int32_t broker = -1;
  std::string path;
  int16_t error_code = 0;
  std::optional<int64_t> total_bytes;
  std::optional<int64_t> usable_bytes;
  std::vector<ReplicaSize> replicas;
};

struct QuorumReplica {
  int32_t id = -1;
  int64_t log_end_offset = -1;
  std::optional<int64_t> last_fetch_ms;
  std::optional<int64_t> last_caught_up_ms;
};

struct QuorumState {
  int32_t leader_id = -1;
  int32_t leader_epoch = -1;
  int64_t high_watermark = -1;
  std::vector<QuorumReplica> voters;
  std::vector<QuorumReplica> observers;
};

struct TransactionState {
  std::string transactional_id;
  int64_t producer_id = -1;
  std::string state;
  int32_t coordinator = -1;
  std::optional<int64_t> start_time_ms;  // for open transactions
  int32_t timeout_ms = 0;
  std::vector<TopicPartition> partitions;
};

struct QuotaEntry {
  std::vector<std::pair<std::string, std::string>> entity;  // (type, name or "<default>")
  std::string key;                                          // producer_byte_rate, ...
  double value = 0;
};

// The parts of a cycle, in the order of the collector's table (collector/collector.cpp),
// which says what each asks Kafka and fills in here.
enum class CollectorId : uint8_t {
  kMetadata,
  kGroups,
  kOffsets,
  kRecordTimes,
  kLogDirs,
  kTopicConfigs,
  kQuorum,
  kReassignments,
  kTransactions,
  kQuotas,
  kRegistrations,
  kZooKeeper,
};

// Indexed by CollectorId: the `collector` label value of kafka_sidecar_collector_up.
inline constexpr std::array<std::string_view, 12> kCollectorNames = {
    "metadata", "groups",        "offsets",      "record_times", "log_dirs",      "topic_configs",
    "quorum",   "reassignments", "transactions", "quotas",       "registrations", "zookeeper",
};
inline constexpr size_t kCollectorCount = kCollectorNames.size();
static_assert(static_cast<size_t>(CollectorId::kZooKeeper) + 1 == kCollectorCount);

// Every id, in table order.
inline constexpr std::array<CollectorId, kCollectorCount> kCollectorIds = [] {
  std::array<CollectorId, kCollectorCount> ids{};
  for (size_t i = 0; i < kCollectorCount; ++i) ids[i] = static_cast<CollectorId>(i);
  return ids;
}();

inline constexpr std::string_view collector_name(CollectorId id) {
  return kCollectorNames[static_cast<size_t>(id)];
}

// A part of the cycle that could not be collected: its families are left out and
// kafka_sidecar_collector_up says why.
struct CollectorStatus {
  bool up = true;
  std::string error;   // what failed first, for the log: the broker, topic or group and why
  std::string reason;  // why, from a bounded set: Kafka's error name or how a request failed
};

// One status per collector, each up until something fails it: a cycle starts with all up,
// and so does a snapshot built by hand.
class CollectorStatuses {
 public:
  CollectorStatus& operator[](CollectorId id) { return statuses_[static_cast<size_t>(id)]; }
  const CollectorStatus& operator[](CollectorId id) const { return statuses_[static_cast<size_t>(id)]; }
  bool up(CollectorId id) const { return (*this)[id].up; }
  bool all_up() const {
    return std::all_of(statuses_.begin(), statuses_.end(), [](const auto& status) { return status.up; });
  }

 private:
  std::array<CollectorStatus, kCollectorCount> statuses_{};
};

struct RequestStats {
  int32_t broker = -1;
  std::string api;
  uint64_t sent = 0;
  uint64_t errors = 0;
};

struct RecordReadStats {
  uint64_t partitions = 0;  // partitions whose records were fetched
  uint64_t bytes = 0;       // record bytes those fetches returned
};

// One node of the ZooKeeper ensemble (ZooKeeper mode), as its mntr four-letter word shows it.
struct ZooKeeperNode {
  std::string server;     // host:port as configured in zookeeper.servers
  bool answered = false;  // mntr answered; the fields below are read only then
  std::string state;      // leader, follower, observer, standalone
  std::optional<double> outstanding_requests;
  std::optional<double> avg_latency_ms;
  std::optional<double> znodes;
  std::optional<double> alive_connections;
  std::optional<double> watches;
  std::optional<double> synced_followers;  // the leader only
};

struct ClusterSnapshot {
  Clock::time_point taken_at{};
  std::chrono::duration<double> cycle_duration{0};
  std::string cluster_id;
  int32_t controller_id = -1;
  std::vector<BrokerInfo> brokers;            // sorted by id, includes brokers that left
  std::vector<TopicState> topics;             // sorted by name, after filters
  std::vector<GroupState> groups;             // sorted by id, after filters
  std::vector<ShareGroupState> share_groups;  // sorted by id, after filters
  std::vector<LogDirState> log_dirs;
  std::optional<QuorumState> quorum;
  // Where the cluster keeps its metadata: "kraft" (DescribeQuorum answered) or "zookeeper"
  // (no broker offers it); absent when DescribeQuorum failed otherwise.
  std::optional<std::string> metadata_mode;
  std::vector<TransactionState> transactions;
  std::vector<QuotaEntry> quotas;
  std::vector<ZooKeeperNode> zookeeper;  // zookeeper.servers in their order; empty when none
  CollectorStatuses collectors;
  // Timestamp (ms) of the oldest unconsumed record of a committed offset: the record at
  // that offset, read from its leader (exact, or its batch's first timestamp when inside a
  // compressed batch). Keyed by partition and committed offset.
  std::map<std::pair<TopicPartition, int64_t>, int64_t> record_timestamps;
  // Committed offsets with only transaction markers between them and the log end: Kafka counts
  // the markers as lag, but the group has no record left to read (lag in seconds 0, caught up).
  std::set<std::pair<TopicPartition, int64_t>> nothing_to_consume;
  // When the oldest topic config in `topics` was read (kept from an earlier cycle when
  // DescribeConfigs fails); absent when no config is known.
  std::optional<Clock::time_point> topic_configs_read_at;
  bool complete = false;  // metadata and offsets both collected
};

// The log-end offset of every partition whose leader answered this cycle.
inline std::map<TopicPartition, int64_t> log_ends(const ClusterSnapshot& snapshot) {
  std::map<TopicPartition, int64_t> ends;
  for (const auto& topic : snapshot.topics) {
    for (const auto& p : topic.partitions) {
      if (p.latest_offset) ends[{topic.name, p.partition}] = *p.latest_offset;
    }
  }
  return ends;
}

}  // namespace kse::model
