#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

// The exporter's whole configuration, after merging defaults, the YAML file,
// environment overrides and command-line flags (in that order of precedence).
namespace kse::config {

// A configuration problem, already phrased as the one line the user sees:
// "<file>:<line>: key '<path>': found <what>, allowed <what>".
class ConfigError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

using Duration = std::chrono::milliseconds;

struct TlsClientConfig {
  bool enabled = false;
  std::string ca_file;
  std::string cert_file;
  std::string key_file;
  bool verify_hostname = true;
};

struct KerberosConfig {
  std::string service_name = "kafka";
  std::string principal;
  std::string keytab;
  std::string config;  // krb5.conf; empty: KRB5_CONFIG, else /etc/krb5.conf
};

// OAUTHBEARER with OAuth 2 client credentials (KIP-768).
struct OAuthBearerConfig {
  std::string token_endpoint_url;
  std::string client_id;
  std::string client_secret;
  std::string client_secret_file;  // read into `client_secret` by read_secret_files()
  std::string private_key_file;    // private_key_jwt instead of a secret
  std::string private_key_id;
  std::string scope;
  std::string ca_file;
};

struct SaslConfig {
  std::string mechanism = "none";  // none, PLAIN, SCRAM-SHA-256, SCRAM-SHA-512, GSSAPI, OAUTHBEARER
  std::string username;
  std::string password;
  std::string password_file;  // read into `password` by read_secret_files()
  KerberosConfig kerberos;    // GSSAPI
  OAuthBearerConfig oauthbearer;
};

struct KafkaConfig {
  std::vector<std::string> bootstrap_servers = {"127.0.0.1:9092"};
  std::string client_id = "kafka-sidecar-exporter";
  Duration request_timeout{3000};
  Duration connect_timeout{3000};
  TlsClientConfig tls;
  SaslConfig sasl;
};

struct CollectConfig {
  Duration interval{15000};
  Duration timeout{10000};
  // Points of (log-end offset, time) kept per partition for lag in seconds.
  int lag_history_points = 60;
  int lag_status_window = 10;  // cycles a consumer group's status is judged over
  int lag_record_reads_per_broker = 1000;
};

struct ServeTlsConfig {
  std::string cert_file;
  std::string key_file;
};

struct BasicAuthConfig {
  std::string username;
  std::string password;
  std::string password_file;  // read into `password` by read_secret_files()
};

struct ServeConfig {
  std::string listen_address = "0.0.0.0";
  int cluster_port = 9308;
  int broker_port_base = 7071;
  std::map<int32_t, int> broker_ports;  // explicit broker id -> port
  std::optional<int32_t> broker_id;     // sidecar mode when set
  // kafka_exporter's layout: every family on the cluster port, no broker ports.
  bool single_port = false;
  std::string metrics_path = "/metrics";  // served besides /metrics
  // Per port: a keep-alive connection holds a thread while it is open.
  int http_threads = 16;
  ServeTlsConfig tls;
  BasicAuthConfig basic_auth;
  // Exporter-toolkit web configuration; read by load_web_config() once the keys are merged.
  std::string web_config_file;
};

struct FilterConfig {
  std::string topic_include = ".*";
  std::string topic_exclude = "^$";
  std::string group_include = ".*";
  std::string group_exclude = "^$";
};

struct LimitsConfig {
  int64_t max_series = 0;  // 0 = unlimited
  // "full", or "lean": the two below off (topic- and group-level families only).
  std::string profile = "full";
  bool partition_metrics = true;
  bool group_partition_metrics = true;
  bool lean() const { return profile == "lean"; }
};

struct ProbeConfig {
  bool enabled = true;
  std::string topic = "_kse_probe";
  std::string group = "_kse_probe_group";
  Duration interval{1000};
  int replication_factor = 3;
  Duration retention{3600000};
};

struct JmxConfig {
  bool enabled = false;
  std::string rules_file;
  std::map<int32_t, std::string> brokers;  // broker id -> Jolokia URL
  std::string username;
  std::string password;
  std::string password_file;  // read into `password` by read_secret_files()
  std::string ca_file;
  Duration timeout{5000};
};

struct ZooKeeperConfig {
  std::vector<std::string> servers;  // host:port of each node's client port
  Duration timeout{2000};
};

// A Kafka Connect group, read through its REST API (any worker answers for the group), and
// its workers' JMX through Jolokia; MirrorMaker 2 connectors running on it are mirrors.
struct ConnectConfig {
  std::vector<std::string> urls;  // REST of the workers, tried in order; empty: not read
  std::string username;           // basic auth when not empty
  std::string password;
  std::string password_file;  // read into `password` by read_secret_files()
  std::string ca_file;
  Duration timeout{5000};                 // one REST call, one Kafka request of the mirrors
  std::vector<std::string> jolokia_urls;  // each worker's Jolokia agent
  std::string rules_file;                 // jmx_exporter-format rules for the workers' beans
  bool mirror_lag = true;                 // read the source clusters of MirrorSourceConnector
};

// A registry speaking the Confluent Schema Registry API.
struct SchemaRegistryConfig {
  std::string url;  // its API root, e.g. http://127.0.0.1:8085/apis/ccompat/v7; empty: not read
  std::string username;
  std::string password;
  std::string password_file;  // read into `password` by read_secret_files()
  std::string ca_file;
  Duration timeout{5000};
  std::string metrics_url;  // the registry's own Prometheus page, for refused registrations
};

struct LogConfig {
  std::string level = "info";  // trace, debug, info, warn, error
};

struct Config {
  std::string source;  // the file it came from, or "<defaults>"
  // Where each key set was written ("file:line", "environment KSE_...", "--set"), for errors.
  std::map<std::string, std::string> origins;
  KafkaConfig kafka;
  CollectConfig collect;
  ServeConfig serve;
  FilterConfig filters;
  LimitsConfig limits;
  ProbeConfig probe;
  JmxConfig jmx;
  ZooKeeperConfig zookeeper;
  ConnectConfig connect;
  SchemaRegistryConfig schema_registry;
  LogConfig log;
};

// Parses a duration such as "15s", "500ms", "2m", "1h" or a bare number of seconds.
std::optional<Duration> parse_duration(const std::string& text);

// Loads `path` over the defaults. Throws ConfigError.
Config load_file(const std::string& path);

// Parses YAML text (named `source_name` in errors) over the defaults. Throws ConfigError.
Config load_text(const std::string& text, const std::string& source_name);

// Applies KSE_* environment variables (e.g. KSE_KAFKA_SASL_PASSWORD, KSE_SERVE_CLUSTER_PORT).
// `environ_entries` are "NAME=value" strings. Throws ConfigError.
void apply_environment(Config& config, const std::vector<std::string>& environ_entries);

// Applies one "section.key=value" override, as given on the command line. Throws ConfigError.
void apply_override(Config& config, const std::string& assignment, const std::string& origin);

// Reads every `*_file` secret key (kafka.sasl.password_file...) into its sibling, once all
// layers are merged; a secret given both ways is refused. Throws ConfigError.
void read_secret_files(Config& config);

// The files the logins to Kafka read (the `kafka.*` certificates, keys and secret files), in
// key order: watched while the exporter runs, so that rotated material is used without a restart.
std::vector<std::string> credential_files(const Config& config);

// Reads every `*_file` secret again, replacing what an earlier read put in its sibling, with the
// checks of the first read (readable, not empty, not readable by every user). Throws ConfigError.
void reread_secret_files(Config& config);

// One line per secret written in the configuration file or on the command line rather than
// in a `*_file` key or the environment, for the log; never the secret itself.
std::vector<std::string> inline_secret_warnings(const Config& config);

// Cross-field checks (ports distinct, files readable...). Throws ConfigError.
void validate(const Config& config);

// One key as docs/configuration.md lists it: what it accepts, its value, what it does.
struct KeyReference {
  std::string key;
  std::string allowed;
  std::string value;  // as it would be written in the file; empty when unset
  std::string meaning;
};

// Every key the file, the environment and flags may set, in the schema's order, with the
// value `values` holds (the defaults unless given).
std::vector<KeyReference> key_reference(const Config& values = Config{});

// The key table of docs/configuration.md, between its generated-section markers.
std::string reference_markdown();

// The port a broker's series are served on.
int64_t broker_port(const ServeConfig& serve, int32_t broker_id);

}  // namespace kse::config
