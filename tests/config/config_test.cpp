#include "config/config.h"

#include <gtest/gtest.h>

#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <string>

#include "support/test_support.h"

namespace kse::config {
namespace {

std::string error_of(const std::string& yaml) {
  try {
    Config config = load_text(yaml, "exporter.yml");
    validate(config);
  } catch (const ConfigError& error) {
    return error.what();
  }
  return "";
}

TEST(ConfigTest, EmptyTextGivesDefaults) {
  Config config = load_text("", "exporter.yml");
  EXPECT_EQ(config.serve.cluster_port, 9308);
  EXPECT_EQ(config.serve.broker_port_base, 7071);
  EXPECT_EQ(config.collect.interval, std::chrono::seconds(15));
  EXPECT_EQ(config.kafka.bootstrap_servers, std::vector<std::string>{"127.0.0.1:9092"});
  EXPECT_FALSE(config.serve.broker_id.has_value());
  EXPECT_NO_THROW(validate(config));
}

TEST(ConfigTest, FullFileIsRead) {
  Config config = load_text(R"(
kafka:
  bootstrap_servers: [127.0.0.1:9092, "127.0.0.1:9192"]
  sasl: {mechanism: SCRAM-SHA-512, username: scram-user, password: s3cret}
  request_timeout: 250ms
collect:
  interval: 30s
  timeout: 500ms
serve:
  broker_ports: {1: 8001, 2: 8002}
  broker_id: 2
filters:
  topic_exclude: "^__"
probe:
  enabled: false
)",
                            "exporter.yml");
  EXPECT_EQ(config.kafka.bootstrap_servers.size(), 2u);
  EXPECT_EQ(config.kafka.sasl.mechanism, "SCRAM-SHA-512");
  EXPECT_EQ(config.collect.interval, std::chrono::seconds(30));
  EXPECT_EQ(config.collect.timeout, std::chrono::milliseconds(500));
  EXPECT_EQ(config.serve.broker_ports.at(2), 8002);
  EXPECT_EQ(config.serve.broker_id, 2);
  EXPECT_EQ(config.filters.topic_exclude, "^__");
  EXPECT_FALSE(config.probe.enabled);
  EXPECT_EQ(broker_port(config.serve, 2), 8002);
  // A sidecar serves its own broker on the base port unless broker_ports names another.
  EXPECT_EQ(broker_port(config.serve, 3), 7071);
  config.serve.broker_id.reset();
  EXPECT_EQ(broker_port(config.serve, 3), 7073);
}

TEST(ConfigTest, MissingFileNamesFileAndReason) {
  try {
    load_file("/nonexistent/exporter.yml");
    FAIL() << "expected ConfigError";
  } catch (const ConfigError& error) {
    EXPECT_EQ(std::string(error.what()),
              "/nonexistent/exporter.yml: cannot read configuration file (No such file or "
              "directory)");
  }
}

TEST(ConfigTest, BadYamlNamesLine) {
  std::string error = error_of("serve:\n  cluster_port: 9308\n  broker_ports: {1: 2\n");
  // The flow mapping opened on line 3 is still open where the text ends, on line 4.
  EXPECT_EQ(error.rfind("exporter.yml:4: ", 0), 0u) << error;
  EXPECT_NE(error.find("invalid YAML"), std::string::npos) << error;
}

TEST(ConfigTest, UnknownKeyNamesLineKeyAndAllowed) {
  EXPECT_EQ(error_of("serve:\n  clustr_port: 9308\n"),
            "exporter.yml:2: unknown key 'serve.clustr_port', allowed here: basic_auth, "
            "broker_id, broker_port_base, broker_ports, cluster_port, http_threads, listen_address, "
            "metrics_path, single_port, tls, web_config_file");
  EXPECT_EQ(error_of("servr: {}\n"),
            "exporter.yml:1: unknown key 'servr', allowed here: collect, connect, filters, jmx, kafka, "
            "limits, log, probe, schema_registry, serve, zookeeper");
}

TEST(ConfigTest, WrongTypeNamesFoundAndAllowed) {
  EXPECT_EQ(error_of("collect:\n  interval: soon\n"),
            "exporter.yml:2: key 'collect.interval': found 'soon', allowed a duration such as "
            "500ms, 15s, 2m or 1h, at least 1000ms");
  EXPECT_EQ(error_of("probe:\n  enabled: maybe\n"),
            "exporter.yml:2: key 'probe.enabled': found 'maybe', allowed true or false");
  EXPECT_EQ(error_of("serve: 5\n"),
            "exporter.yml:1: key 'serve': found '5', allowed a mapping with keys basic_auth, "
            "broker_id, broker_port_base, broker_ports, cluster_port, http_threads, listen_address, "
            "metrics_path, single_port, tls, web_config_file");
  EXPECT_EQ(error_of("kafka:\n  bootstrap_servers: {a: b}\n"),
            "exporter.yml:2: key 'kafka.bootstrap_servers': found a mapping, allowed a list of "
            "strings");
}

TEST(ConfigTest, PortOutOfRange) {
  EXPECT_EQ(error_of("serve:\n  cluster_port: 70000\n"),
            "exporter.yml:2: key 'serve.cluster_port': found '70000', allowed an integer 1..65535");
  EXPECT_EQ(error_of("serve:\n  broker_ports:\n    1: 0\n"),
            "exporter.yml:3: key 'serve.broker_ports.1': found '0', allowed an integer 1..65535");
  EXPECT_EQ(error_of("kafka:\n  bootstrap_servers: [localhost:99999]\n"),
            "exporter.yml:2: key 'kafka.bootstrap_servers': found 'localhost:99999', allowed "
            "host:port with port 1..65535");
}

TEST(ConfigTest, LeanProfileTurnsPerPartitionFamiliesOffAndRefusesThemBack) {
  Config lean = load_text("limits:\n  profile: lean\n", "exporter.yml");
  EXPECT_NO_THROW(validate(lean));
  EXPECT_TRUE(lean.limits.lean());
  EXPECT_FALSE(load_text("", "exporter.yml").limits.lean());
  EXPECT_EQ(error_of("limits:\n  profile: lean\n  group_partition_metrics: true\n"),
            "exporter.yml:3: key 'limits.group_partition_metrics': found true with limits.profile lean, "
            "allowed false, or limits.profile full");
  EXPECT_EQ(error_of("limits:\n  profile: lean\n  partition_metrics: false\n"), "");
  EXPECT_NE(error_of("limits:\n  profile: tiny\n").find("'limits.profile'"), std::string::npos);
}

TEST(ConfigTest, DuplicatePort) {
  EXPECT_EQ(error_of("serve:\n  cluster_port: 9308\n  broker_ports: {1: 7071, 2: 9308}\n"),
            "exporter.yml:3: key 'serve.broker_ports.2': found port 9308 already used by "
            "'serve.cluster_port', allowed a port no other key uses");
  EXPECT_NE(error_of("serve:\n  cluster_port: 7072\n").find("collides"), std::string::npos);
}

TEST(ConfigTest, UnreadableTlsFile) {
  EXPECT_EQ(error_of("kafka:\n  tls:\n    ca_file: /nonexistent/ca.pem\n"),
            "exporter.yml:3: key 'kafka.tls.ca_file': found '/nonexistent/ca.pem' (No such file "
            "or directory), allowed a readable file");
}

TEST(ConfigTest, TlsFileWithoutPemIsRefusedBeforeAnyPortOpens) {
  const std::string path = ::testing::TempDir() + "/kse-not-a-certificate.pem";
  std::ofstream(path) << "this is not a certificate\n";
  EXPECT_EQ(error_of("kafka:\n  tls:\n    ca_file: " + path + "\n"),
            "exporter.yml:3: key 'kafka.tls.ca_file': found '" + path +
                "', which holds no PEM certificate, allowed a PEM file of one or more certificates");
  EXPECT_EQ(error_of("serve:\n  tls:\n    cert_file: " + path + "\n    key_file: " + path + "\n"),
            "exporter.yml:3: key 'serve.tls.cert_file': found '" + path +
                "', which holds no PEM certificate, allowed a PEM file of one or more certificates");
  std::remove(path.c_str());
}

TEST(ConfigTest, TlsFileWithoutReadPermission) {
  const std::string dir = ::testing::TempDir() + "/kse-unreadable";
  ::mkdir(dir.c_str(), 0755);
  const std::string path = dir + "/ca.pem";
  std::ofstream(path) << "-----BEGIN CERTIFICATE-----\n";
  ::chmod(path.c_str(), 0);
  if (::geteuid() != 0) {
    EXPECT_EQ(error_of("kafka:\n  tls:\n    ca_file: " + path + "\n"),
              "exporter.yml:3: key 'kafka.tls.ca_file': found '" + path +
                  "' (Permission denied), allowed a readable file");
  } else {
    // Root reads any file: the check runs as the unprivileged user the exporter would run as.
    const std::string config = dir + "/exporter.yml";
    std::ofstream(config) << "kafka:\n  tls:\n    ca_file: " + path + "\n";
    ::chmod(config.c_str(), 0644);
    const auto result =
        test::run_command("setpriv --reuid=65534 --regid=65534 --clear-groups " + test::build_dir() +
                          "/exporter/kafka-sidecar-exporter --check-config -c " + config + " 2>&1");
    EXPECT_EQ(result.exit_code, 2) << result.output;
    EXPECT_NE(result.output.find(config + ":3: key 'kafka.tls.ca_file': found '" + path +
                                 "' (Permission denied), allowed a readable file"),
              std::string::npos)
        << result.output;
  }
  std::remove(path.c_str());
}

TEST(ConfigTest, BadRegexAndChoice) {
  EXPECT_NE(error_of("filters:\n  topic_include: '(['\n").find("allowed a valid regular expression"),
            std::string::npos);
  EXPECT_EQ(error_of("kafka:\n  sasl:\n    mechanism: SCRAM-SHA-1\n"),
            "exporter.yml:3: key 'kafka.sasl.mechanism': found 'SCRAM-SHA-1', allowed one of none "
            "PLAIN SCRAM-SHA-256 SCRAM-SHA-512 GSSAPI OAUTHBEARER");
}

TEST(ConfigTest, CrossFieldChecks) {
  EXPECT_NE(error_of("collect: {interval: 5s, timeout: 6s}\n").find("less than collect.interval"),
            std::string::npos);
  EXPECT_NE(error_of("kafka:\n  sasl: {mechanism: PLAIN}\n").find("kafka.sasl.username"), std::string::npos);
  // A hung broker must cost one request timeout, not the whole cycle.
  EXPECT_EQ(error_of("kafka: {request_timeout: 6s}\ncollect: {interval: 15s, timeout: 10s}\n"),
            "exporter.yml:1: key 'kafka.request_timeout': found 6000ms, allowed at most half of "
            "collect.timeout (10000ms)");
  EXPECT_EQ(error_of("kafka: {request_timeout: 5s}\ncollect: {interval: 15s, timeout: 10s}\n"), "");
}

TEST(ConfigTest, OAuthBearerNeedsEndpointClientIdAndSecret) {
  EXPECT_EQ(error_of("kafka:\n  sasl:\n    mechanism: OAUTHBEARER\n"),
            "exporter.yml:3: key 'kafka.sasl.oauthbearer.token_endpoint_url': found nothing, allowed the "
            "token endpoint's URL when kafka.sasl.mechanism is OAUTHBEARER");
  const std::string endpoint =
      "kafka:\n  sasl:\n    mechanism: OAUTHBEARER\n    oauthbearer:\n      token_endpoint_url: ";
  EXPECT_EQ(
      error_of(endpoint + "idp.example/token\n"),
      "exporter.yml:5: key 'kafka.sasl.oauthbearer.token_endpoint_url': found 'idp.example/token', allowed "
      "an http:// or https:// URL");
  EXPECT_EQ(error_of(endpoint + "https://idp.example/token\n"),
            "exporter.yml:3: key 'kafka.sasl.oauthbearer.client_id': found nothing, allowed the exporter's "
            "client id when kafka.sasl.mechanism is OAUTHBEARER");
  EXPECT_EQ(
      error_of(endpoint + "https://idp.example/token\n      client_id: kse\n"),
      "exporter.yml:3: key 'kafka.sasl.oauthbearer.client_secret': found nothing, allowed the client "
      "secret (or kafka.sasl.oauthbearer.client_secret_file, or kafka.sasl.oauthbearer.private_key_file) "
      "when kafka.sasl.mechanism is OAUTHBEARER");
  EXPECT_EQ(error_of(endpoint + "https://idp.example/token\n      client_id: kse\n      client_secret: s\n"),
            "");
}

TEST(ConfigTest, CrossFieldMessagesNameKeyFoundAndAllowed) {
  EXPECT_EQ(error_of("collect: {interval: 5s, timeout: 6s}\n"),
            "exporter.yml:1: key 'collect.timeout': found 6000ms, allowed less than "
            "collect.interval (5000ms)");
  EXPECT_EQ(error_of("kafka:\n  sasl: {mechanism: PLAIN}\n"),
            "exporter.yml: key 'kafka.sasl.username': found nothing, allowed a user name when "
            "kafka.sasl.mechanism is PLAIN");
  EXPECT_EQ(error_of("serve:\n  cluster_port: 7072\n"),
            "exporter.yml:2: key 'serve.cluster_port': found 7072, which collides with the broker "
            "ports from serve.broker_port_base 7071, allowed a port outside "
            "broker_port_base..broker_port_base+63");
  EXPECT_EQ(error_of("jmx:\n  enabled: true\n"),
            "exporter.yml: key 'jmx.brokers': found nothing, allowed a mapping of broker id to "
            "Jolokia URL when jmx.enabled is true");
  for (const std::string section : {"serve", "kafka"}) {
    Config config = load_text("", "exporter.yml");
    (section == "serve" ? config.serve.tls.cert_file : config.kafka.tls.cert_file) = "cert.pem";
    try {
      validate(config);
      ADD_FAILURE() << section;
    } catch (const ConfigError& error) {
      EXPECT_EQ(std::string(error.what()), "exporter.yml: key '" + section +
                                               ".tls': found only one of cert_file and key_file, "
                                               "allowed both or neither");
    }
  }
}

TEST(ConfigTest, EnvironmentAndFlagsOverrideFile) {
  Config config = load_text("serve:\n  cluster_port: 9400\n", "exporter.yml");
  apply_environment(config, {"KSE_SERVE_CLUSTER_PORT=9500", "KSE_KAFKA_SASL_PASSWORD=pw",
                             "KSE_SOURCE_DIR=/ignored", "PATH=/bin"});
  EXPECT_EQ(config.serve.cluster_port, 9500);
  EXPECT_EQ(config.kafka.sasl.password, "pw");
  apply_override(config, "serve.cluster_port=9600", "flag --set");
  EXPECT_EQ(config.serve.cluster_port, 9600);
  apply_override(config, "kafka.bootstrap_servers=a:1,b:2", "flag --set");
  EXPECT_EQ(config.kafka.bootstrap_servers, (std::vector<std::string>{"a:1", "b:2"}));
  try {
    apply_environment(config, {"KSE_SERVE_CLUSTER_PORT=x"});
    FAIL();
  } catch (const ConfigError& error) {
    EXPECT_EQ(std::string(error.what()),
              "environment KSE_SERVE_CLUSTER_PORT: key 'serve.cluster_port': found 'x', allowed "
              "an integer 1..65535");
  }
}

TEST(ConfigTest, EachKindRefusesWhatItDoesNotAllow) {
  EXPECT_EQ(error_of("jmx:\n  brokers:\n    1: ftp://broker\n"),
            "exporter.yml:3: key 'jmx.brokers.1': found 'ftp://broker', allowed an http:// or "
            "https:// URL");
  EXPECT_EQ(error_of("jmx:\n  brokers: [a]\n"),
            "exporter.yml:2: key 'jmx.brokers': found a list, allowed a mapping of broker id to "
            "Jolokia URL");
  EXPECT_EQ(error_of("serve:\n  broker_ports: {x: 1}\n"),
            "exporter.yml:2: key 'serve.broker_ports': found broker id 'x', allowed a broker id "
            "(integer >= 0)");
  EXPECT_EQ(error_of("serve:\n  broker_id: -1\n"),
            "exporter.yml:2: key 'serve.broker_id': found '-1', allowed an integer 0..2147483647");
  EXPECT_EQ(error_of("probe:\n  topic: [a]\n"),
            "exporter.yml:2: key 'probe.topic': found a list, allowed a topic name");
  EXPECT_EQ(error_of("log:\n  level: verbose\n"),
            "exporter.yml:2: key 'log.level': found 'verbose', allowed one of trace debug info "
            "warn error");
  EXPECT_EQ(error_of("limits:\n  max_series: -1\n"),
            "exporter.yml:2: key 'limits.max_series': found '-1', allowed an integer "
            "0..9223372036854775807");
  EXPECT_EQ(error_of("kafka:\n  bootstrap_servers: []\n"),
            "exporter.yml:2: key 'kafka.bootstrap_servers': found an empty list, allowed at "
            "least one entry");
  EXPECT_EQ(error_of("connect:\n  urls: [http://a:8083, a:8084]\n"),
            "exporter.yml:2: key 'connect.urls': found 'a:8084', allowed an http:// or https:// URL");
  EXPECT_EQ(error_of("connect:\n  urls: {a: 1}\n"),
            "exporter.yml:2: key 'connect.urls': found a mapping, allowed a list of strings");
  EXPECT_EQ(error_of("schema_registry:\n  url: registry:8085\n"),
            "exporter.yml:2: key 'schema_registry.url': found 'registry:8085', allowed an http:// or "
            "https:// URL");
}

TEST(ConfigTest, PlatformSectionsAreReadAndChecked) {
  Config config = load_text(
      "connect:\n  urls: [http://a:8083/, https://b:8083]\n  timeout: 2s\n  mirror_lag: false\n"
      "schema_registry:\n  url: http://r:8085/apis/ccompat/v7\n  metrics_url: http://r:8085/metrics\n",
      "exporter.yml");
  EXPECT_EQ(config.connect.urls, (std::vector<std::string>{"http://a:8083/", "https://b:8083"}));
  EXPECT_EQ(config.connect.timeout, Duration(2000));
  EXPECT_FALSE(config.connect.mirror_lag);
  EXPECT_EQ(config.schema_registry.url, "http://r:8085/apis/ccompat/v7");
  EXPECT_EQ(config.schema_registry.metrics_url, "http://r:8085/metrics");
  EXPECT_TRUE(load_text("connect:\n  urls:\n", "exporter.yml").connect.urls.empty());
  // The workers' beans need their rules.
  EXPECT_EQ(error_of("connect:\n  jolokia_urls: [http://a:8778/jolokia/]\n"),
            "exporter.yml: key 'connect.rules_file': found nothing, allowed a rules file for the workers' "
            "beans when connect.jolokia_urls is set (exporter/kafka-connect-rules.yml)");
}

TEST(ConfigTest, BrokerIdIsUnsetByNothing) {
  Config config = load_text("serve:\n  broker_id: 3\n", "exporter.yml");
  EXPECT_EQ(config.serve.broker_id, 3);
  apply_override(config, "serve.broker_id=", "flag --set");
  EXPECT_FALSE(config.serve.broker_id.has_value());
}

// The reference's default column, written back key by key, is accepted and changes nothing:
// every key lands in the member it names and every default obeys its own key's rules.
TEST(ConfigTest, EveryDocumentedDefaultReadsBackAsItself) {
  const auto defaults = key_reference();
  ASSERT_GE(defaults.size(), 40u);
  Config config = load_text("", "exporter.yml");
  for (const auto& row : defaults) {
    EXPECT_NO_THROW(apply_override(config, row.key + "=" + row.value, "flag --set")) << row.key;
  }
  const auto read_back = key_reference(config);
  ASSERT_EQ(read_back.size(), defaults.size());
  for (size_t i = 0; i < defaults.size(); ++i) {
    EXPECT_EQ(read_back[i].value, defaults[i].value) << defaults[i].key;
  }
  EXPECT_NO_THROW(validate(config));
}

TEST(ConfigTest, ReferenceShowsValuesAsTheyAreWritten) {
  Config config = load_text("probe:\n  retention: 90s\nserve:\n  broker_ports: {2: 8002}\n", "exporter.yml");
  std::map<std::string, std::string> values;
  for (const auto& row : key_reference(config)) values[row.key] = row.value;
  EXPECT_EQ(values.at("probe.retention"), "90s");
  EXPECT_EQ(values.at("collect.interval"), "15s");
  EXPECT_EQ(values.at("kafka.request_timeout"), "3s");
  EXPECT_EQ(values.at("serve.broker_ports"), "{2: 8002}");
  EXPECT_EQ(values.at("kafka.bootstrap_servers"), "[127.0.0.1:9092]");
  EXPECT_EQ(values.at("serve.broker_id"), "");
}

TEST(ConfigTest, EveryKeyHasAnEnvironmentVariable) {
  for (const auto& row : key_reference()) {
    std::string variable = "KSE_" + row.key;
    for (char& c : variable) c = (c == '.') ? '_' : static_cast<char>(::toupper(c));
    Config config = load_text("", "exporter.yml");
    apply_environment(config, {variable + "=" + row.value});
    EXPECT_EQ(config.origins[row.key], "environment " + variable);
  }
}

TEST(ConfigTest, ParseDuration) {
  EXPECT_EQ(parse_duration("15s"), std::chrono::milliseconds(15000));
  EXPECT_EQ(parse_duration("250ms"), std::chrono::milliseconds(250));
  EXPECT_EQ(parse_duration("2m"), std::chrono::milliseconds(120000));
  EXPECT_EQ(parse_duration("1h"), std::chrono::milliseconds(3600000));
  EXPECT_EQ(parse_duration("7"), std::chrono::milliseconds(7000));
  EXPECT_FALSE(parse_duration("").has_value());
  EXPECT_FALSE(parse_duration("s").has_value());
  EXPECT_FALSE(parse_duration("5d").has_value());
  EXPECT_FALSE(parse_duration("-5s").has_value());
}

}  // namespace
}  // namespace kse::config
