#include "platform/facts.h"

#include <simdjson.h>

#include <algorithm>
#include <charconv>
#include <regex>
#include <sstream>
#include <string>

namespace kse::platform {

namespace {

using simdjson::dom::element;
using simdjson::dom::element_type;

element parse_root(simdjson::dom::parser& parser, std::string_view json, const char* what) {
  element root;
  if (auto error = parser.parse(json.data(), json.size()).get(root)) {
    throw ParseError(std::string(what) + ": not JSON (" + simdjson::error_message(error) + ")");
  }
  return root;
}

std::string text_at(element object, const char* key) {
  std::string_view value;
  if (object.at_key(key).get(value)) return {};
  return std::string(value);
}

// A JSON value as the text a connector's config holds (Connect answers strings; numbers and
// booleans are written back as text).
std::string as_text(element value) {
  switch (value.type()) {
    case element_type::STRING: return std::string(std::string_view(value));
    case element_type::INT64: return std::to_string(int64_t(value));
    case element_type::UINT64: return std::to_string(uint64_t(value));
    case element_type::BOOL: return bool(value) ? "true" : "false";
    default: return simdjson::minify(value);
  }
}

std::optional<int64_t> integer_at(element object, const char* key) {
  element value;
  if (object.at_key(key).get(value)) return std::nullopt;
  int64_t number = 0;
  if (!value.get(number)) return number;
  // Connect's offsets may come back as text.
  std::string_view text;
  if (value.get(text)) return std::nullopt;
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), number);
  if (error != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return number;
}

bool class_is(const ConnectorStatus& connector, std::string_view simple_name) {
  const std::string& name = connector.connector_class;
  return name == simple_name || name.ends_with("." + std::string(simple_name));
}

}  // namespace

std::vector<ConnectorStatus> parse_connectors(std::string_view json) {
  simdjson::dom::parser parser;
  simdjson::dom::object root;
  if (parse_root(parser, json, "connectors").get(root)) throw ParseError("connectors: not a JSON object");
  std::vector<ConnectorStatus> connectors;
  for (auto [name, entry] : root) {
    ConnectorStatus connector;
    connector.name = std::string(name);
    element status;
    element info;
    if (entry.at_key("status").get(status) || status.type() != element_type::OBJECT) {
      throw ParseError("connector " + connector.name + ": no status (Connect before 2.3 cannot expand it)");
    }
    connector.type = text_at(status, "type");
    element state;
    if (status.at_key("connector").get(state) || state.type() != element_type::OBJECT) {
      throw ParseError("connector " + connector.name + ": status without a connector state");
    }
    connector.state = text_at(state, "state");
    connector.worker = text_at(state, "worker_id");
    connector.trace = !text_at(state, "trace").empty();
    if (connector.state.empty()) throw ParseError("connector " + connector.name + ": empty state");
    simdjson::dom::array tasks;
    if (!status.at_key("tasks").get(tasks)) {
      for (element task : tasks) {
        TaskStatus t;
        const auto id = integer_at(task, "id");
        if (!id) throw ParseError("connector " + connector.name + ": a task without an id");
        t.id = static_cast<int32_t>(*id);
        t.state = text_at(task, "state");
        t.worker = text_at(task, "worker_id");
        t.trace = !text_at(task, "trace").empty();
        connector.tasks.push_back(std::move(t));
      }
    }
    if (!entry.at_key("info").get(info) && info.type() == element_type::OBJECT) {
      if (connector.type.empty()) connector.type = text_at(info, "type");
      simdjson::dom::object config;
      if (!info.at_key("config").get(config)) {
        for (auto [key, value] : config) connector.config[std::string(key)] = as_text(value);
      }
    }
    if (auto it = connector.config.find("connector.class"); it != connector.config.end()) {
      connector.connector_class = it->second;
    }
    if (connector.type.empty()) connector.type = "unknown";
    std::sort(connector.tasks.begin(), connector.tasks.end(),
              [](const TaskStatus& a, const TaskStatus& b) { return a.id < b.id; });
    connectors.push_back(std::move(connector));
  }
  std::sort(connectors.begin(), connectors.end(),
            [](const ConnectorStatus& a, const ConnectorStatus& b) { return a.name < b.name; });
  return connectors;
}

