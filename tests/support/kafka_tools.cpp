#include "support/kafka_tools.h"

#include <regex>
#include <sstream>

#include "support/test_support.h"

namespace kse::test {

namespace {

// "Leader: 1" style fields of a tab-separated kafka-topics line.
std::map<std::string, std::string> fields_of(const std::string& line) {
  std::map<std::string, std::string> fields;
  std::stringstream stream(line);
  std::string part;
  while (std::getline(stream, part, '\t')) {
    const auto colon = part.find(':');
    if (colon == std::string::npos) continue;
    std::string key = part.substr(0, colon);
    std::string value = part.substr(colon + 1);
    key.erase(0, key.find_first_not_of(' '));
    value.erase(0, value.find_first_not_of(' '));
    fields[key] = value;
  }
  return fields;
}

std::vector<int32_t> parse_ids(const std::string& text) {
  std::vector<int32_t> ids;
  std::stringstream stream(text);
  std::string id;
  while (std::getline(stream, id, ',')) {
    if (!id.empty()) ids.push_back(std::stoi(id));
  }
  return ids;
}

std::optional<int64_t> parse_optional(const std::string& text) {
  if (text == "-" || text.empty()) return std::nullopt;
  return std::stoll(text);
}

}  // namespace

std::map<std::string, ToolTopic> parse_topics_describe(const std::string& output) {
  std::map<std::string, ToolTopic> topics;
  for (const auto& line : split_lines(output)) {
    if (line.rfind("Topic:", 0) == 0) {
      auto fields = fields_of(line);
      ToolTopic& topic = topics[fields["Topic"]];
      topic.name = fields["Topic"];
      topic.partition_count = std::stoi(fields["PartitionCount"]);
      topic.replication_factor = std::stoi(fields["ReplicationFactor"]);
      std::stringstream configs(fields["Configs"]);
      std::string config;
      while (std::getline(configs, config, ',')) {
        const auto equals = config.find('=');
        if (equals != std::string::npos) {
          topic.configs[config.substr(0, equals)] = config.substr(equals + 1);
        }
      }
    } else if (line.find("\tTopic:") != std::string::npos || line.rfind(" Topic:", 0) == 0 ||
               line.rfind("\tTopic:", 0) == 0) {
      auto fields = fields_of(line);
      ToolPartition partition;
      partition.partition = std::stoi(fields["Partition"]);
      partition.leader = fields["Leader"] == "none" ? -1 : std::stoi(fields["Leader"]);
      partition.replicas = parse_ids(fields["Replicas"]);
      partition.isr = parse_ids(fields["Isr"]);
      topics[fields["Topic"]].partitions.push_back(partition);
    }
  }
  return topics;
}

std::vector<ToolGroupOffset> parse_group_describe(const std::string& output) {
  std::vector<ToolGroupOffset> rows;
  bool in_table = false;
  for (const auto& line : split_lines(output)) {
    std::stringstream stream(line);
    std::vector<std::string> columns;
    std::string column;
    while (stream >> column) columns.push_back(column);
    if (columns.size() >= 6 && columns[0] == "GROUP" && columns[1] == "TOPIC") {
      in_table = true;
      continue;
    }
    if (!in_table || columns.size() < 6) continue;
    ToolGroupOffset row;
    row.topic = columns[1];
    row.partition = std::stoi(columns[2]);
    row.current_offset = parse_optional(columns[3]);
    row.log_end_offset = std::stoll(columns[4]);
    row.lag = parse_optional(columns[5]);
    rows.push_back(row);
  }
  return rows;
}

std::map<std::pair<std::string, int32_t>, int64_t> parse_get_offsets(const std::string& output) {
  std::map<std::pair<std::string, int32_t>, int64_t> offsets;
  static const std::regex line_pattern(R"(^(.+):(\d+):(-?\d+)$)");
  for (const auto& line : split_lines(output)) {
    std::smatch match;
    if (std::regex_match(line, match, line_pattern)) {
      offsets[{match[1].str(), std::stoi(match[2].str())}] = std::stoll(match[3].str());
    }
  }
  return offsets;
}

std::vector<ToolReplicaSize> parse_log_dirs(const std::string& output) {
  // The tool prints one JSON line; a regex over its fixed shape avoids a JSON dependency here.
  std::vector<ToolReplicaSize> sizes;
  // {"brokers":[...],"version":1} from 3.0 on, {"version":1,"brokers":[...]} in 2.8.
  const auto start = output.find("\"brokers\":[");
  if (start == std::string::npos) return sizes;
  const std::string json = output.substr(start);
  static const std::regex broker_pattern(R"re(\{"broker":(\d+),"logDirs":\[)re");
  static const std::regex dir_pattern(R"re("logDir":"([^"]*)","error":[^,]*,"partitions":\[)re");
  static const std::regex partition_pattern(
      R"re(\{"partition":"(.+?)-(\d+)","size":(\d+),"offsetLag":\d+,"isFuture":(true|false)\})re");
  // Walk the text in order, tracking the current broker and log dir.
  size_t position = 0;
  int32_t broker = -1;
  std::string dir;
  while (position < json.size()) {
    std::smatch b, d, p;
    std::string rest = json.substr(position);
    size_t next_b = std::regex_search(rest, b, broker_pattern) ? b.position(0) : std::string::npos;
    size_t next_d = std::regex_search(rest, d, dir_pattern) ? d.position(0) : std::string::npos;
    size_t next_p = std::regex_search(rest, p, partition_pattern) ? p.position(0) : std::string::npos;
    size_t next = std::min({next_b, next_d, next_p});
    if (next == std::string::npos) break;
    if (next == next_b) {
      broker = std::stoi(b[1].str());
      position += b.position(0) + b.length(0);
    } else if (next == next_d) {
      dir = d[1].str();
      position += d.position(0) + d.length(0);
    } else {
      if (p[4].str() == "false") {
        sizes.push_back({broker, dir, p[1].str(), std::stoi(p[2].str()), std::stoll(p[3].str())});
      }
      position += p.position(0) + p.length(0);
    }
  }
  return sizes;
}

namespace {

// The first capture of `pattern` in the output of a quorum tool (KRaft) or of
// `zookeeper-shell get <znode>` (ZooKeeper mode).
std::string metadata_fact(const char* kraft_pattern, const char* znode, const char* zookeeper_pattern,
                          std::string* said) {
  const bool zookeeper = zookeeper_mode();
  const auto result =
      zookeeper ? kafka_tool("zookeeper-shell", std::string("127.0.0.1:2181 get ") + znode)
                : kafka_tool("kafka-metadata-quorum", "--bootstrap-server 127.0.0.1:9092 describe --status");
  if (said) *said = result.output;
  std::smatch m;
  const std::regex pattern(zookeeper ? zookeeper_pattern : kraft_pattern);
  return std::regex_search(result.output, m, pattern) ? m[1].str() : "";
}

}  // namespace

std::string tool_cluster_id(std::string* said) {
  return metadata_fact(R"(ClusterId:\s+(\S+))", "/cluster/id", R"re("id":"([^"]+)")re", said);
}

int32_t tool_controller_id(std::string* said) {
  const std::string id =
      metadata_fact(R"(LeaderId:\s+(-?\d+))", "/controller", R"re("brokerid":(-?\d+))re", said);
  return id.empty() ? -1 : std::stoi(id);
}

}  // namespace kse::test
