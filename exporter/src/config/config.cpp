#include "config/config.h"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <openssl/err.h>
#include <openssl/pem.h>
#include <pcre2.h>
#include <unistd.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <fstream>
#include <functional>
#include <memory>
#include <set>
#include <sstream>

namespace kse::config {
namespace {

// Where a value came from, so every error names it: "file.yml:12" or "environment KSE_X".
struct Origin {
  std::string source;
  std::string where;
};

Origin origin_of(const std::string& source, const YAML::Node& node) {
  const YAML::Mark mark = node.Mark();
  if (mark.line >= 0) {
    return {source, source + ":" + std::to_string(mark.line + 1)};
  }
  return {source, source};
}

[[noreturn]] void fail(const Origin& origin, const std::string& key, const std::string& found,
                       const std::string& allowed) {
  throw ConfigError(origin.where + ": key '" + key + "': found " + found + ", allowed " + allowed);
}

std::string describe(const YAML::Node& node) {
  switch (node.Type()) {
    case YAML::NodeType::Null: return "nothing";
    case YAML::NodeType::Sequence: return "a list";
    case YAML::NodeType::Map: return "a mapping";
    case YAML::NodeType::Scalar: return "'" + node.Scalar() + "'";
    default: return "an undefined value";
  }
}

std::string expect_scalar(const YAML::Node& node, const Origin& origin, const std::string& key,
                          const std::string& allowed) {
  if (!node.IsScalar()) {
    fail(origin, key, describe(node), allowed);
  }
  return node.Scalar();
}

std::optional<int64_t> parse_integer(const std::string& text) {
  int64_t value = 0;
  const char* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(text.data(), end, value);
  if (ec != std::errc() || ptr != end || text.empty()) {
    return std::nullopt;
  }
  return value;
}

int64_t read_integer(const YAML::Node& node, const Origin& origin, const std::string& key,
                     int64_t min, int64_t max) {
  const std::string allowed =
      "an integer " + std::to_string(min) + ".." + std::to_string(max);
  const std::string text = expect_scalar(node, origin, key, allowed);
  auto value = parse_integer(text);
  if (!value || *value < min || *value > max) {
    fail(origin, key, "'" + text + "'", allowed);
  }
  return *value;
}

bool read_bool(const YAML::Node& node, const Origin& origin, const std::string& key) {
  const std::string allowed = "true or false";
  std::string text = expect_scalar(node, origin, key, allowed);
  std::transform(text.begin(), text.end(), text.begin(), ::tolower);
  if (text == "true" || text == "yes" || text == "on") return true;
  if (text == "false" || text == "no" || text == "off") return false;
  fail(origin, key, "'" + node.Scalar() + "'", allowed);
}

std::string read_string(const YAML::Node& node, const Origin& origin, const std::string& key) {
  if (node.IsNull()) return "";
  return expect_scalar(node, origin, key, "a string");
}

std::string read_choice(const YAML::Node& node, const Origin& origin, const std::string& key,
                        const std::vector<std::string>& choices) {
  std::string allowed = "one of";
  for (const auto& choice : choices) allowed += " " + choice;
  const std::string text = expect_scalar(node, origin, key, allowed);
  if (std::find(choices.begin(), choices.end(), text) == choices.end()) {
    fail(origin, key, "'" + text + "'", allowed);
  }
  return text;
}

Duration read_duration(const YAML::Node& node, const Origin& origin, const std::string& key,
                       Duration min) {
  const std::string allowed = "a duration such as 500ms, 15s, 2m or 1h, at least " +
                              std::to_string(min.count()) + "ms";
  const std::string text = expect_scalar(node, origin, key, allowed);
  auto value = parse_duration(text);
  if (!value || *value < min) {
    fail(origin, key, "'" + text + "'", allowed);
  }
  return *value;
}

std::string read_regex(const YAML::Node& node, const Origin& origin, const std::string& key) {
  const std::string text = expect_scalar(node, origin, key, "a regular expression");
  int error_code = 0;
  PCRE2_SIZE error_offset = 0;
  pcre2_code* code = pcre2_compile(reinterpret_cast<PCRE2_SPTR>(text.c_str()), text.size(), 0,
                                   &error_code, &error_offset, nullptr);
  if (code == nullptr) {
    PCRE2_UCHAR message[256];
    pcre2_get_error_message(error_code, message, sizeof message);
    fail(origin, key, "'" + text + "' (" + reinterpret_cast<const char*>(message) +
                          " at offset " + std::to_string(error_offset) + ")",
         "a valid regular expression");
  }
  pcre2_code_free(code);
  return text;
}

std::string read_file_path(const YAML::Node& node, const Origin& origin, const std::string& key) {
  const std::string path = read_string(node, origin, key);
  if (!path.empty() && ::access(path.c_str(), R_OK) != 0) {
    fail(origin, key, "'" + path + "' (" + std::strerror(errno) + ")", "a readable file");
  }
  return path;
}

enum class Pem { kCertificates, kPrivateKey };

// A readable file that also holds what it is named for, so a wrong file is refused
// here, before any port opens, and not by the first TLS handshake.
std::string read_pem_path(const YAML::Node& node, const Origin& origin, const std::string& key, Pem kind) {
  const std::string path = read_file_path(node, origin, key);
  if (path.empty()) return path;
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new_file(path.c_str(), "r"), &BIO_free);
  bool parsed = false;
  if (bio && kind == Pem::kCertificates) {
    X509* certificate = PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr);
    parsed = certificate != nullptr;
    X509_free(certificate);
  } else if (bio) {
    // An encrypted key is refused too: nothing could type its pass phrase.
    EVP_PKEY* private_key = PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, const_cast<char*>(""));
    parsed = private_key != nullptr;
    EVP_PKEY_free(private_key);
  }
  ERR_clear_error();
  if (!parsed) {
    fail(origin, key, "'" + path + "', which holds no PEM " +
                          std::string(kind == Pem::kCertificates ? "certificate" : "private key without a pass phrase"),
         kind == Pem::kCertificates ? "a PEM file of one or more certificates" : "a PEM private key file");
  }
  return path;
}