std::vector<MirrorOffset> parse_mirror_offsets(std::string_view json) {
  simdjson::dom::parser parser;
  simdjson::dom::array entries;
  if (parse_root(parser, json, "offsets").at_key("offsets").get(entries)) {
    throw ParseError("offsets: no \"offsets\" list");
  }
  std::vector<MirrorOffset> offsets;
  for (element entry : entries) {
    element partition;
    element offset;
    if (entry.at_key("partition").get(partition) || entry.at_key("offset").get(offset)) {
      throw ParseError("offsets: an entry without partition or offset");
    }
    // A reset offset (DELETE /offsets) is null until the connector copies again.
    if (offset.is_null()) continue;
    MirrorOffset m;
    m.source_cluster = text_at(partition, "cluster");
    m.topic = text_at(partition, "topic");
    const auto index = integer_at(partition, "partition");
    const auto last = integer_at(offset, "offset");
    if (m.topic.empty() || !index || !last) {
      throw ParseError("offsets: an entry that is not a MirrorSourceConnector's {cluster, topic, partition}");
    }
    m.partition = static_cast<int32_t>(*index);
    m.last_copied = *last;
    offsets.push_back(std::move(m));
  }
  std::sort(offsets.begin(), offsets.end(), [](const MirrorOffset& a, const MirrorOffset& b) {
    return std::tie(a.topic, a.partition) < std::tie(b.topic, b.partition);
  });
  return offsets;
}

struct MirroredTopics::Patterns {
  std::vector<std::regex> include;
  std::vector<std::regex> exclude;
  std::string target_prefix;
};

namespace {

// A comma-separated list of Java regular expressions, each matched against a whole name.
std::vector<std::regex> pattern_list(const std::string& text, const std::string& key) {
  std::vector<std::regex> patterns;
  std::stringstream stream(text);
  std::string item;
  while (std::getline(stream, item, ',')) {
    const auto first = item.find_first_not_of(" \t");
    if (first == std::string::npos) continue;
    item = item.substr(first, item.find_last_not_of(" \t") - first + 1);
    try {
      patterns.emplace_back(item, std::regex::ECMAScript | std::regex::optimize);
    } catch (const std::regex_error& error) {
      throw ParseError(key + ": '" + item + "' is no regular expression (" + error.what() + ")");
    }
  }
  return patterns;
}

std::string config_or(const std::map<std::string, std::string>& config, const std::string& key,
                      const std::string& fallback) {
  auto it = config.find(key);
  return it == config.end() ? fallback : it->second;
}

bool any_matches(const std::vector<std::regex>& patterns, const std::string& name) {
  return std::any_of(patterns.begin(), patterns.end(),
                     [&name](const std::regex& pattern) { return std::regex_match(name, pattern); });
}

}  // namespace

MirroredTopics::MirroredTopics(const std::map<std::string, std::string>& config) {
  auto patterns = std::make_shared<Patterns>();
  patterns->include = pattern_list(config_or(config, "topics", ".*"), "topics");
  // MirrorSourceConfig's default exclusions, under their name since Kafka 3.0 or the older one.
  const std::string excluded =
      config.count("topics.exclude")
          ? config.at("topics.exclude")
          : config_or(config, "topics.blacklist", ".*[\\-\\.]internal, .*\\.replica, __.*");
  patterns->exclude = pattern_list(excluded, "topics.exclude");
  const std::string target = config_or(config, "target.cluster.alias", "");
  if (!target.empty())
    patterns->target_prefix = target + config_or(config, "replication.policy.separator", ".");
  patterns_ = std::move(patterns);
}

bool MirroredTopics::contains(const std::string& topic) const {
  if (!patterns_->target_prefix.empty() && topic.starts_with(patterns_->target_prefix)) return false;
  return any_matches(patterns_->include, topic) && !any_matches(patterns_->exclude, topic);
}

bool is_mirror_source(const ConnectorStatus& connector) {
  return class_is(connector, "MirrorSourceConnector");
}
bool is_mirror_checkpoint(const ConnectorStatus& connector) {
  return class_is(connector, "MirrorCheckpointConnector");
}
bool is_mirror_heartbeat(const ConnectorStatus& connector) {
  return class_is(connector, "MirrorHeartbeatConnector");
}

