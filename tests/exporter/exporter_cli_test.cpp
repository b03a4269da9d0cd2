// The binary's command line: --help, --version and configuration errors (one line, exit 2).
#include <gtest/gtest.h>

#include <fstream>

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

TEST(ExporterCliTest, MetricsDocCommandPrintsTheTable) {
  auto result = run_command(binary() + " --print-metrics-doc");
  EXPECT_EQ(result.exit_code, 0);
  EXPECT_NE(result.output.find("| `kafka_consumergroup_lag_seconds` | gauge |"), std::string::npos);
}

TEST(ExporterCliTest, ConfigReferenceCommandPrintsTheKeyTable) {
  auto result = run_command(binary() + " --print-config-reference");
  EXPECT_EQ(result.exit_code, 0);
  EXPECT_NE(result.output.find("| `serve.cluster_port` | an integer 1..65535 | `9308` |"),
            std::string::npos)
      << result.output;
}

}  // namespace
}  // namespace kse::test