std::vector<std::string> read_string_list(const YAML::Node& node, const Origin& origin,
                                          const std::string& key) {
  std::vector<std::string> values;
  if (node.IsScalar()) {
    // "a:1,b:2" as given through a flag or the environment.
    std::stringstream stream(node.Scalar());
    std::string item;
    while (std::getline(stream, item, ',')) {
      if (!item.empty()) values.push_back(item);
    }
  } else if (node.IsSequence()) {
    for (const auto& item : node) {
      values.push_back(expect_scalar(item, origin, key, "a list of strings"));
    }
  } else {
    fail(origin, key, describe(node), "a list of strings");
  }
  if (values.empty()) {
    fail(origin, key, "an empty list", "at least one entry");
  }
  return values;
}

void check_host_port(const std::string& entry, const Origin& origin, const std::string& key) {
  const auto colon = entry.rfind(':');
  const std::string allowed = "host:port with port 1..65535";
  if (colon == std::string::npos || colon == 0) {
    fail(origin, key, "'" + entry + "'", allowed);
  }
  auto port = parse_integer(entry.substr(colon + 1));
  if (!port || *port < 1 || *port > 65535) {
    fail(origin, key, "'" + entry + "'", allowed);
  }
}

int32_t read_broker_id_key(const YAML::Node& node, const Origin& origin, const std::string& key) {
  const std::string text = expect_scalar(node, origin, key, "a broker id (integer >= 0)");
  auto id = parse_integer(text);
  if (!id || *id < 0 || *id > INT32_MAX) {
    fail(origin, key, "broker id '" + text + "'", "a broker id (integer >= 0)");
  }
  return static_cast<int32_t>(*id);
}

using Setter = std::function<void(Config&, const YAML::Node&, const Origin&, const std::string&)>;

