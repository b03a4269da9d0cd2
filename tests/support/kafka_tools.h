#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

// Parsers for the output of Kafka's own command-line tools, the independent
// truth the integration tests compare the exporter with.
namespace kse::test {

struct ToolPartition {
  int32_t partition = -1;
  int32_t leader = -1;
  std::vector<int32_t> replicas;
  std::vector<int32_t> isr;
  bool operator==(const ToolPartition&) const = default;
};

struct ToolTopic {
  std::string name;
  int partition_count = 0;
  int replication_factor = 0;
  std::map<std::string, std::string> configs;
  std::vector<ToolPartition> partitions;
};

// `kafka-topics --describe` output, by topic name.
std::map<std::string, ToolTopic> parse_topics_describe(const std::string& output);

struct ToolGroupOffset {
  std::string topic;
  int32_t partition = -1;
  std::optional<int64_t> current_offset;  // "-" when nothing committed
  int64_t log_end_offset = -1;
  std::optional<int64_t> lag;
};

// `kafka-consumer-groups --describe --group G` rows.
std::vector<ToolGroupOffset> parse_group_describe(const std::string& output);

// `kafka-get-offsets` output ("topic:partition:offset" lines), by (topic, partition).
std::map<std::pair<std::string, int32_t>, int64_t> parse_get_offsets(const std::string& output);

struct ToolReplicaSize {
  int32_t broker = -1;
  std::string log_dir;
  std::string topic;
  int32_t partition = -1;
  int64_t size = 0;
};

// `kafka-log-dirs --describe` JSON (after its two header lines).
std::vector<ToolReplicaSize> parse_log_dirs(const std::string& output);

// The cluster id and the active controller as Kafka's own tools say, on the running
// cluster: `kafka-metadata-quorum describe --status` (ClusterId, LeaderId) on KRaft,
// `zookeeper-shell` (/cluster/id, /controller) in ZooKeeper mode. Empty / -1 when the
// tool does not say; `said` gets its output.
std::string tool_cluster_id(std::string* said = nullptr);
int32_t tool_controller_id(std::string* said = nullptr);

}  // namespace kse::test
