// danielqsj/kafka_exporter's flags: each one's resulting configuration, or its refusal.
#include "config/kafka_exporter_flags.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "config/config.h"

namespace kse::config {
namespace {

Config configure(const std::vector<std::string>& arguments, const std::string& yaml = "") {
  Config config = load_text(yaml, "exporter.yml");
  apply_kafka_exporter_flags(config, extract_kafka_exporter_flags(arguments));
  validate(config);
  return config;
}

std::string error_of(const std::vector<std::string>& arguments) {
  try {
    configure(arguments);
  } catch (const ConfigError& error) {
    return error.what();
  }
  return "";
}

std::vector<std::string> notes_of(const std::vector<std::string>& arguments) {
  return extract_kafka_exporter_flags(arguments).notes;
}

TEST(KafkaExporterFlagsTest, TheLeanProfileIsRefusedWithThem) {
  // kafka_exporter serves per-partition families, which lean leaves out.
  try {
    configure({"kafka-sidecar-exporter", "--kafka.server=127.0.0.1:9092"}, "limits:\n  profile: lean\n");
    FAIL() << "expected ConfigError";
  } catch (const ConfigError& error) {
    EXPECT_NE(std::string(error.what()).find("lean with kafka_exporter's flags"), std::string::npos)
        << error.what();
  }
}

TEST(KafkaExporterFlagsTest, OurOwnArgumentsPassThroughUntouched) {
  const std::vector<std::string> ours = {"-c", "x.yml", "--set", "a.b=1", "--check-config"};
  auto flags = extract_kafka_exporter_flags(ours);
  EXPECT_EQ(flags.remaining, ours);
  EXPECT_TRUE(flags.assignments.empty());
  Config config = configure(ours);
  EXPECT_FALSE(config.serve.single_port);
  EXPECT_TRUE(config.probe.enabled);
}

TEST(KafkaExporterFlagsTest, AnyFlagMeansOnePortAndNoProbe) {
  Config config = configure({"--kafka.server=127.0.0.1:9092"});
  EXPECT_TRUE(config.serve.single_port);
  EXPECT_FALSE(config.probe.enabled);
  EXPECT_EQ(config.serve.cluster_port, 9308);
  EXPECT_EQ(config.serve.metrics_path, "/metrics");
}

TEST(KafkaExporterFlagsTest, KafkaServerRepeatsAndTakesCommaLists) {
  Config config = configure({"--kafka.server=a:9092", "--kafka.server", "b:9192,c:9292"});
  EXPECT_EQ(config.kafka.bootstrap_servers, (std::vector<std::string>{"a:9092", "b:9192", "c:9292"}));
  EXPECT_EQ(error_of({"--kafka.server=kafka"}),
            "flag --kafka.server: key 'kafka.bootstrap_servers': found 'kafka', allowed host:port "
            "with port 1..65535");
  EXPECT_EQ(error_of({"--kafka.server"}),
            "flag --kafka.server: needs a value (--kafka.server=VALUE or --kafka.server VALUE)");
}

TEST(KafkaExporterFlagsTest, ListenAddressSetsTheOnePortAndAddress) {
  Config config = configure({"--web.listen-address=:18308"});
  EXPECT_EQ(config.serve.cluster_port, 18308);
  EXPECT_EQ(config.serve.listen_address, "0.0.0.0");
  config = configure({"--web.listen-address", "127.0.0.1:7071"});
  // The broker port range is not in use on one port.
  EXPECT_EQ(config.serve.cluster_port, 7071);
  EXPECT_EQ(config.serve.listen_address, "127.0.0.1");
  EXPECT_EQ(configure({"--web.listen-address=[::1]:9308"}).serve.listen_address, "::1");
  EXPECT_EQ(error_of({"--web.listen-address=9308"}),
            "flag --web.listen-address: found '9308', allowed [host]:port such as :9308 or "
            "127.0.0.1:9308");
  EXPECT_EQ(error_of({"--web.listen-address=:70000"}),
            "flag --web.listen-address: found ':70000', allowed [host]:port with port 1..65535");
}

TEST(KafkaExporterFlagsTest, TelemetryPath) {
  EXPECT_EQ(configure({"--web.telemetry-path=/kafka"}).serve.metrics_path, "/kafka");
  EXPECT_EQ(error_of({"--web.telemetry-path=metrics"}),
            "flag --web.telemetry-path: key 'serve.metrics_path': found 'metrics', allowed a path "
            "starting with / other than /, /healthz and /ready");
}

TEST(KafkaExporterFlagsTest, SaslMechanisms) {
  Config plain = configure({"--sasl.enabled", "--sasl.username=alice", "--sasl.password=*[x"});
  EXPECT_EQ(plain.kafka.sasl.mechanism, "PLAIN");
  EXPECT_EQ(plain.kafka.sasl.username, "alice");
  EXPECT_EQ(plain.kafka.sasl.password, "*[x");  // never read as YAML
  EXPECT_EQ(configure({"--sasl.enabled", "--sasl.username=u", "--sasl.mechanism=scram-sha256"})
                .kafka.sasl.mechanism,
            "SCRAM-SHA-256");
  EXPECT_EQ(configure({"--sasl.enabled=true", "--sasl.username=u", "--sasl.mechanism", "SCRAM-SHA512"})
                .kafka.sasl.mechanism,
            "SCRAM-SHA-512");
  // As in kafka_exporter, a mechanism or a user without --sasl.enabled changes nothing.
  EXPECT_EQ(configure({"--sasl.mechanism=scram-sha512"}).kafka.sasl.mechanism, "none");
  Config off = configure({"--no-sasl.enabled"}, "kafka: {sasl: {mechanism: PLAIN, username: u}}\n");
  EXPECT_EQ(off.kafka.sasl.mechanism, "none");
  EXPECT_EQ(error_of({"--sasl.enabled", "--sasl.username=u", "--sasl.mechanism=gssapi"}),
            "flag --sasl.mechanism: 'gssapi' is not supported yet; supported: plain, "
            "scram-sha256, scram-sha512");
  EXPECT_EQ(error_of({"--sasl.mechanism=oauthbearer"}),
            "flag --sasl.mechanism: 'oauthbearer' is not supported yet; supported: plain, "
            "scram-sha256, scram-sha512");
  EXPECT_EQ(error_of({"--sasl.mechanism=md5"}),
            "flag --sasl.mechanism: found 'md5', allowed plain, scram-sha256 or scram-sha512");
  EXPECT_EQ(error_of({"--sasl.enabled=maybe"}),
            "flag --sasl.enabled: found 'maybe', allowed --sasl.enabled, --no-sasl.enabled or "
            "--sasl.enabled=true|false");
  EXPECT_NE(error_of({"--no-sasl.handshake"}).find("flag --sasl.handshake: false is not supported"),
            std::string::npos);
  EXPECT_EQ(notes_of({"--sasl.realm=EXAMPLE"}),
            std::vector<std::string>{"kafka_exporter flag --sasl.realm ignored: only used by the "
                                     "gssapi, awsiam and oauthbearer mechanisms, which are not "
                                     "supported yet"});
}

TEST(KafkaExporterFlagsTest, KafkaTls) {
  Config config = configure({"--tls.enabled", "--tls.insecure-skip-tls-verify"});
  EXPECT_TRUE(config.kafka.tls.enabled);
  EXPECT_FALSE(config.kafka.tls.verify_hostname);
  EXPECT_TRUE(configure({"--tls.enabled", "--no-tls.insecure-skip-tls-verify"}).kafka.tls.verify_hostname);
  EXPECT_FALSE(configure({"--no-tls.enabled"}, "kafka: {tls: {enabled: true}}\n").kafka.tls.enabled);
  EXPECT_EQ(error_of({"--tls.ca-file=/nonexistent/ca.pem"}),
            "flag --tls.ca-file: key 'kafka.tls.ca_file': found '/nonexistent/ca.pem' (No such "
            "file or directory), allowed a readable file");
  EXPECT_EQ(error_of({"--tls.cert-file=/nonexistent/c.pem"})
                .rfind("flag --tls.cert-file: key "
                       "'kafka.tls.cert_file'",
                       0),
            0u);
  EXPECT_EQ(error_of({"--tls.key-file=/nonexistent/k.pem"})
                .rfind("flag --tls.key-file: key "
                       "'kafka.tls.key_file'",
                       0),
            0u);
  EXPECT_EQ(
      error_of({"--tls.server-name=kafka.example.org"}).rfind("flag --tls.server-name: not supported yet", 0),
      0u);
  EXPECT_EQ(error_of({"--tls.server-name="}), "");
}

TEST(KafkaExporterFlagsTest, ServerTls) {
  EXPECT_EQ(error_of({"--server.tls.enabled"}),
            "flag --server.tls.enabled: needs --server.tls.cert-file and --server.tls.key-file");
  EXPECT_EQ(error_of({"--server.tls.enabled", "--server.tls.cert-file=/nonexistent/c.pem",
                      "--server.tls.key-file=/nonexistent/k.pem"})
                .rfind("flag --server.tls.cert-file: key 'serve.tls.cert_file'", 0),
            0u);
  // Without --server.tls.enabled kafka_exporter serves plain HTTP; so do we.
  Config config = configure({"--server.tls.cert-file=/nonexistent/c.pem"});
  EXPECT_EQ(config.serve.tls.cert_file, "");
  EXPECT_EQ(error_of({"--server.tls.mutual-auth-enabled"})
                .rfind("flag --server.tls.mutual-auth-enabled: not supported yet", 0),
            0u);
  EXPECT_EQ(error_of({"--no-server.tls.mutual-auth-enabled"}), "");
}

TEST(KafkaExporterFlagsTest, FiltersFindTheirPatternAnywhereInTheName) {
  Config config = configure(
      {"--topic.filter=^orders", "--topic.exclude=tmp", "--group.filter=svc-(a|b)", "--group.exclude", "^$"});
  EXPECT_EQ(config.filters.topic_include, ".*(?:^orders).*");
  EXPECT_EQ(config.filters.topic_exclude, ".*(?:tmp).*");
  EXPECT_EQ(config.filters.group_include, ".*(?:svc-(a|b)).*");
  EXPECT_EQ(config.filters.group_exclude, ".*(?:^$).*");
  EXPECT_EQ(error_of({"--topic.filter=(orders"})
                .rfind("flag --topic.filter: key 'filters.topic_include': found '.*(?:(orders).*' "
                       "(missing closing parenthesis",
                       0),
            0u);
}

TEST(KafkaExporterFlagsTest, LogLevel) {
  EXPECT_EQ(configure({"--log.level=debug"}).log.level, "debug");
  EXPECT_EQ(error_of({"--log.level=loud"}),
            "flag --log.level: key 'log.level': found 'loud', allowed one of trace debug info "
            "warn error");
}

TEST(KafkaExporterFlagsTest, FlagsWithNothingToDoAreAcceptedAndSaySo) {
  const std::vector<std::string> arguments = {"--kafka.version=2.0.0",
                                              "--refresh.metadata=1m30s",
                                              "--concurrent.enable",
                                              "--topic.workers=100",
                                              "--verbosity=0",
                                              "--log.enable-sarama",
                                              "--zookeeper.server=localhost:2181",
                                              "--offset.show-all",
                                              "--no-use.consumelag.zookeeper",
                                              "--kafka.labels=",
                                              "--log.format=logfmt",
                                              "--server.tls.ca-file=/x"};
  EXPECT_EQ(error_of(arguments), "");
  const auto notes = notes_of(arguments);
  EXPECT_EQ(notes.size(), 9u);
  EXPECT_EQ(notes.front(),
            "kafka_exporter flag --kafka.version ignored: the exporter asks each broker which "
            "request versions it speaks (ApiVersions)");
  EXPECT_EQ(error_of({"--refresh.metadata=soon"}),
            "flag --refresh.metadata: found 'soon', allowed a duration such as 30s, 1m30s or "
            "500ms");
  EXPECT_EQ(error_of({"--topic.workers=0"}),
            "flag --topic.workers: found '0', allowed an integer of at least 1");
  EXPECT_EQ(error_of({"--verbosity=x"}), "flag --verbosity: found 'x', allowed an integer of at least 0");
}

TEST(KafkaExporterFlagsTest, FlagsThatWouldLieAreRefused) {
  EXPECT_EQ(
      error_of({"--use.consumelag.zookeeper"}).rfind("flag --use.consumelag.zookeeper: not supported", 0),
      0u);
  EXPECT_EQ(error_of({"--no-offset.show-all"}).rfind("flag --offset.show-all: false is not supported", 0),
            0u);
  EXPECT_EQ(error_of({"--kafka.labels=cluster=prod"}).rfind("flag --kafka.labels: not supported yet", 0), 0u);
}

TEST(KafkaExporterFlagsTest, FlagsWinOverTheFile) {
  Config config = configure({"--kafka.server=b:9092", "--topic.filter=x"},
                            "kafka: {bootstrap_servers: [a:9092]}\n"
                            "filters: {topic_include: y, group_include: z}\n"
                            "serve: {cluster_port: 9400}\n");
  EXPECT_EQ(config.kafka.bootstrap_servers, std::vector<std::string>{"b:9092"});
  EXPECT_EQ(config.filters.topic_include, ".*(?:x).*");
  EXPECT_EQ(config.filters.group_include, "z");  // not given as a flag: the file's
  EXPECT_EQ(config.serve.cluster_port, 9400);
  // Sidecar mode and one port do not go together.
  EXPECT_EQ(error_of({"--kafka.server=a:1"}), "");
  try {
    configure({"--kafka.server=a:1"}, "serve: {broker_id: 1}\n");
    FAIL() << "expected ConfigError";
  } catch (const ConfigError& error) {
    EXPECT_EQ(std::string(error.what()),
              "kafka_exporter flags: key 'serve.single_port': found true with serve.broker_id "
              "set, allowed single_port or sidecar mode (serve.broker_id), not both");
  }
}

}  // namespace
}  // namespace kse::config