// Every key the file, the environment and flags may set, in one table.
const std::vector<std::pair<std::string, Setter>>& schema() {
  static const std::vector<std::pair<std::string, Setter>> table = {
      {"kafka.bootstrap_servers",
       [](Config& c, const YAML::Node& n, const Origin& o, const std::string& k) {
         auto servers = read_string_list(n, o, k);
         for (const auto& server : servers) check_host_port(server, o, k);
         c.kafka.bootstrap_servers = servers;
       }},
      {"kafka.client_id",
       [](Config& c, const YAML::Node& n, const Origin& o, const std::string& k) {
         c.kafka.client_id = read_string(n, o, k);
       }},
      {"kafka.request_timeout",
       [](Config& c, const YAML::Node& n, const Origin& o, const std::string& k) {
         c.kafka.request_timeout = read_duration(n, o, k, Duration(100));
       }},
      {"kafka.connect_timeout",
       [](Config& c, const YAML::Node& n, const Origin& o, const std::string& k) {
         c.kafka.connect_timeout = read_duration(n, o, k, Duration(100));
       }},
      {"kafka.tls.enabled",
       [](Config& c, const YAML::Node& n, const Origin& o, const std::string& k) {
         c.kafka.tls.enabled = read_bool(n, o, k);
       }},
      {"kafka.tls.ca_file",
       [](Config& c, const YAML::Node& n, const Origin& o, const std::string& k) {
         c.kafka.tls.ca_file = read_pem_path(n, o, k, Pem::kCertificates);
       }},
      {"kafka.tls.cert_file",
       [](Config& c, const YAML::Node& n, const Origin& o, const std::string& k) {
         c.kafka.tls.cert_file = read_pem_path(n, o, k, Pem::kCertificates);
       }},
      {"kafka.tls.key_file",
       [](Config& c, const YAML::Node& n, const Origin& o, const std::string& k) {
         c.kafka.tls.key_file = read_pem_path(n, o, k, Pem::kPrivateKey);
       }},
      {"kafka.tls.verify_hostname",
       [](Config& c, const YAML::Node& n, const Origin& o, const std::string& k) {
         c.kafka.tls.verify_hostname = read_bool(n, o, k);
       }},
      {"kafka.sasl.mechanism",
       [](Config& c, const YAML::Node& n, const Origin& o, const std::string& k) {
         c.kafka.sasl.mechanism =
             read_choice(n, o, k, {"none", "PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"});
       }},
      {"kafka.sasl.username",
       [](Config& c, const YAML::Node& n, const Origin& o, const std::string& k) {
         c.kafka.sasl.username = read_string(n, o, k);
       }},
      {"kafka.sasl.password",
       [](Config& c, const YAML::Node& n, const Origin& o, const std::string& k) {
         c.kafka.sasl.password = read_string(n, o, k);
       }},
      {"collect.interval",
       [](Config& c, const YAML::Node& n, const Origin& o, const std::string& k) {
         c.collect.interval = read_duration(n, o, k, Duration(1000));
       }},
      {"collect.timeout",
       [](Config& c, const YAML::Node& n, const Origin& o, const std::string& k) {
         c.collect.timeout = read_duration(n, o, k, Duration(100));
       }},
      {"collect.lag_history_points",
       [](Config& c, const YAML::Node& n, const Origin& o, const std::string& k) {
         c.collect.lag_history_points = static_cast<int>(read_integer(n, o, k, 2, 10000));
       }},
      {"collect.lag_status_window",
       [](Config& c, const YAML::Node& n, const Origin& o, const std::string& k) {
         c.collect.lag_status_window = static_cast<int>(read_integer(n, o, k, 3, 1000));
       }},
      {"serve.listen_address",
       [](Config& c, const YAML::Node& n, const Origin& o, const std::string& k) {
         c.serve.listen_address = expect_scalar(n, o, k, "an IP address");
       }},
      {"serve.cluster_port",
       [](Config& c, const YAML::Node& n, const Origin& o, const std::string& k) {
         c.serve.cluster_port = static_cast<int>(read_integer(n, o, k, 1, 65535));
       }},
      {"serve.broker_port_base",
       [](Config& c, const YAML::Node& n, const Origin& o, const std::string& k) {
         c.serve.broker_port_base = static_cast<int>(read_integer(n, o, k, 1, 65535));
       }},
      {"serve.broker_ports",
       [](Config& c, const YAML::Node& n, const Origin& o, const std::string& k) {
         if (!n.IsMap()) fail(o, k, describe(n), "a mapping of broker id to port");
         c.serve.broker_ports.clear();
         for (const auto& entry : n) {
           const Origin at = origin_of(o.source, entry.first);
           int32_t id = read_broker_id_key(entry.first, at, k);
           c.serve.broker_ports[id] = static_cast<int>(
               read_integer(entry.second, at, k + "." + std::to_string(id), 1, 65535));
           c.origins[k + "." + std::to_string(id)] = at.where;
         }
       }},
      {"serve.http_threads",
       [](Config& c, const YAML::Node& n, const Origin& o, const std::string& k) {
         c.serve.http_threads = static_cast<int>(read_integer(n, o, k, 1, 256));
       }},
      {"serve.broker_id",
       [](Config& c, const YAML::Node& n, const Origin& o, const std::string& k) {
         if (n.IsNull()) {
           c.serve.broker_id.reset();
         } else {
           c.serve.broker_id = static_cast<int32_t>(read_integer(n, o, k, 0, INT32_MAX));
         }
       }},
      {"serve.tls.cert_file",
       [](Config& c, const YAML::Node& n, const Origin& o, const std::string& k) {
         c.serve.tls.cert_file = read_pem_path(n, o, k, Pem::kCertificates);
       }},
      {"serve.tls.key_file",
       [](Config& c, const YAML::Node& n, const Origin& o, const std::string& k) {
         c.serve.tls.key_file = read_pem_path(n, o, k, Pem::kPrivateKey);
       }},
      {"serve.basic_auth.username",
       [](Config& c, const YAML::Node& n, const Origin& o, const std::string& k) {
         c.serve.basic_auth.username = read_string(n, o, k);
       }},
      {"serve.basic_auth.password",
       [](Config& c, const YAML::Node& n, const Origin& o, const std::string& k) {
         c.serve.basic_auth.password = read_string(n, o, k);
       }},
      {"filters.topic_include",
       [](Config& c, const YAML::Node& n, const Origin& o, const std::string& k) {
         c.filters.topic_include = read_regex(n, o, k);
       }},
      {"filters.topic_exclude",
       [](Config& c, const YAML::Node& n, const Origin& o, const std::string& k) {
         c.filters.topic_exclude = read_regex(n, o, k);
       }},
      {"filters.group_include",
       [](Config& c, const YAML::Node& n, const Origin& o, const std::string& k) {
         c.filters.group_include = read_regex(n, o, k);
       }},
      {"filters.group_exclude",
       [](Config& c, const YAML::Node& n, const Origin& o, const std::string& k) {
         c.filters.group_exclude = read_regex(n, o, k);
       }},
      {"limits.max_series",
       [](Config& c, const YAML::Node& n, const Origin& o, const std::string& k) {
         c.limits.max_series = read_integer(n, o, k, 0, INT64_MAX);
       }},
      {"limits.partition_metrics",
       [](Config& c, const YAML::Node& n, const Origin& o, const std::string& k) {
         c.limits.partition_metrics = read_bool(n, o, k);
       }},
      {"limits.group_partition_metrics",
       [](Config& c, const YAML::Node& n, const Origin& o, const std::string& k) {
         c.limits.group_partition_metrics = read_bool(n, o, k);
       }},
      {"probe.enabled",
       [](Config& c, const YAML::Node& n, const Origin& o, const std::string& k) {
         c.probe.enabled = read_bool(n, o, k);
       }},
      {"probe.topic",
       [](Config& c, const YAML::Node& n, const Origin& o, const std::string& k) {
         c.probe.topic = expect_scalar(n, o, k, "a topic name");
       }},
      {"probe.group",
       [](Config& c, const YAML::Node& n, const Origin& o, const std::string& k) {
         c.probe.group = expect_scalar(n, o, k, "a group id");
       }},
      {"probe.interval",
       [](Config& c, const YAML::Node& n, const Origin& o, const std::string& k) {
         c.probe.interval = read_duration(n, o, k, Duration(100));
       }},
      {"probe.replication_factor",
       [](Config& c, const YAML::Node& n, const Origin& o, const std::string& k) {
         c.probe.replication_factor = static_cast<int>(read_integer(n, o, k, 1, 32));
       }},
      {"probe.retention",
       [](Config& c, const YAML::Node& n, const Origin& o, const std::string& k) {
         c.probe.retention = read_duration(n, o, k, Duration(60000));
       }},
      {"jmx.enabled",
       [](Config& c, const YAML::Node& n, const Origin& o, const std::string& k) {
         c.jmx.enabled = read_bool(n, o, k);
       }},
      {"jmx.rules_file",
       [](Config& c, const YAML::Node& n, const Origin& o, const std::string& k) {
         c.jmx.rules_file = read_file_path(n, o, k);
       }},
      {"jmx.brokers",
       [](Config& c, const YAML::Node& n, const Origin& o, const std::string& k) {
         if (!n.IsMap()) fail(o, k, describe(n), "a mapping of broker id to Jolokia URL");
         c.jmx.brokers.clear();
         for (const auto& entry : n) {
           const Origin at = origin_of(o.source, entry.first);
           int32_t id = read_broker_id_key(entry.first, at, k);
           std::string url = expect_scalar(entry.second, at, k + "." + std::to_string(id),
                                           "an http:// or https:// URL");
           if (url.rfind("http://", 0) != 0 && url.rfind("https://", 0) != 0) {
             fail(at, k + "." + std::to_string(id), "'" + url + "'",
                  "an http:// or https:// URL");
           }
           c.jmx.brokers[id] = url;
         }
       }},
      {"jmx.username",
       [](Config& c, const YAML::Node& n, const Origin& o, const std::string& k) {
         c.jmx.username = read_string(n, o, k);
       }},
      {"jmx.password",
       [](Config& c, const YAML::Node& n, const Origin& o, const std::string& k) {
         c.jmx.password = read_string(n, o, k);
       }},
      {"jmx.ca_file",
       [](Config& c, const YAML::Node& n, const Origin& o, const std::string& k) {
         c.jmx.ca_file = read_pem_path(n, o, k, Pem::kCertificates);
       }},
      {"jmx.timeout",
       [](Config& c, const YAML::Node& n, const Origin& o, const std::string& k) {
         c.jmx.timeout = read_duration(n, o, k, Duration(100));
       }},
      {"log.level",
       [](Config& c, const YAML::Node& n, const Origin& o, const std::string& k) {
         c.log.level = read_choice(n, o, k, {"trace", "debug", "info", "warn", "error"});
       }},
  };
  return table;
}

