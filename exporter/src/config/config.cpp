#include "config/config.h"

#include <yaml-cpp/yaml.h>

#include <cctype>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <iterator>
#include <set>
#include <sstream>

#include "schema.h"

namespace kse::config {
namespace {

using schema::describe;
using schema::fail;
using schema::Origin;
using schema::origin_of;

// Keys directly below `prefix` ("serve." -> listen_address, cluster_port, tls, ...).
std::string allowed_children(const std::string& prefix) {
  std::set<std::string> children;
  for (const auto& key : schema::keys()) {
    if (key.path.starts_with(prefix)) {
      std::string rest(key.path.substr(prefix.size()));
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
  for (const auto& schema_key : schema::keys()) {
    if (schema_key.path.starts_with(key + ".")) return true;
  }
  return false;
}

void apply_node(Config& config, const YAML::Node& node, const std::string& prefix,
                const std::string& source) {
  for (const auto& entry : node) {
    const Origin origin = origin_of(source, entry.first);
    if (!entry.first.IsScalar()) {
      throw ConfigError(origin.where + ": a key must be a plain name, found " + describe(entry.first));
    }
    const std::string key = prefix + entry.first.Scalar();
    const Origin value_origin = origin_of(source, entry.second);
    if (const schema::Key* schema_key = schema::find_key(key)) {
      schema::apply(*schema_key, config, entry.second, value_origin);
      config.origins[key] = value_origin.where;
    } else if (is_section(key)) {
      if (!entry.second.IsMap()) {
        fail(value_origin, key, describe(entry.second), "a mapping with keys " + allowed_children(key + "."));
      }
      apply_node(config, entry.second, key + ".", source);
    } else {
      throw ConfigError(origin.where + ": unknown key '" + key +
                        "', allowed here: " + allowed_children(prefix));
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
  for (const auto& key : schema::keys()) {
    std::string expected = "KSE_" + std::string(key.path);
    for (char& c : expected) {
      c = (c == '.') ? '_' : static_cast<char>(::toupper(c));
    }
    if (expected == variable) return std::string(key.path);
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
  auto number = schema::parse_integer(text.substr(0, digits));
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
  const schema::Key* schema_key = schema::find_key(key);
  if (schema_key == nullptr) {
    throw ConfigError(origin + ": unknown key '" + key + "'");
  }
  YAML::Node node;
  if (schema_key->type.kind == schema::Kind::kSecret || schema_key->type.kind == schema::Kind::kSecretFile) {
    // Taken as it is: a password such as "a: b" or "[x" is no YAML, and an error would quote it.
    node = value.empty() ? YAML::Node(YAML::NodeType::Null) : YAML::Node(value);
  } else {
    try {
      // Values given as text are read as YAML so lists and maps can be written inline.
      node = value.empty() ? YAML::Node(YAML::NodeType::Null) : YAML::Load(value);
      if (node.IsScalar()) node = YAML::Node(value);
    } catch (const YAML::Exception& error) {
      throw ConfigError(origin + ": key '" + key + "': invalid value '" + value + "': " + error.msg);
    }
  }
  schema::apply(*schema_key, config, node, Origin{origin, origin});
  config.origins[key] = origin;
}

void read_secret_files(Config& config) {
  const auto where = [&config](const std::string& key) {
    auto it = config.origins.find(key);
    return it != config.origins.end() ? it->second : config.source;
  };
  for (const auto& file_key : schema::keys()) {
    if (file_key.type.kind != schema::Kind::kSecretFile) continue;
    const std::string file_path(file_key.path);
    const std::string secret_path = file_path.substr(0, file_path.size() - std::string("_file").size());
    const std::string& path = *std::get<std::string*>(file_key.field(config));
    std::string& secret = *std::get<std::string*>(schema::find_key(secret_path)->field(config));
    if (path.empty()) continue;
    const Origin origin{config.source, where(file_path)};
    if (!secret.empty()) {
      fail(origin, file_path, "it together with '" + secret_path + "' (" + where(secret_path) + ")",
           "one of the two");
    }
    std::ifstream stream(path, std::ios::binary);
    if (stream) secret.assign(std::istreambuf_iterator<char>(stream), std::istreambuf_iterator<char>());
    if (!stream || stream.bad()) {
      fail(origin, file_path, "'" + path + "' (" + std::strerror(errno) + ")", "a readable file");
    }
    // Editors and `echo` end the file with a newline that is no part of the secret.
    if (secret.ends_with('\n')) secret.pop_back();
    if (secret.ends_with('\r')) secret.pop_back();
    if (secret.empty()) {
      fail(origin, file_path, "'" + path + "', which is empty", "a file holding the secret");
    }
  }
}

std::vector<std::string> credential_files(const Config& config) {
  std::vector<std::string> files;
  Config copy = config;  // fields are reached through a mutable Config
  for (const auto& key : schema::keys()) {
    if (!key.path.starts_with("kafka.")) continue;
    const auto kind = key.type.kind;
    if (kind != schema::Kind::kSecretFile && kind != schema::Kind::kPemCertificates &&
        kind != schema::Kind::kPemPrivateKey && kind != schema::Kind::kPrivateFile &&
        kind != schema::Kind::kReadableFile) {
      continue;
    }
    const std::string& path = *std::get<std::string*>(key.field(copy));
    if (!path.empty()) files.push_back(path);
  }
  return files;
}

void reread_secret_files(Config& config) {
  for (const auto& file_key : schema::keys()) {
    const auto kind = file_key.type.kind;
    if (kind != schema::Kind::kSecretFile && kind != schema::Kind::kPemPrivateKey &&
        kind != schema::Kind::kPrivateFile) {
      continue;
    }
    const std::string& path = *std::get<std::string*>(file_key.field(config));
    if (path.empty()) continue;
    const std::string file_path(file_key.path);
    auto origin = config.origins.find(file_path);
    schema::refuse_if_others_can_read(
        Origin{config.source, origin != config.origins.end() ? origin->second : config.source}, file_path,
        path);
    if (kind != schema::Kind::kSecretFile) continue;
    const std::string secret_path = file_path.substr(0, file_path.size() - std::string("_file").size());
    std::get<std::string*>(schema::find_key(secret_path)->field(config))->clear();
  }
  read_secret_files(config);
}

std::vector<std::string> inline_secret_warnings(const Config& config) {
  std::vector<std::string> warnings;
  Config copy = config;  // fields are reached through a mutable Config
  for (const auto& key : schema::keys()) {
    if (key.type.kind != schema::Kind::kSecret) continue;
    const std::string path(key.path);
    auto origin = config.origins.find(path);
    // A secret read from its `_file` key has no origin of its own.
    if (origin == config.origins.end() || origin->second.starts_with("environment ")) continue;
    if (std::get<std::string*>(key.field(copy))->empty()) continue;
    std::string variable = "KSE_" + path + "_FILE";
    for (char& c : variable) c = (c == '.') ? '_' : static_cast<char>(::toupper(c));
    const bool flag = origin->second.starts_with("flag ");
    warnings.push_back(
        origin->second + ": key '" + path + "' holds a secret " +
        (flag ? "on the command line, where every user of the host sees it" : "in the configuration file") +
        "; put it in a file only the exporter can read and name that file with '" + path + "_file' (or " +
        variable + "), or set " + variable.substr(0, variable.size() - 5));
  }
  return warnings;
}

int64_t broker_port(const ServeConfig& serve, int32_t broker_id) {
  auto it = serve.broker_ports.find(broker_id);
  if (it != serve.broker_ports.end()) return it->second;
  if (serve.broker_id) return serve.broker_port_base;
  return static_cast<int64_t>(serve.broker_port_base) + broker_id - 1;
}

// The checks that involve more than one key, after every key has passed the schema.
void validate(const Config& config) {
  // Errors name the line of `origin_key`, else the file.
  const auto refuse = [&config](const std::string& key, const std::string& found, const std::string& allowed,
                                const std::string& origin_key) {
    auto it = config.origins.find(origin_key);
    const std::string where = it != config.origins.end() ? it->second : config.source;
    throw ConfigError(where + ": key '" + key + "': found " + found + ", allowed " + allowed);
  };
  const auto ms = [](Duration duration) { return std::to_string(duration.count()) + "ms"; };
  const ServeConfig& serve = config.serve;

  std::map<int, std::string> used;
  used[serve.cluster_port] = "serve.cluster_port";
  for (const auto& [id, port] : serve.broker_ports) {
    const std::string key = "serve.broker_ports." + std::to_string(id);
    auto [it, inserted] = used.emplace(port, key);
    if (!inserted) {
      refuse(key, "port " + std::to_string(port) + " already used by '" + it->second + "'",
             "a port no other key uses", key);
    }
  }
  if (config.limits.lean()) {
    for (const auto& [key, on] :
         {std::pair<std::string, bool>{"limits.partition_metrics", config.limits.partition_metrics},
          {"limits.group_partition_metrics", config.limits.group_partition_metrics}}) {
      if (on && config.origins.count(key)) {
        refuse(key, "true with limits.profile lean", "false, or limits.profile full", key);
      }
    }
    // The kafka_exporter flags promise its families, per-partition ones included.
    if (auto flags = config.origins.find("serve.single_port");
        flags != config.origins.end() && flags->second.find("kafka_exporter flags") != std::string::npos) {
      refuse("limits.profile", "lean with kafka_exporter's flags",
             "full (lean leaves out the per-partition families kafka_exporter serves)", "limits.profile");
    }
  }
  if (serve.single_port && serve.broker_id) {
    refuse("serve.single_port", "true with serve.broker_id set",
           "single_port or sidecar mode (serve.broker_id), not both", "serve.single_port");
  }
  const std::string& path = serve.metrics_path;
  if (path.empty() || path.front() != '/' || path == "/" || path == "/healthz" || path == "/ready") {
    refuse("serve.metrics_path", "'" + serve.metrics_path + "'",
           "a path starting with / other than /, /healthz and /ready", "serve.metrics_path");
  }
  // With one port there are no broker ports to collide with.
  if (!serve.single_port && serve.broker_ports.empty() && serve.cluster_port >= serve.broker_port_base &&
      serve.cluster_port < serve.broker_port_base + 64) {
    refuse("serve.cluster_port",
           std::to_string(serve.cluster_port) +
               ", which collides with the broker ports from serve.broker_port_base " +
               std::to_string(serve.broker_port_base),
           "a port outside broker_port_base..broker_port_base+63", "serve.cluster_port");
  }
  if (serve.tls.cert_file.empty() != serve.tls.key_file.empty()) {
    refuse("serve.tls", "only one of cert_file and key_file", "both or neither", "serve.tls.cert_file");
  }
  if (!serve.web_config_file.empty() &&
      (!serve.tls.cert_file.empty() || !serve.basic_auth.username.empty())) {
    refuse("serve.web_config_file",
           "it together with " + std::string(!serve.tls.cert_file.empty() ? "serve.tls" : "serve.basic_auth"),
           "either serve.web_config_file or serve.tls/serve.basic_auth, not both", "serve.web_config_file");
  }
  if (config.kafka.tls.cert_file.empty() != config.kafka.tls.key_file.empty()) {
    refuse("kafka.tls", "only one of cert_file and key_file", "both or neither", "kafka.tls.cert_file");
  }
  const auto& sasl = config.kafka.sasl;
  if (sasl.kerberos.service_name.empty()) {
    refuse("kafka.sasl.kerberos.service_name", "nothing",
           "a Kerberos service name (the brokers' sasl.kerberos.service.name, usually kafka)",
           "kafka.sasl.kerberos.service_name");
  }
  if (sasl.mechanism == "GSSAPI") {
    if (sasl.kerberos.principal.empty()) {
      refuse("kafka.sasl.kerberos.principal", "nothing",
             "the exporter's Kerberos principal when kafka.sasl.mechanism is GSSAPI", "kafka.sasl.mechanism");
    }
    if (sasl.kerberos.keytab.empty()) {
      refuse("kafka.sasl.kerberos.keytab", "nothing",
             "a keytab with the key of " + sasl.kerberos.principal + " when kafka.sasl.mechanism is GSSAPI",
             "kafka.sasl.mechanism");
    }
  } else if (sasl.mechanism == "OAUTHBEARER") {
    const auto& oauth = sasl.oauthbearer;
    const std::string needed = " when kafka.sasl.mechanism is OAUTHBEARER";
    if (oauth.token_endpoint_url.empty()) {
      refuse("kafka.sasl.oauthbearer.token_endpoint_url", "nothing", "the token endpoint's URL" + needed,
             "kafka.sasl.mechanism");
    }
    if (!oauth.token_endpoint_url.starts_with("http://") &&
        !oauth.token_endpoint_url.starts_with("https://")) {
      refuse("kafka.sasl.oauthbearer.token_endpoint_url", "'" + oauth.token_endpoint_url + "'",
             "an http:// or https:// URL", "kafka.sasl.oauthbearer.token_endpoint_url");
    }
    if (oauth.client_id.empty()) {
      refuse("kafka.sasl.oauthbearer.client_id", "nothing", "the exporter's client id" + needed,
             "kafka.sasl.mechanism");
    }
    if (oauth.client_secret.empty() && oauth.private_key_file.empty()) {
      refuse("kafka.sasl.oauthbearer.client_secret", "nothing",
             "the client secret (or kafka.sasl.oauthbearer.client_secret_file, or "
             "kafka.sasl.oauthbearer.private_key_file)" +
                 needed,
             "kafka.sasl.mechanism");
    }
    if (!oauth.client_secret.empty() && !oauth.private_key_file.empty()) {
      refuse("kafka.sasl.oauthbearer.private_key_file", "it together with a client secret",
             "one way for the client to authenticate", "kafka.sasl.oauthbearer.private_key_file");
    }
  } else if (config.kafka.sasl.mechanism != "none" && config.kafka.sasl.username.empty()) {
    refuse("kafka.sasl.username", "nothing",
           "a user name when kafka.sasl.mechanism is " + config.kafka.sasl.mechanism, "kafka.sasl.username");
  }
  if (config.collect.timeout >= config.collect.interval) {
    refuse("collect.timeout", ms(config.collect.timeout),
           "less than collect.interval (" + ms(config.collect.interval) + ")", "collect.timeout");
  }
  // A hung broker costs one request timeout; the cycle needs room for that and for the
  // requests that follow it (FindCoordinator, group details, offsets) on the others.
  if (config.collect.timeout < 2 * config.kafka.request_timeout) {
    refuse("kafka.request_timeout", ms(config.kafka.request_timeout),
           "at most half of collect.timeout (" + ms(config.collect.timeout) + ")", "kafka.request_timeout");
  }
  if (!config.connect.jolokia_urls.empty() && config.connect.rules_file.empty()) {
    refuse("connect.rules_file", "nothing",
           "a rules file for the workers' beans when connect.jolokia_urls is set "
           "(exporter/kafka-connect-rules.yml)",
           "connect.rules_file");
  }
  if (config.jmx.enabled && config.jmx.brokers.empty()) {
    refuse("jmx.brokers", "nothing", "a mapping of broker id to Jolokia URL when jmx.enabled is true",
           "jmx.brokers");
  }
}

}  // namespace kse::config
