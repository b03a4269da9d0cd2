#include "schema.h"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <openssl/err.h>
#include <openssl/pem.h>
#include <pcre2.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstdio>
#include <cstring>
#include <memory>
#include <sstream>

namespace kse::config::schema {
namespace {

std::string expect_scalar(const YAML::Node& node, const Origin& origin, const std::string& key,
                          const std::string& allowed) {
  if (!node.IsScalar()) {
    fail(origin, key, describe(node), allowed);
  }
  return node.Scalar();
}

int64_t read_integer(const YAML::Node& node, const Origin& origin, const std::string& key, int64_t min,
                     int64_t max) {
  const std::string allowed = "an integer " + std::to_string(min) + ".." + std::to_string(max);
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

Duration read_duration(const YAML::Node& node, const Origin& origin, const std::string& key, Duration min) {
  const std::string allowed =
      "a duration such as 500ms, 15s, 2m or 1h, at least " + std::to_string(min.count()) + "ms";
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
  pcre2_code* code = pcre2_compile(reinterpret_cast<PCRE2_SPTR>(text.c_str()), text.size(), 0, &error_code,
                                   &error_offset, nullptr);
  if (code == nullptr) {
    PCRE2_UCHAR message[256];
    pcre2_get_error_message(error_code, message, sizeof message);
    fail(origin, key,
         "'" + text + "' (" + reinterpret_cast<const char*>(message) + " at offset " +
             std::to_string(error_offset) + ")",
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

std::string read_secret_file_path(const YAML::Node& node, const Origin& origin, const std::string& key) {
  const std::string path = read_file_path(node, origin, key);
  if (!path.empty()) refuse_if_others_can_read(origin, key, path);
  return path;
}

enum class Pem { kCertificates, kPrivateKey };

// A readable file that also holds what it is named for, so a wrong file is refused
// here, before any port opens, and not by the first TLS handshake.
std::string read_pem_path(const YAML::Node& node, const Origin& origin, const std::string& key, Pem kind) {
  const std::string path = read_file_path(node, origin, key);
  if (path.empty()) return path;
  if (kind == Pem::kPrivateKey) refuse_if_others_can_read(origin, key, path);
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
    fail(origin, key,
         "'" + path + "', which holds no PEM " +
             std::string(kind == Pem::kCertificates ? "certificate" : "private key without a pass phrase"),
         kind == Pem::kCertificates ? "a PEM file of one or more certificates" : "a PEM private key file");
  }
  return path;
}

std::vector<std::string> read_string_list(const YAML::Node& node, const Origin& origin,
                                          const std::string& key, size_t min_entries) {
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
  if (values.size() < min_entries) {
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

// Broker id -> value, each entry's errors naming its own line and key (serve.broker_ports.2).
template <typename Value, typename ReadValue>
std::map<int32_t, Value> read_broker_map(Config& config, const YAML::Node& node, const Origin& origin,
                                         const std::string& key, const std::string& allowed,
                                         ReadValue read_value) {
  if (!node.IsMap()) fail(origin, key, describe(node), allowed);
  std::map<int32_t, Value> values;
  for (const auto& entry : node) {
    const Origin at = origin_of(origin.source, entry.first);
    const int32_t id = read_broker_id_key(entry.first, at, key);
    const std::string entry_key = key + "." + std::to_string(id);
    values[id] = read_value(entry.second, at, entry_key);
    config.origins[entry_key] = at.where;
  }
  return values;
}

std::string read_url(const YAML::Node& node, const Origin& origin, const std::string& key) {
  const std::string allowed = "an http:// or https:// URL";
  std::string url = expect_scalar(node, origin, key, allowed);
  if (url.rfind("http://", 0) != 0 && url.rfind("https://", 0) != 0) {
    fail(origin, key, "'" + url + "'", allowed);
  }
  return url;
}

Type string() { return {Kind::kString}; }
Type secret() { return {Kind::kSecret}; }
Type secret_file() { return {Kind::kSecretFile}; }
Type private_file() { return {Kind::kPrivateFile}; }
Type name(std::string what) { return {.kind = Kind::kName, .what = std::move(what)}; }
Type boolean() { return {Kind::kBool}; }
Type integer(int64_t min, int64_t max) { return {Kind::kInteger, min, max}; }
Type optional_integer(int64_t min, int64_t max) { return {Kind::kOptionalInteger, min, max}; }
Type duration(Duration at_least) { return {Kind::kDuration, at_least.count()}; }
Type choice(std::vector<std::string> choices) {
  return {.kind = Kind::kChoice, .choices = std::move(choices)};
}
Type regex() { return {Kind::kRegex}; }
Type readable_file() { return {Kind::kReadableFile}; }
Type pem_certificates() { return {Kind::kPemCertificates}; }
Type pem_private_key() { return {Kind::kPemPrivateKey}; }
Type host_port_list(int64_t min_entries = 1) { return {Kind::kHostPortList, min_entries}; }
Type broker_ports() { return {Kind::kBrokerPorts}; }
Type broker_urls() { return {Kind::kBrokerUrls}; }
Type url() { return {Kind::kUrl}; }
Type url_list() { return {Kind::kUrlList}; }

}  // namespace

// A key's path and the Config member it sets are written once, so the two cannot drift.
#define KSE_KEY(path) #path, [](Config& c) -> Field { return &c.path; }

const std::vector<Key>& keys() {
  using std::chrono::milliseconds;
  static const std::vector<Key> table = {
      {KSE_KEY(kafka.bootstrap_servers), host_port_list(),
       "brokers to bootstrap from (a list, or `a:1,b:2` in a flag or the environment)"},
      {KSE_KEY(kafka.client_id), string(), "client id sent with every request"},
      {KSE_KEY(kafka.request_timeout), duration(milliseconds(100)),
       "timeout of one Kafka request; at most half of `collect.timeout`, so a hung broker costs "
       "one timeout and the cycle still reads the others"},
      {KSE_KEY(kafka.connect_timeout), duration(milliseconds(100)),
       "timeout of a TCP / TLS connect and the SASL handshake"},
      {KSE_KEY(kafka.tls.enabled), boolean(), "TLS to the brokers"},
      {KSE_KEY(kafka.tls.ca_file), pem_certificates(),
       "PEM file of the CA that signed the brokers' certificates (system store when empty)"},
      {KSE_KEY(kafka.tls.cert_file), pem_certificates(),
       "client certificate for mutual TLS; needs `kafka.tls.key_file`"},
      {KSE_KEY(kafka.tls.key_file), pem_private_key(),
       "client key (without a pass phrase) for mutual TLS; needs `kafka.tls.cert_file`"},
      {KSE_KEY(kafka.tls.verify_hostname), boolean(),
       "check the broker's name against its certificate; `false` does what "
       "`ssl.endpoint.identification.algorithm=` does in Kafka clients"},
      {KSE_KEY(kafka.sasl.mechanism),
       choice({"none", "PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512", "GSSAPI", "OAUTHBEARER"}),
       "SASL mechanism; `GSSAPI` (Kerberos) needs `kafka.sasl.kerberos.principal` and `.keytab`, "
       "`OAUTHBEARER` the `kafka.sasl.oauthbearer` keys, the others `kafka.sasl.username`"},
      {KSE_KEY(kafka.sasl.username), string(), "SASL user name"},
      {KSE_KEY(kafka.sasl.password), secret(),
       "SASL password; prefer `kafka.sasl.password_file` or `KSE_KAFKA_SASL_PASSWORD` (see "
       "\"Secrets\")"},
      {KSE_KEY(kafka.sasl.password_file), secret_file(),
       "file holding the SASL password (one trailing newline removed); not with "
       "`kafka.sasl.password`"},
      {KSE_KEY(kafka.sasl.kerberos.service_name), name("a Kerberos service name"),
       "GSSAPI: the brokers' principal is `<service_name>/<broker host>@REALM`, the host as in "
       "`kafka.bootstrap_servers` and the brokers' advertised listeners (Kafka's "
       "`sasl.kerberos.service.name`)"},
      {KSE_KEY(kafka.sasl.kerberos.principal), string(),
       "GSSAPI: the exporter's principal, e.g. `kse-exporter@EXAMPLE.COM`"},
      {KSE_KEY(kafka.sasl.kerberos.keytab), private_file(),
       "GSSAPI: keytab holding the key of `kafka.sasl.kerberos.principal`; the exporter logs in "
       "from it into a private in-memory ticket cache (the probe: a cache file of its own, `KRB5CCNAME` "
       "set at start), never the user's"},
      {KSE_KEY(kafka.sasl.kerberos.config), readable_file(),
       "GSSAPI: the krb5.conf naming the realm's KDC (else `KRB5_CONFIG`, else `/etc/krb5.conf`)"},
      {KSE_KEY(kafka.sasl.oauthbearer.token_endpoint_url), string(),
       "OAUTHBEARER: the OpenID Connect token endpoint the exporter and its probe get tokens from "
       "(client credentials grant, KIP-768; Kafka's `sasl.oauthbearer.token.endpoint.url`)"},
      {KSE_KEY(kafka.sasl.oauthbearer.client_id), string(),
       "OAUTHBEARER: the exporter's client id at the token endpoint; the broker's principal is the "
       "token's `sub` claim"},
      {KSE_KEY(kafka.sasl.oauthbearer.client_secret), secret(),
       "OAUTHBEARER: the client secret; prefer `kafka.sasl.oauthbearer.client_secret_file` or "
       "`KSE_KAFKA_SASL_OAUTHBEARER_CLIENT_SECRET`"},
      {KSE_KEY(kafka.sasl.oauthbearer.client_secret_file), secret_file(),
       "file holding the client secret (one trailing newline removed); not with "
       "`kafka.sasl.oauthbearer.client_secret`"},
      {KSE_KEY(kafka.sasl.oauthbearer.private_key_file), pem_private_key(),
       "OAUTHBEARER: instead of a secret, the client's RSA key (PEM, no pass phrase): the exporter "
       "authenticates with a JWT it signs (private_key_jwt, RFC 7523), read again at each token "
       "request; not with a client secret"},
      {KSE_KEY(kafka.sasl.oauthbearer.private_key_id), string(),
       "OAUTHBEARER: the `kid` the signed JWT names, when the identity provider holds several keys of "
       "the client"},
      {KSE_KEY(kafka.sasl.oauthbearer.scope), string(),
       "OAUTHBEARER: the scope asked for, when the identity provider wants one"},
      {KSE_KEY(kafka.sasl.oauthbearer.ca_file), pem_certificates(),
       "OAUTHBEARER: CA of an https token endpoint (system store when empty)"},
      {KSE_KEY(collect.interval), duration(milliseconds(1000)), "time between collection cycles"},
      {KSE_KEY(collect.timeout), duration(milliseconds(100)),
       "a cycle gives up on what has not answered by then; below `collect.interval`"},
      {KSE_KEY(collect.lag_history_points), integer(2, 10000),
       "log-end points kept per partition for lag in seconds (when a record's timestamp cannot "
       "be read)"},
      {KSE_KEY(collect.lag_record_reads_per_broker), integer(0, 100000),
       "committed offsets whose record's timestamp is read per broker and cycle, for lag in "
       "seconds (4 KiB each, once per committed offset); beyond it, and at 0, the age is estimated"},
      {KSE_KEY(collect.lag_status_window), integer(3, 1000),
       "cycles over which a group's status (`kafka_consumergroup_status`) is judged"},
      {KSE_KEY(serve.listen_address), name("an IP address"), "address every HTTP port binds to"},
      {KSE_KEY(serve.cluster_port), integer(1, 65535),
       "port of cluster-wide series and, outside sidecar mode, the exporter's own; outside "
       "`serve.broker_port_base`..+63 unless `serve.broker_ports` is set"},
      {KSE_KEY(serve.broker_port_base), integer(1, 65535),
       "a broker without an entry in `serve.broker_ports` is served on base + id - 1 (broker 1 "
       "on 7071, broker 0 on 7070), whatever the order brokers appear in; in sidecar mode on the "
       "base itself"},
      {KSE_KEY(serve.broker_ports), broker_ports(),
       "explicit map broker id → port, each distinct from the others and the cluster port "
       "(brokers not listed use the base)"},
      {KSE_KEY(serve.http_threads), integer(1, 256),
       "threads serving HTTP on each port; an open keep-alive connection (a scraper between "
       "scrapes) holds one"},
      {KSE_KEY(serve.broker_id), optional_integer(0, INT32_MAX),
       "sidecar mode: serve only this broker's port, plus the cluster port when it is the lowest "
       "live broker id"},
      {KSE_KEY(serve.single_port), boolean(),
       "serve every family on `serve.cluster_port` and open no broker ports (kafka_exporter's "
       "layout; any kafka_exporter flag turns it on); not with `serve.broker_id`"},
      {KSE_KEY(serve.metrics_path), name("a path starting with /"),
       "a second path the metrics page is served on, besides `/metrics` (kafka_exporter's "
       "`--web.telemetry-path`)"},
      {KSE_KEY(serve.tls.cert_file), pem_certificates(),
       "serve HTTPS instead of HTTP with this certificate; needs `serve.tls.key_file`"},
      {KSE_KEY(serve.tls.key_file), pem_private_key(),
       "key (without a pass phrase) of `serve.tls.cert_file`"},
      {KSE_KEY(serve.basic_auth.username), string(), "require HTTP basic auth with this user on every port"},
      {KSE_KEY(serve.basic_auth.password), secret(),
       "password of `serve.basic_auth.username`; prefer `serve.basic_auth.password_file`"},
      {KSE_KEY(serve.basic_auth.password_file), secret_file(),
       "file holding `serve.basic_auth.password`; not with it"},
      {KSE_KEY(serve.web_config_file), readable_file(),
       "TLS, client certificates and bcrypt basic auth in the Prometheus exporter-toolkit "
       "format (flag `--web.config.file`); recommended over `serve.tls` and "
       "`serve.basic_auth`, which it excludes"},
      {KSE_KEY(filters.topic_include), regex(), "topics to report"},
      {KSE_KEY(filters.topic_exclude), regex(), "topics not to report, among those included"},
      {KSE_KEY(filters.group_include), regex(), "consumer groups to report"},
      {KSE_KEY(filters.group_exclude), regex(), "consumer groups not to report, among those included"},
      {KSE_KEY(limits.max_series), integer(0, INT64_MAX),
       "cap on the Kafka series of a cycle, 0 = none; not applied in sidecar mode (see "
       "docs/metrics.md, \"Series limit\")"},
      {KSE_KEY(limits.profile), choice({"full", "lean"}),
       "`full`: every family; `lean`: topic- and group-level families only (as "
       "`limits.partition_metrics` and `limits.group_partition_metrics` off): 9,000 instead of 175,000 "
       "series at 10,000 partitions (a twentieth), without kafka_exporter's per-partition families "
       "(bench/README.md, \"Series per profile\")"},
      {KSE_KEY(limits.partition_metrics), boolean(), "per-partition topic families (off: topic-level only)"},
      {KSE_KEY(limits.group_partition_metrics), boolean(),
       "per-partition consumer group families (off: sums only)"},
      {KSE_KEY(probe.enabled), boolean(), "run the end-to-end probe (docs/metrics.md, \"End-to-end probe\")"},
      {KSE_KEY(probe.topic), name("a topic name"),
       "the probe's topic, created and repaired by the exporter; the only topic it writes to"},
      {KSE_KEY(probe.group), name("a group id"),
       "the probe consumer's group (sidecars append `-<broker id>`)"},
      {KSE_KEY(probe.interval), duration(milliseconds(100)), "one message per probe partition per interval"},
      {KSE_KEY(probe.replication_factor), integer(1, 32),
       "replicas of each probe partition (at most the number of brokers)"},
      {KSE_KEY(probe.retention), duration(milliseconds(60000)), "`retention.ms` of the probe topic"},
      {KSE_KEY(jmx.enabled), boolean(), "read broker internals through Jolokia; needs `jmx.brokers`"},
      {KSE_KEY(jmx.rules_file), readable_file(),
       "jmx_exporter-format rules (`exporter/kafka-broker-rules.yml` is ours)"},
      {KSE_KEY(jmx.brokers), broker_urls(),
       "map broker id → Jolokia URL, e.g. `1: http://127.0.0.1:8778/jolokia/`; with "
       "`--broker-id N` only broker N's entry is read"},
      {KSE_KEY(jmx.username), string(), "Jolokia basic auth user"},
      {KSE_KEY(jmx.password), secret(), "Jolokia basic auth password; prefer `jmx.password_file`"},
      {KSE_KEY(jmx.password_file), secret_file(), "file holding `jmx.password`; not with it"},
      {KSE_KEY(jmx.ca_file), pem_certificates(), "CA for https Jolokia URLs"},
      {KSE_KEY(jmx.timeout), duration(milliseconds(100)), "timeout of one Jolokia read"},
      {KSE_KEY(zookeeper.servers), host_port_list(0),
       "ZooKeeper mode: the ensemble's nodes (client port), each asked for `mntr` every cycle "
       "(`4lw.commands.whitelist` must allow it); empty: no ensemble series"},
      {KSE_KEY(zookeeper.timeout), duration(milliseconds(100)),
       "timeout of one node's `mntr` answer (at most the cycle's time left)"},
      {KSE_KEY(connect.urls), url_list(),
       "Kafka Connect: the REST API of the group's workers (any answers for the group), tried in "
       "order, e.g. `[http://127.0.0.1:8083]`; empty: Connect is not read (docs/platform.md)"},
      {KSE_KEY(connect.username), string(), "Connect REST basic auth user"},
      {KSE_KEY(connect.password), secret(),
       "Connect REST basic auth password; prefer `connect.password_file`"},
      {KSE_KEY(connect.password_file), secret_file(), "file holding `connect.password`; not with it"},
      {KSE_KEY(connect.ca_file), pem_certificates(), "CA for https Connect URLs"},
      {KSE_KEY(connect.timeout), duration(milliseconds(100)),
       "timeout of one Connect REST call and of one Kafka request to a mirror's source cluster"},
      {KSE_KEY(connect.jolokia_urls), url_list(),
       "each Connect worker's Jolokia agent, read like the brokers' (`jmx.*` credentials) with "
       "`connect.rules_file`; served with a `connect_worker` label (host:port of the URL)"},
      {KSE_KEY(connect.rules_file), readable_file(),
       "jmx_exporter-format rules for the workers' beans (`exporter/kafka-connect-rules.yml` is ours)"},
      {KSE_KEY(connect.mirror_lag), boolean(),
       "MirrorMaker 2: read the log-end offsets of each MirrorSourceConnector's source cluster "
       "(its `source.cluster.bootstrap.servers`, with the `kafka.*` login) for the mirror lag"},
      {KSE_KEY(schema_registry.url), url(),
       "a Schema Registry's Confluent API root, e.g. `http://127.0.0.1:8085/apis/ccompat/v7`; empty: "
       "not read"},
      {KSE_KEY(schema_registry.username), string(), "Schema Registry basic auth user"},
      {KSE_KEY(schema_registry.password), secret(),
       "Schema Registry basic auth password; prefer `schema_registry.password_file`"},
      {KSE_KEY(schema_registry.password_file), secret_file(),
       "file holding `schema_registry.password`; not with it"},
      {KSE_KEY(schema_registry.ca_file), pem_certificates(), "CA for an https registry"},
      {KSE_KEY(schema_registry.timeout), duration(milliseconds(100)), "timeout of one registry call"},
      {KSE_KEY(schema_registry.metrics_url), url(),
       "the registry's own Prometheus page (Apicurio: `/q/metrics`), for registrations refused as "
       "incompatible; empty: not counted"},
      {KSE_KEY(log.level), choice({"trace", "debug", "info", "warn", "error"}), "least severe level logged"},
  };
  return table;
}

#undef KSE_KEY

Origin origin_of(const std::string& source, const YAML::Node& node) {
  const YAML::Mark mark = node.Mark();
  if (mark.line >= 0) {
    return {source, source + ":" + std::to_string(mark.line + 1)};
  }
  return {source, source};
}

void fail(const Origin& origin, const std::string& key, const std::string& found,
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

std::optional<int64_t> parse_integer(const std::string& text) {
  int64_t value = 0;
  const char* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(text.data(), end, value);
  if (ec != std::errc() || ptr != end || text.empty()) {
    return std::nullopt;
  }
  return value;
}

void refuse_if_others_can_read(const Origin& origin, const std::string& key, const std::string& path) {
  struct stat status {};
  if (::stat(path.c_str(), &status) != 0) {
    fail(origin, key, "'" + path + "' (" + std::strerror(errno) + ")", "a readable file");
  }
  if ((status.st_mode & S_IROTH) == 0) return;
  char mode[8];
  std::snprintf(mode, sizeof mode, "%04o", static_cast<unsigned>(status.st_mode & 07777));
  fail(origin, key, "'" + path + "' with mode " + mode + ", which every user of the host can read",
       "a file only its owner and group can read (chmod 600 or chmod 640 it; on Kubernetes, "
       "defaultMode: 0440 on the secret volume)");
}

const Key* find_key(const std::string& path) {
  for (const auto& key : keys()) {
    if (key.path == path) return &key;
  }
  return nullptr;
}

void apply(const Key& key, Config& config, const YAML::Node& node, const Origin& origin) {
  const std::string path(key.path);
  const Type& type = key.type;
  const Field field = key.field(config);
  switch (type.kind) {
    case Kind::kString: *std::get<std::string*>(field) = read_string(node, origin, path); return;
    // read_string names only the shape of what it refuses (a list, a mapping), never the text.
    case Kind::kSecret: *std::get<std::string*>(field) = read_string(node, origin, path); return;
    case Kind::kSecretFile:
      *std::get<std::string*>(field) = read_secret_file_path(node, origin, path);
      return;
    case Kind::kPrivateFile:
      *std::get<std::string*>(field) = read_secret_file_path(node, origin, path);
      return;
    case Kind::kName: *std::get<std::string*>(field) = expect_scalar(node, origin, path, type.what); return;
    case Kind::kBool: *std::get<bool*>(field) = read_bool(node, origin, path); return;
    case Kind::kInteger: {
      const int64_t value = read_integer(node, origin, path, type.min, type.max);
      if (auto* wide = std::get_if<int64_t*>(&field)) {
        **wide = value;
      } else {
        *std::get<int*>(field) = static_cast<int>(value);
      }
      return;
    }
    case Kind::kOptionalInteger: {
      auto& target = *std::get<std::optional<int32_t>*>(field);
      if (node.IsNull()) {
        target.reset();
      } else {
        target = static_cast<int32_t>(read_integer(node, origin, path, type.min, type.max));
      }
      return;
    }
    case Kind::kDuration:
      *std::get<Duration*>(field) = read_duration(node, origin, path, Duration(type.min));
      return;
    case Kind::kChoice:
      *std::get<std::string*>(field) = read_choice(node, origin, path, type.choices);
      return;
    case Kind::kRegex: *std::get<std::string*>(field) = read_regex(node, origin, path); return;
    case Kind::kReadableFile: *std::get<std::string*>(field) = read_file_path(node, origin, path); return;
    case Kind::kPemCertificates:
      *std::get<std::string*>(field) = read_pem_path(node, origin, path, Pem::kCertificates);
      return;
    case Kind::kPemPrivateKey:
      *std::get<std::string*>(field) = read_pem_path(node, origin, path, Pem::kPrivateKey);
      return;
    case Kind::kHostPortList: {
      auto servers = read_string_list(node, origin, path, static_cast<size_t>(type.min));
      for (const auto& server : servers) check_host_port(server, origin, path);
      *std::get<std::vector<std::string>*>(field) = std::move(servers);
      return;
    }
    case Kind::kBrokerPorts:
      *std::get<std::map<int32_t, int>*>(field) =
          read_broker_map<int>(config, node, origin, path, "a mapping of broker id to port",
                               [](const YAML::Node& value, const Origin& at, const std::string& entry_key) {
                                 return static_cast<int>(read_integer(value, at, entry_key, 1, 65535));
                               });
      return;
    case Kind::kBrokerUrls:
      *std::get<std::map<int32_t, std::string>*>(field) = read_broker_map<std::string>(
          config, node, origin, path, "a mapping of broker id to Jolokia URL", read_url);
      return;
    case Kind::kUrl:
      *std::get<std::string*>(field) = node.IsNull() ? std::string() : read_url(node, origin, path);
      return;
    case Kind::kUrlList: {
      auto urls = node.IsNull() ? std::vector<std::string>() : read_string_list(node, origin, path, 0);
      for (const auto& entry : urls) read_url(YAML::Node(entry), origin, path);
      *std::get<std::vector<std::string>*>(field) = std::move(urls);
      return;
    }
  }
}

}  // namespace kse::config::schema

namespace kse::config {
namespace {

using schema::Field;
using schema::Kind;

// The largest unit that states the duration exactly: 3600000 -> "1h", 1500 -> "1500ms".
std::string duration_text(Duration duration) {
  const int64_t ms = duration.count();
  if (ms != 0 && ms % 3'600'000 == 0) return std::to_string(ms / 3'600'000) + "h";
  if (ms != 0 && ms % 60'000 == 0) return std::to_string(ms / 60'000) + "m";
  if (ms != 0 && ms % 1000 == 0) return std::to_string(ms / 1000) + "s";
  return std::to_string(ms) + "ms";
}

std::string allowed_text(const schema::Type& type) {
  const bool unbounded = type.max == INT32_MAX || type.max == INT64_MAX;
  const std::string range = unbounded ? "at least " + std::to_string(type.min)
                                      : std::to_string(type.min) + ".." + std::to_string(type.max);
  switch (type.kind) {
    case Kind::kString: return "a string";
    case Kind::kSecret: return "a string, never printed";
    case Kind::kSecretFile: return "a file that only its owner and group can read";
    case Kind::kPrivateFile: return "a file that only its owner and group can read";
    case Kind::kName: return type.what;
    case Kind::kBool: return "true or false";
    case Kind::kInteger: return "an integer " + range;
    case Kind::kOptionalInteger: return "an integer " + range + ", or nothing";
    case Kind::kDuration: return "a duration, at least " + duration_text(Duration(type.min));
    case Kind::kChoice: {
      std::string text;
      for (const auto& choice : type.choices) {
        text += (text.empty() ? "`" : ", `") + choice + "`";
      }
      return "one of " + text;
    }
    case Kind::kRegex: return "a regular expression (PCRE2)";
    case Kind::kReadableFile: return "a readable file";
    case Kind::kPemCertificates: return "a PEM file of one or more certificates";
    case Kind::kPemPrivateKey: return "a PEM private key file";
    case Kind::kHostPortList: return "a list of host:port";
    case Kind::kBrokerPorts: return "a mapping of broker id to port 1..65535";
    case Kind::kBrokerUrls: return "a mapping of broker id to an http:// or https:// URL";
    case Kind::kUrl: return "an http:// or https:// URL, or nothing";
    case Kind::kUrlList: return "a list of http:// or https:// URLs";
  }
  return "";
}

// A key's value as it would be written in the file; empty when unset.
std::string value_text(const Field& field) {
  struct Visitor {
    std::string operator()(const std::string* value) const { return *value; }
    std::string operator()(const bool* value) const { return *value ? "true" : "false"; }
    std::string operator()(const int* value) const { return std::to_string(*value); }
    std::string operator()(const int64_t* value) const { return std::to_string(*value); }
    std::string operator()(const Duration* value) const { return duration_text(*value); }
    std::string operator()(const std::optional<int32_t>* value) const {
      return *value ? std::to_string(**value) : "";
    }
    std::string operator()(const std::vector<std::string>* values) const {
      std::string text;
      for (const auto& value : *values) text += (text.empty() ? "" : ", ") + value;
      return "[" + text + "]";
    }
    std::string operator()(const std::map<int32_t, int>* values) const {
      std::string text;
      for (const auto& [id, port] : *values) {
        text += (text.empty() ? "" : ", ") + std::to_string(id) + ": " + std::to_string(port);
      }
      return "{" + text + "}";
    }
    std::string operator()(const std::map<int32_t, std::string>* values) const {
      std::string text;
      for (const auto& [id, url] : *values) {
        text += (text.empty() ? "" : ", ") + std::to_string(id) + ": " + url;
      }
      return "{" + text + "}";
    }
  };
  return std::visit(Visitor{}, field);
}

}  // namespace

std::vector<KeyReference> key_reference(const Config& values) {
  // Fields are reached through a mutable Config; a copy keeps `values` untouched.
  Config copy = values;
  std::vector<KeyReference> rows;
  for (const auto& key : schema::keys()) {
    std::string value = value_text(key.field(copy));
    if (key.type.kind == Kind::kSecret && !value.empty()) value = "<redacted>";
    rows.push_back(
        {std::string(key.path), allowed_text(key.type), std::move(value), std::string(key.meaning)});
  }
  return rows;
}

std::string reference_markdown() {
  std::string text = "| key | allowed | default | meaning |\n| --- | --- | --- | --- |\n";
  for (const auto& row : key_reference()) {
    const std::string default_cell = row.value.empty() ? "" : "`" + row.value + "`";
    text += "| `" + row.key + "` | " + row.allowed + " | " + default_cell + " | " + row.meaning + " |\n";
  }
  return text;
}

}  // namespace kse::config