const Setter* find_setter(const std::string& key) {
  for (const auto& [name, setter] : schema()) {
    if (name == key) return &setter;
  }
  return nullptr;
}

// Keys directly below `prefix` ("serve." -> listen_address, cluster_port, tls, ...).
std::string allowed_children(const std::string& prefix) {
  std::set<std::string> children;
  for (const auto& [name, setter] : schema()) {
    if (name.rfind(prefix, 0) == 0) {
      std::string rest = name.substr(prefix.size());
      children.insert(rest.substr(0, rest.find('.')));
    }
  }
  std::string joined;
  for (const auto& child : children) {
    joined += (joined.empty() ? "" : ", ") + child;
  }
  return joined;
}

bool is_section(const std::string& key) {
  for (const auto& [name, setter] : schema()) {
    if (name.rfind(key + ".", 0) == 0) return true;
  }
  return false;
}

void apply_node(Config& config, const YAML::Node& node, const std::string& prefix,
                const std::string& source) {
  for (const auto& entry : node) {
    const Origin origin = origin_of(source, entry.first);
    if (!entry.first.IsScalar()) {
      throw ConfigError(origin.where + ": a key must be a plain name, found " +
                        describe(entry.first));
    }
    const std::string key = prefix + entry.first.Scalar();
    const Origin value_origin = origin_of(source, entry.second);
    if (const Setter* setter = find_setter(key)) {
      (*setter)(config, entry.second, value_origin, key);
      config.origins[key] = value_origin.where;
    } else if (is_section(key)) {
      if (!entry.second.IsMap()) {
        fail(value_origin, key, describe(entry.second),
             "a mapping with keys " + allowed_children(key + "."));
      }
      apply_node(config, entry.second, key + ".", source);
    } else {
      throw ConfigError(origin.where + ": unknown key '" + key + "', allowed here: " +
                        allowed_children(prefix));
    }
  }
}

