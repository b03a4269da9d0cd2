#include "config/kafka_exporter_flags.h"

#include <algorithm>
#include <cctype>
#include <functional>
#include <map>
#include <optional>

#include "schema.h"

namespace kse::config {
namespace {

// What the flags said, gathered before anything becomes a key, because some flags
// only mean something together (sasl.enabled with sasl.mechanism).
struct Given {
  std::vector<std::string> servers;
  std::optional<bool> sasl_enabled;
  std::string sasl_mechanism = "PLAIN";
  std::optional<bool> server_tls_enabled;
  std::optional<std::string> server_tls_cert_file;
  std::optional<std::string> server_tls_key_file;
  std::vector<std::pair<std::string, std::string>> assignments;  // in the order given
  std::vector<std::string> notes;
};

[[noreturn]] void refuse(const std::string& flag, const std::string& why) {
  throw ConfigError("flag --" + flag + ": " + why);
}

std::string lower(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return text;
}

void assign(Given& given, const std::string& flag, const std::string& key, const std::string& value) {
  given.assignments.emplace_back(key + "=" + value, "flag --" + flag);
}

void ignore(Given& given, const std::string& flag, const std::string& why) {
  given.notes.push_back("kafka_exporter flag --" + flag + " ignored: " + why);
}

// Go's regexp finds a match anywhere in the name; our filters match the whole name.
std::string unanchored(const std::string& pattern) { return ".*(?:" + pattern + ").*"; }

int64_t integer(const std::string& flag, const std::string& value, int64_t min) {
  auto number = schema::parse_integer(value);
  if (!number || *number < min) {
    refuse(flag, "found '" + value + "', allowed an integer of at least " + std::to_string(min));
  }
  return *number;
}

// A Go duration such as 30s, 1m30s or 500ms.
void check_go_duration(const std::string& flag, const std::string& value) {
  static const std::vector<std::string> units = {"ns", "us", "ms", "s", "m", "h"};
  size_t at = 0;
  bool any = false;
  while (at < value.size()) {
    const size_t start = at;
    const auto is_number = [&value](size_t i) {
      return std::isdigit(static_cast<unsigned char>(value[i])) || value[i] == '.';
    };
    while (at < value.size() && is_number(at)) ++at;
    std::string unit;
    for (const auto& candidate : units) {
      if (value.compare(at, candidate.size(), candidate) == 0 && candidate.size() > unit.size()) {
        unit = candidate;
      }
    }
    if (at == start || unit.empty()) {
      refuse(flag, "found '" + value + "', allowed a duration such as 30s, 1m30s or 500ms");
    }
    at += unit.size();
    any = true;
  }
  if (!any) refuse(flag, "found nothing, allowed a duration such as 30s, 1m30s or 500ms");
}

void listen_address(Given& given, const std::string& flag, const std::string& value) {
  const auto colon = value.rfind(':');
  if (colon == std::string::npos) {
    refuse(flag, "found '" + value + "', allowed [host]:port such as :9308 or 127.0.0.1:9308");
  }
  std::string host = value.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  const std::string port = value.substr(colon + 1);
  auto number = schema::parse_integer(port);
  if (!number || *number < 1 || *number > 65535) {
    refuse(flag, "found '" + value + "', allowed [host]:port with port 1..65535");
  }
  assign(given, flag, "serve.cluster_port", port);
  assign(given, flag, "serve.listen_address", host.empty() ? "0.0.0.0" : host);
}

void sasl_mechanism(Given& given, const std::string& flag, const std::string& value) {
  static const std::map<std::string, std::string> supported = {
      {"plain", "PLAIN"}, {"scram-sha256", "SCRAM-SHA-256"}, {"scram-sha512", "SCRAM-SHA-512"}};
  const std::string name = lower(value);
  if (auto it = supported.find(name); it != supported.end()) {
    given.sasl_mechanism = it->second;
    return;
  }
  if (name == "gssapi" || name == "awsiam" || name == "oauthbearer") {
    refuse(flag, "'" + value + "' is not supported yet; supported: plain, scram-sha256, scram-sha512");
  }
  refuse(flag, "found '" + value + "', allowed plain, scram-sha256 or scram-sha512");
}

using ValueHandler = std::function<void(Given&, const std::string& flag, const std::string&)>;
using BoolHandler = std::function<void(Given&, const std::string& flag, bool)>;

ValueHandler to_key(const std::string& key) {
  return [key](Given& given, const std::string& flag, const std::string& value) {
    assign(given, flag, key, value);
  };
}

ValueHandler ignored_value(const std::string& why) {
  return [why](Given& given, const std::string& flag, const std::string&) { ignore(given, flag, why); };
}

BoolHandler ignored_bool(const std::string& why) {
  return [why](Given& given, const std::string& flag, bool) { ignore(given, flag, why); };
}

// Refuses the value `refused` with `why`; the other value is what the exporter does anyway.
BoolHandler only(bool accepted, const std::string& why) {
  return [accepted, why](Given&, const std::string& flag, bool value) {
    if (value != accepted) refuse(flag, why);
  };
}

const std::string kOtherMechanisms =
    "only used by the gssapi, awsiam and oauthbearer mechanisms, which are not supported yet";

const std::map<std::string, ValueHandler>& value_flags() {
  static const std::map<std::string, ValueHandler> table = {
      {"kafka.server",
       [](Given& given, const std::string&, const std::string& value) {
         size_t start = 0;
         while (start <= value.size()) {
           const size_t comma = std::min(value.find(',', start), value.size());
           if (comma > start) given.servers.push_back(value.substr(start, comma - start));
           start = comma + 1;
         }
       }},
      {"kafka.version",
       ignored_value("the exporter asks each broker which request versions it speaks (ApiVersions)")},
      {"kafka.labels",
       [](Given&, const std::string& flag, const std::string& value) {
         if (!value.empty()) {
           refuse(flag,
                  "not supported yet; add these labels in Prometheus' scrape configuration "
                  "(static_configs labels or relabel_configs)");
         }
       }},
      {"sasl.username", to_key("kafka.sasl.username")},
      {"sasl.password", to_key("kafka.sasl.password")},
      {"sasl.mechanism", sasl_mechanism},
      {"sasl.aws-region", ignored_value(kOtherMechanisms)},
      {"sasl.oauthbearer-token-url", ignored_value(kOtherMechanisms)},
      {"sasl.oauthbearer-token-file", ignored_value(kOtherMechanisms)},
      {"sasl.oauthbearer-scopes", ignored_value(kOtherMechanisms)},
      {"sasl.service-name", ignored_value(kOtherMechanisms)},
      {"sasl.kerberos-config-path", ignored_value(kOtherMechanisms)},
      {"sasl.realm", ignored_value(kOtherMechanisms)},
      {"sasl.keytab-path", ignored_value(kOtherMechanisms)},
      {"sasl.kerberos-auth-type", ignored_value(kOtherMechanisms)},
      {"tls.ca-file", to_key("kafka.tls.ca_file")},
      {"tls.cert-file", to_key("kafka.tls.cert_file")},
      {"tls.key-file", to_key("kafka.tls.key_file")},
      {"tls.server-name",
       [](Given&, const std::string& flag, const std::string& value) {
         if (!value.empty()) {
           refuse(flag,
                  "not supported yet: each broker's certificate is checked against that "
                  "broker's advertised host name (--tls.insecure-skip-tls-verify skips "
                  "the name check)");
         }
       }},
      {"server.tls.ca-file",
       ignored_value("only used by --server.tls.mutual-auth-enabled, which is not supported yet")},
      {"server.tls.cert-file", [](Given& given, const std::string&,
                                  const std::string& value) { given.server_tls_cert_file = value; }},
      {"server.tls.key-file",
       [](Given& given, const std::string&, const std::string& value) { given.server_tls_key_file = value; }},
      {"topic.filter",
       [](Given& given, const std::string& flag, const std::string& value) {
         assign(given, flag, "filters.topic_include", unanchored(value));
       }},
      {"topic.exclude",
       [](Given& given, const std::string& flag, const std::string& value) {
         assign(given, flag, "filters.topic_exclude", unanchored(value));
       }},
      {"group.filter",
       [](Given& given, const std::string& flag, const std::string& value) {
         assign(given, flag, "filters.group_include", unanchored(value));
       }},
      {"group.exclude",
       [](Given& given, const std::string& flag, const std::string& value) {
         assign(given, flag, "filters.group_exclude", unanchored(value));
       }},
      {"web.listen-address", listen_address},
      {"web.telemetry-path", to_key("serve.metrics_path")},
      {"log.level", to_key("log.level")},
      {"log.format", ignored_value("the exporter logs plain text lines")},
      {"zookeeper.server", ignored_value("only used by --use.consumelag.zookeeper, which is not supported")},
      {"refresh.metadata",
       [](Given& given, const std::string& flag, const std::string& value) {
         check_go_duration(flag, value);
         ignore(given, flag,
                "the exporter reads the metadata every collection cycle "
                "(collect.interval)");
       }},
      {"topic.workers",
       [](Given& given, const std::string& flag, const std::string& value) {
         integer(flag, value, 1);
         ignore(given, flag,
                "the exporter sends its requests to all brokers at once, one "
                "connection each");
       }},
      {"verbosity",
       [](Given& given, const std::string& flag, const std::string& value) {
         integer(flag, value, 0);
         ignore(given, flag, "--log.level sets what is logged");
       }},
  };
  return table;
}

const std::map<std::string, BoolHandler>& bool_flags() {
  static const std::map<std::string, BoolHandler> table = {
      {"sasl.enabled", [](Given& given, const std::string&, bool value) { given.sasl_enabled = value; }},
      {"sasl.handshake", only(true,
                              "false is not supported: the exporter always sends SaslHandshake, as Kafka "
                              "brokers require (a non-Kafka SASL proxy is not supported)")},
      {"tls.enabled", [](Given& given, const std::string& flag,
                         bool value) { assign(given, flag, "kafka.tls.enabled", value ? "true" : "false"); }},
      {"tls.insecure-skip-tls-verify",
       [](Given& given, const std::string& flag, bool value) {
         assign(given, flag, "kafka.tls.verify_hostname", value ? "false" : "true");
         if (value) {
           given.notes.push_back(
               "kafka_exporter flag --" + flag +
               ": the broker's name is not checked, but its certificate chain still is, against "
               "--tls.ca-file or the system store");
         }
       }},
      {"server.tls.enabled",
       [](Given& given, const std::string&, bool value) { given.server_tls_enabled = value; }},
      {"server.tls.mutual-auth-enabled",
       only(false,
            "not supported yet: the exporter's HTTPS does not ask for client "
            "certificates; use serve.basic_auth or a proxy")},
      {"log.enable-sarama", ignored_bool("the exporter has no Sarama client; --log.level debug "
                                         "logs its Kafka requests")},
      {"use.consumelag.zookeeper",
       only(false,
            "not supported: ZooKeeper-stored consumer offsets are not read (Kafka 4 has "
            "no ZooKeeper); lag comes from the offsets committed to Kafka")},
      {"offset.show-all", only(true,
                               "false is not supported: every consumer group with committed offsets is "
                               "reported; choose groups with --group.filter and --group.exclude")},
      {"concurrent.enable",
       ignored_bool("every scrape is served from the last collection cycle, never from a "
                    "request to Kafka")},
  };
  return table;
}

std::optional<bool> parse_bool(const std::string& text) {
  const std::string value = lower(text);
  if (value == "true" || value == "1") return true;
  if (value == "false" || value == "0") return false;
  return std::nullopt;
}

}  // namespace

KafkaExporterFlags extract_kafka_exporter_flags(const std::vector<std::string>& arguments) {
  KafkaExporterFlags result;
  Given given;
  for (size_t i = 0; i < arguments.size(); ++i) {
    const std::string& argument = arguments[i];
    if (argument == "--") {
      result.remaining.insert(result.remaining.end(), arguments.begin() + i, arguments.end());
      break;
    }
    if (argument.rfind("--", 0) != 0) {
      result.remaining.push_back(argument);
      continue;
    }
    const auto equals = argument.find('=');
    const std::string name = argument.substr(2, equals == std::string::npos ? equals : equals - 2);
    const std::optional<std::string> inline_value =
        equals == std::string::npos ? std::nullopt : std::optional(argument.substr(equals + 1));

    if (auto it = value_flags().find(name); it != value_flags().end()) {
      std::string value;
      if (inline_value) {
        value = *inline_value;
      } else if (i + 1 < arguments.size()) {
        value = arguments[++i];
      } else {
        refuse(name, "needs a value (--" + name + "=VALUE or --" + name + " VALUE)");
      }
      result.seen.push_back(name);
      it->second(given, name, value);
      continue;
    }
    const bool negated = name.rfind("no-", 0) == 0;
    const std::string bool_name = negated ? name.substr(3) : name;
    if (auto it = bool_flags().find(bool_name); it != bool_flags().end()) {
      bool value = !negated;
      if (inline_value) {
        auto parsed = parse_bool(*inline_value);
        if (!parsed || negated) {
          refuse(name, "found '" + *inline_value + "', allowed --" + bool_name + ", --no-" + bool_name +
                           " or --" + bool_name + "=true|false");
        }
        value = *parsed;
      }
      result.seen.push_back(bool_name);
      it->second(given, bool_name, value);
      continue;
    }
    result.remaining.push_back(argument);
  }
  if (result.seen.empty()) return result;

  // kafka_exporter serves everything on one port and writes nothing to the cluster.
  result.assignments.emplace_back("serve.single_port=true", "kafka_exporter flags");
  result.assignments.emplace_back("probe.enabled=false", "kafka_exporter flags");
  if (!given.servers.empty()) {
    std::string joined;
    for (const auto& server : given.servers) joined += (joined.empty() ? "" : ",") + server;
    result.assignments.emplace_back("kafka.bootstrap_servers=" + joined, "flag --kafka.server");
  }
  if (given.sasl_enabled) {
    result.assignments.emplace_back(
        "kafka.sasl.mechanism=" + (*given.sasl_enabled ? given.sasl_mechanism : "none"),
        "flag --sasl.enabled");
  }
  if (given.server_tls_enabled.value_or(false)) {
    if (!given.server_tls_cert_file || !given.server_tls_key_file) {
      refuse("server.tls.enabled", "needs --server.tls.cert-file and --server.tls.key-file");
    }
    result.assignments.emplace_back("serve.tls.cert_file=" + *given.server_tls_cert_file,
                                    "flag --server.tls.cert-file");
    result.assignments.emplace_back("serve.tls.key_file=" + *given.server_tls_key_file,
                                    "flag --server.tls.key-file");
  } else if (given.server_tls_cert_file || given.server_tls_key_file) {
    ignore(given, "server.tls.cert-file",
           "HTTPS is only served with --server.tls.enabled, as kafka_exporter does");
  }
  result.assignments.insert(result.assignments.end(), given.assignments.begin(), given.assignments.end());
  result.notes = std::move(given.notes);
  return result;
}

void apply_kafka_exporter_flags(Config& config, const KafkaExporterFlags& flags) {
  for (const auto& [assignment, origin] : flags.assignments) {
    const auto equals = assignment.find('=');
    const std::string key = assignment.substr(0, equals);
    const schema::Key* schema_key = schema::find_key(key);
    if (schema_key == nullptr) throw ConfigError(origin + ": unknown key '" + key + "'");
    // Taken as a plain string: a password or a pattern is never read as YAML.
    schema::apply(*schema_key, config, YAML::Node(assignment.substr(equals + 1)),
                  schema::Origin{origin, origin});
    config.origins[key] = origin;
  }
}

}  // namespace kse::config