std::vector<std::string> parse_subjects(std::string_view json) {
  simdjson::dom::parser parser;
  simdjson::dom::array names;
  if (parse_root(parser, json, "subjects").get(names)) throw ParseError("subjects: not a JSON list");
  std::vector<std::string> subjects;
  for (element name : names) {
    std::string_view text;
    if (name.get(text)) throw ParseError("subjects: an entry that is not a string");
    subjects.emplace_back(text);
  }
  std::sort(subjects.begin(), subjects.end());
  return subjects;
}

std::vector<int32_t> parse_versions(std::string_view json) {
  simdjson::dom::parser parser;
  simdjson::dom::array numbers;
  if (parse_root(parser, json, "versions").get(numbers)) throw ParseError("versions: not a JSON list");
  std::vector<int32_t> versions;
  for (element number : numbers) {
    int64_t version = 0;
    if (number.get(version)) throw ParseError("versions: an entry that is not a number");
    versions.push_back(static_cast<int32_t>(version));
  }
  std::sort(versions.begin(), versions.end());
  return versions;
}

std::string parse_compatibility(std::string_view json) {
  simdjson::dom::parser parser;
  const element root = parse_root(parser, json, "config");
  // Confluent answers GET with compatibilityLevel, PUT with compatibility.
  for (const char* key : {"compatibilityLevel", "compatibility"}) {
    std::string level = text_at(root, key);
    if (!level.empty()) return level;
  }
  throw ParseError("config: no compatibilityLevel");
}

namespace {

// The labels of a sample line "name{a=\"x\",b=\"y\"} value": false when they are malformed.
bool parse_labels(std::string_view text, std::map<std::string, std::string>& labels) {
  size_t at = 0;
  while (at < text.size()) {
    if (text[at] == ',' || text[at] == ' ') {
      ++at;
      continue;
    }
    const size_t equals = text.find('=', at);
    if (equals == std::string_view::npos || equals + 1 >= text.size() || text[equals + 1] != '"')
      return false;
    std::string name(text.substr(at, equals - at));
    std::string value;
    size_t i = equals + 2;
    for (; i < text.size() && text[i] != '"'; ++i) {
      if (text[i] == '\\' && i + 1 < text.size()) {
        ++i;
        value += text[i] == 'n' ? '\n' : text[i];
      } else {
        value += text[i];
      }
    }
    if (i >= text.size()) return false;
    labels[std::move(name)] = std::move(value);
    at = i + 1;
  }
  return true;
}

}  // namespace

std::optional<double> sum_samples(std::string_view page, std::string_view family,
                                  const std::map<std::string, std::string>& match) {
  std::optional<double> sum;
  size_t start = 0;
  while (start < page.size()) {
    size_t end = page.find('\n', start);
    if (end == std::string_view::npos) end = page.size();
    const std::string_view line = page.substr(start, end - start);
    start = end + 1;
    if (!line.starts_with(family)) continue;
    std::string_view rest = line.substr(family.size());
    std::map<std::string, std::string> labels;
    if (rest.starts_with('{')) {
      const size_t close = rest.rfind('}');
      if (close == std::string_view::npos || !parse_labels(rest.substr(1, close - 1), labels)) continue;
      rest = rest.substr(close + 1);
    } else if (!rest.starts_with(' ')) {
      continue;  // a longer name that starts with `family`
    }
    const bool matches = std::all_of(match.begin(), match.end(), [&labels](const auto& wanted) {
      auto it = labels.find(wanted.first);
      return it != labels.end() && it->second == wanted.second;
    });
    if (!matches) continue;
    while (rest.starts_with(' ')) rest.remove_prefix(1);
    const std::string value(rest.substr(0, rest.find(' ')));
    char* parsed_end = nullptr;
    const double number = std::strtod(value.c_str(), &parsed_end);
    if (parsed_end == value.c_str()) continue;
    sum = sum.value_or(0) + number;
  }
  return sum;
}

}  // namespace kse::platform