std::string read_whole_file(const std::string& path) {
  std::ifstream stream(path, std::ios::binary);
  if (!stream) {
    throw ConfigError(path + ": cannot read configuration file (" + std::strerror(errno) + ")");
  }
  std::stringstream buffer;
  buffer << stream.rdbuf();
  return buffer.str();
}

// KSE_SERVE_CLUSTER_PORT -> serve.cluster_port (keys are matched against the schema so
// underscores inside key names, like cluster_port, stay underscores).
std::optional<std::string> key_for_environment(const std::string& variable) {
  for (const auto& [name, setter] : schema()) {
    std::string expected = "KSE_" + name;
    for (char& c : expected) {
      c = (c == '.') ? '_' : static_cast<char>(::toupper(c));
    }
    if (expected == variable) return name;
  }
  return std::nullopt;
}

}  // namespace

std::optional<Duration> parse_duration(const std::string& text) {
  if (text.empty()) return std::nullopt;
  size_t digits = 0;
  while (digits < text.size() && std::isdigit(static_cast<unsigned char>(text[digits]))) {
    ++digits;
  }
  if (digits == 0) return std::nullopt;
  auto number = parse_integer(text.substr(0, digits));
  if (!number || *number > 1'000'000'000) return std::nullopt;
  const std::string unit = text.substr(digits);
  int64_t factor_ms;
  if (unit.empty() || unit == "s") {
    factor_ms = 1000;
  } else if (unit == "ms") {
    factor_ms = 1;
  } else if (unit == "m") {
    factor_ms = 60'000;
  } else if (unit == "h") {
    factor_ms = 3'600'000;
  } else {
    return std::nullopt;
  }
  return Duration(*number * factor_ms);
}

Config load_text(const std::string& text, const std::string& source_name) {
  Config config;
  config.source = source_name;
  YAML::Node root;
  try {
    root = YAML::Load(text);
  } catch (const YAML::Exception& error) {
    throw ConfigError(source_name + ":" + std::to_string(error.mark.line + 1) +
                      ": invalid YAML: " + error.msg);
  }
  if (root.IsNull()) {
    return config;  // an empty file means all defaults
  }
  if (!root.IsMap()) {
    throw ConfigError(origin_of(source_name, root).where + ": the file must be a mapping with " +
                      "sections " + allowed_children("") + ", found " + describe(root));
  }
  try {
    apply_node(config, root, "", source_name);
  } catch (const YAML::Exception& error) {
    throw ConfigError(source_name + ":" + std::to_string(error.mark.line + 1) + ": " + error.msg);
  }
  return config;
}

Config load_file(const std::string& path) { return load_text(read_whole_file(path), path); }

void apply_environment(Config& config, const std::vector<std::string>& environ_entries) {
  for (const auto& entry : environ_entries) {
    if (entry.rfind("KSE_", 0) != 0) continue;
    const auto equals = entry.find('=');
    if (equals == std::string::npos) continue;
    const std::string variable = entry.substr(0, equals);
    // Variables of the test harness and scripts share the prefix; only schema keys apply.
    auto key = key_for_environment(variable);
    if (!key) continue;
    apply_override(config, *key + "=" + entry.substr(equals + 1), "environment " + variable);
  }
}

void apply_override(Config& config, const std::string& assignment, const std::string& origin) {
  const auto equals = assignment.find('=');
  if (equals == std::string::npos) {
    throw ConfigError(origin + ": '" + assignment + "' is not of the form section.key=value");
  }
  const std::string key = assignment.substr(0, equals);
  const std::string value = assignment.substr(equals + 1);
  const Setter* setter = find_setter(key);
  if (setter == nullptr) {
    throw ConfigError(origin + ": unknown key '" + key + "'");
  }
  YAML::Node node;
  try {
    // Values given as text are read as YAML so lists and maps can be written inline.
    node = value.empty() ? YAML::Node(YAML::NodeType::Null) : YAML::Load(value);
    if (node.IsScalar()) node = YAML::Node(value);
  } catch (const YAML::Exception& error) {
    throw ConfigError(origin + ": key '" + key + "': invalid value '" + value + "': " + error.msg);
  }
  (*setter)(config, node, Origin{origin, origin}, key);
  config.origins[key] = origin;
}

int64_t broker_port(const ServeConfig& serve, int32_t broker_id) {
  auto it = serve.broker_ports.find(broker_id);
  if (it != serve.broker_ports.end()) return it->second;
  if (serve.broker_id) return serve.broker_port_base;
  return static_cast<int64_t>(serve.broker_port_base) + broker_id - 1;
}

void validate(const Config& config) {
  // Errors name the line of the key they are about, else the file.
  const auto source_of = [&config](const std::string& key) {
    auto it = config.origins.find(key);
    return it != config.origins.end() ? it->second : config.source;
  };
  std::map<int, std::string> used;
  used[config.serve.cluster_port] = "serve.cluster_port";
  for (const auto& [id, port] : config.serve.broker_ports) {
    const std::string key = "serve.broker_ports." + std::to_string(id);
    auto [it, inserted] = used.emplace(port, key);
    if (!inserted) {
      throw ConfigError(source_of(key) + ": key '" + key + "': found port " + std::to_string(port) +
                        " already used by '" + it->second + "', allowed a port no other key uses");
    }
  }
  if (config.serve.broker_ports.empty() && config.serve.cluster_port >= config.serve.broker_port_base &&
      config.serve.cluster_port < config.serve.broker_port_base + 64) {
    throw ConfigError(source_of("serve.cluster_port") + ": key 'serve.cluster_port': found " +
                      std::to_string(config.serve.cluster_port) +
                      ", which collides with the broker ports from serve.broker_port_base " +
                      std::to_string(config.serve.broker_port_base) +
                      ", allowed a port outside broker_port_base..broker_port_base+63");
  }
  if (config.serve.tls.cert_file.empty() != config.serve.tls.key_file.empty()) {
    throw ConfigError(source_of("serve.tls.cert_file") + ": key 'serve.tls': found only one of cert_file and key_file, " +
                      "allowed both or neither");
  }
  if (config.kafka.tls.cert_file.empty() != config.kafka.tls.key_file.empty()) {
    throw ConfigError(source_of("kafka.tls.cert_file") + ": key 'kafka.tls': found only one of cert_file and key_file, " +
                      "allowed both or neither");
  }
  if (config.kafka.sasl.mechanism != "none" && config.kafka.sasl.username.empty()) {
    throw ConfigError(source_of("kafka.sasl.username") + ": key 'kafka.sasl.username': found nothing, allowed a user " +
                      "name when kafka.sasl.mechanism is " + config.kafka.sasl.mechanism);
  }
  if (config.collect.timeout >= config.collect.interval) {
    throw ConfigError(source_of("collect.timeout") + ": key 'collect.timeout': found " +
                      std::to_string(config.collect.timeout.count()) + "ms, allowed less than " +
                      "collect.interval (" + std::to_string(config.collect.interval.count()) +
                      "ms)");
  }
  // A hung broker costs one request timeout; the cycle needs room for that and for the
  // requests that follow it (FindCoordinator, group details, offsets) on the others.
  if (config.collect.timeout < 2 * config.kafka.request_timeout) {
    throw ConfigError(source_of("kafka.request_timeout") + ": key 'kafka.request_timeout': found " +
                      std::to_string(config.kafka.request_timeout.count()) + "ms, allowed at most half of " +
                      "collect.timeout (" + std::to_string(config.collect.timeout.count()) + "ms)");
  }
  if (config.jmx.enabled && config.jmx.brokers.empty()) {
    throw ConfigError(source_of("jmx.brokers") + ": key 'jmx.brokers': found nothing, allowed a mapping of " +
                      "broker id to Jolokia URL when jmx.enabled is true");
  }
}

}  // namespace kse::config
