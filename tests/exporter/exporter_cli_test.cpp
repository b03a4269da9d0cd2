// The binary's command line: --help, --version and configuration errors (one line, exit 2).
#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <string>
#include <utility>
#include <vector>

#include "support/test_support.h"

namespace kse::test {
namespace {

std::string binary() { return build_dir() + "/exporter/kafka-sidecar-exporter"; }

TEST(ExporterCliTest, HelpAndVersion) {
  auto help = run_command(binary() + " --help");
  EXPECT_EQ(help.exit_code, 0);
  EXPECT_NE(help.output.find("--broker-id"), std::string::npos) << help.output;
  auto version = run_command(binary() + " --version");
  EXPECT_EQ(version.exit_code, 0);
  EXPECT_EQ(version.output.rfind("kafka-sidecar-exporter ", 0), 0u) << version.output;
}

TEST(ExporterCliTest, BadConfigurationFileIsOneLineAndExitTwo) {
  const std::string path = "/tmp/kse-cli-test-bad.yml";
  std::ofstream(path) << "serve:\n  cluster_port: 9308\n  broker_ports: {1: 70000}\n";
  // A port that would be busy proves nothing started: the check happens before any bind.
  auto result = run_command(binary() + " -c " + path);
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_EQ(result.output,
            "kafka-sidecar-exporter: configuration error: " + path +
                ":3: key 'serve.broker_ports.1': found '70000', allowed an integer 1..65535\n");
}

TEST(ExporterCliTest, MissingFileUnknownFlagAndBadEnvironment) {
  auto missing = run_command(binary() + " -c /nonexistent.yml");
  EXPECT_EQ(missing.exit_code, 2);
  EXPECT_NE(missing.output.find("/nonexistent.yml: cannot read configuration file"), std::string::npos);
  auto flag = run_command(binary() + " --no-such-flag");
  EXPECT_EQ(flag.exit_code, 2);
  auto env = run_command("KSE_COLLECT_INTERVAL=often " + binary());
  EXPECT_EQ(env.exit_code, 2);
  EXPECT_NE(env.output.find("environment KSE_COLLECT_INTERVAL: key 'collect.interval': found 'often'"),
            std::string::npos)
      << env.output;
}

TEST(ExporterCliTest, CheckConfigAcceptsTheShippedExample) {
  auto result = run_command("cd " + source_dir() + " && " + binary() +
                            " --check-config -c exporter/examples/local-cluster.yml");
  EXPECT_EQ(result.exit_code, 0) << result.output;
}

TEST(ExporterCliTest, KafkaExporterFlagsAreReadWithOurs) {
  const std::string path = "/tmp/kse-cli-test-kafka-exporter.yml";
  std::ofstream(path) << "serve:\n  cluster_port: 9400\n";
  auto result = run_command(binary() + " --check-config -c " + path +
                            " --kafka.server 127.0.0.1:9092 --kafka.server=127.0.0.1:9192"
                            " --web.listen-address=:18308 --sasl.enabled --sasl.username=alice"
                            " --sasl.password=alice-secret --kafka.version=2.0.0");
  EXPECT_EQ(result.exit_code, 0) << result.output;
  EXPECT_NE(result.output.find("kafka_exporter flag --kafka.version ignored: the exporter asks "
                               "each broker which request versions it speaks (ApiVersions)"),
            std::string::npos)
      << result.output;
  EXPECT_NE(result.output.find("configuration OK (" + path + ")"), std::string::npos) << result.output;
}

TEST(ExporterCliTest, RefusedKafkaExporterFlagsAreOneLineAndExitTwo) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"--use.consumelag.zookeeper", "flag --use.consumelag.zookeeper: not supported"},
      {"--sasl.enabled --sasl.username=u --sasl.mechanism=gssapi",
       "flag --sasl.mechanism: 'gssapi' is not supported yet; supported: plain, scram-sha256, "
       "scram-sha512"},
      {"--sasl.mechanism=awsiam", "flag --sasl.mechanism: 'awsiam' is not supported yet"},
      {"--no-offset.show-all", "flag --offset.show-all: false is not supported"},
      {"--kafka.labels=cluster=prod", "flag --kafka.labels: not supported yet"},
      {"--tls.server-name=kafka", "flag --tls.server-name: not supported yet"},
      {"--server.tls.mutual-auth-enabled", "flag --server.tls.mutual-auth-enabled: not supported"},
      {"--web.listen-address=9308", "flag --web.listen-address: found '9308'"},
      {"--kafka.server=kafka", "flag --kafka.server: key 'kafka.bootstrap_servers': found 'kafka'"},
      {"--web.telemetry-path=/healthz", "flag --web.telemetry-path: key 'serve.metrics_path'"},
      {"'--topic.filter=('", "flag --topic.filter: key 'filters.topic_include'"},
      {"--sasl.enabled=perhaps", "flag --sasl.enabled: found 'perhaps'"},
      {"--kafka.server", "flag --kafka.server: needs a value"},
      {"--kafka.server=127.0.0.1:9092 --broker-id 1",
       "kafka_exporter flags: key 'serve.single_port': found true with serve.broker_id set"},
  };
  for (const auto& [flags, message] : cases) {
    auto result = run_command(binary() + " " + flags);
    EXPECT_EQ(result.exit_code, 2) << flags;
    EXPECT_EQ(result.output.rfind("kafka-sidecar-exporter: configuration error: " + message, 0), 0u)
        << flags << ": " << result.output;
    EXPECT_EQ(std::count(result.output.begin(), result.output.end(), '\n'), 1) << result.output;
  }
}

TEST(ExporterCliTest, MetricsDocCommandPrintsTheTable) {
  auto result = run_command(binary() + " --print-metrics-doc");
  EXPECT_EQ(result.exit_code, 0);
  EXPECT_NE(result.output.find("| `kafka_consumergroup_lag_seconds` | gauge |"), std::string::npos);
}

TEST(ExporterCliTest, CollectorsCommandPrintsTheTable) {
  auto result = run_command(binary() + " --print-collectors");
  EXPECT_EQ(result.exit_code, 0);
  EXPECT_NE(result.output.find("| `offsets` | ListOffsets"), std::string::npos) << result.output;
}

TEST(ExporterCliTest, ConfigReferenceCommandPrintsTheKeyTable) {
  auto result = run_command(binary() + " --print-config-reference");
  EXPECT_EQ(result.exit_code, 0);
  EXPECT_NE(result.output.find("| `serve.cluster_port` | an integer 1..65535 | `9308` |"), std::string::npos)
      << result.output;
}

}  // namespace
}  // namespace kse::test
