// The built binary never shows a secret: not in --check-config, not in configuration errors,
// not in its log, not on its HTTP pages. Secrets are distinctive strings grepped for.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "exporter_process.h"
#include "support/test_support.h"

namespace kse::test {
namespace {

const std::vector<std::string> kSecrets = {"Qx1-inline-secret", "Qx2-file-secret", "Qx3-env-secret",
                                           "Qx4-flag-secret", "Qx5-web-secret"};

std::string binary() { return build_dir() + "/exporter/kafka-sidecar-exporter"; }

class SecretsCliTest : public testing::Test {
 protected:
  void SetUp() override {
    dir_ = "/tmp/kse-secrets-cli-" + std::to_string(::getpid());
    ::mkdir(dir_.c_str(), 0700);
    password_file_ = write("sasl-password", kSecrets[1] + "\n", 0640);
  }
  void TearDown() override { run_command("rm -rf " + dir_); }
  std::string write(const std::string& name, const std::string& content, mode_t mode = 0600) {
    const std::string path = dir_ + "/" + name;
    std::ofstream(path) << content;
    ::chmod(path.c_str(), mode);
    return path;
  }
  static void expect_no_secret(const std::string& text, const std::string& what) {
    for (const auto& secret : kSecrets) {
      EXPECT_EQ(text.find(secret), std::string::npos) << what << " shows " << secret << ":\n" << text;
    }
  }
  std::string dir_;
  std::string password_file_;
};

TEST_F(SecretsCliTest, CheckConfigWarnsAboutInlineSecretsWithoutShowingThem) {
  const std::string config =
      write("exporter.yml",
            "kafka:\n  sasl:\n    mechanism: PLAIN\n    username: alice\n"
            "    password_file: " +
                password_file_ +
                "\nserve:\n  basic_auth:\n    username: prometheus\n    password: " + kSecrets[0] + "\n");
  const auto result = run_command("KSE_JMX_PASSWORD=" + kSecrets[2] + " " + binary() + " --check-config -c " +
                                  config + " 2>&1");
  EXPECT_EQ(result.exit_code, 0) << result.output;
  EXPECT_NE(result.output.find(config + ":9: key 'serve.basic_auth.password' holds a secret in the "
                                        "configuration file"),
            std::string::npos)
      << result.output;
  EXPECT_EQ(result.output.find("jmx.password"), std::string::npos) << result.output;
  expect_no_secret(result.output, "--check-config");

  const auto flag = run_command(binary() +
                                " --check-config --kafka.server=127.0.0.1:9092 --sasl.enabled "
                                "--sasl.username=alice --sasl.password=" +
                                kSecrets[3] + " 2>&1");
  EXPECT_EQ(flag.exit_code, 0) << flag.output;
  EXPECT_NE(
      flag.output.find("flag --sasl.password: key 'kafka.sasl.password' holds a secret on the command line"),
      std::string::npos)
      << flag.output;
  expect_no_secret(flag.output, "--check-config with --sasl.password");

  const auto reference = run_command(binary() + " --print-config-reference -c " + config + " 2>&1");
  EXPECT_EQ(reference.exit_code, 0);
  expect_no_secret(reference.output, "--print-config-reference");
}

TEST_F(SecretsCliTest, ConfigurationErrorsOnSecretKeysDoNotQuoteThem) {
  const std::string open = write("open-password", kSecrets[1], 0644);
  const std::string web = write("web.yml", "basic_auth_users:\n  prometheus: " + kSecrets[4] + "\n");
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"kafka:\n  sasl:\n    password: " + kSecrets[0] + "\n    password_file: " + password_file_ + "\n",
       "key 'kafka.sasl.password_file': found it together with 'kafka.sasl.password'"},
      {"jmx:\n  password_file: " + open + "\n", "with mode 0644, which every user of the host can read"},
      {"serve:\n  basic_auth:\n    password: [" + kSecrets[0] + "]\n",
       "key 'serve.basic_auth.password': found a list"},
      {"serve:\n  web_config_file: " + web + "\n", "found a value that is not a bcrypt hash"},
      {"kafka:\n  sasl:\n    mechanism: PLAIN\n    password: " + kSecrets[0] + "\n",
       "key 'kafka.sasl.username': found nothing"},
  };
  for (const auto& [yaml, message] : cases) {
    const std::string config = write("bad.yml", yaml);
    const auto result =
        run_command("KSE_JMX_PASSWORD=" + kSecrets[2] + " " + binary() + " -c " + config + " 2>&1");
    EXPECT_EQ(result.exit_code, 2) << yaml << result.output;
    EXPECT_NE(result.output.find(message), std::string::npos) << result.output;
    expect_no_secret(result.output, "the error for\n" + yaml);
  }
  const auto env =
      run_command("KSE_KAFKA_SASL_PASSWORD_FILE=" + password_file_ + " KSE_KAFKA_SASL_PASSWORD='" +
                  kSecrets[2] + ": [' " + binary() + " --check-config 2>&1");
  EXPECT_EQ(env.exit_code, 2) << env.output;
  EXPECT_NE(
      env.output.find("found it together with 'kafka.sasl.password' (environment KSE_KAFKA_SASL_PASSWORD)"),
      std::string::npos)
      << env.output;
  expect_no_secret(env.output, "an environment secret that is no YAML");
}

// The cluster port opens before any broker answers, so the pages and the log are read with
// nothing listening at the bootstrap address.
TEST_F(SecretsCliTest, LogAndPagesOfARunningExporterHoldNoSecret) {
  const int port = free_port_block();
  ASSERT_GT(port, 0) << "no free loopback port block";
  const std::string config =
      write("exporter.yml",
            "kafka:\n  bootstrap_servers: [127.0.0.1:1]\n  sasl:\n    mechanism: PLAIN\n"
            "    username: alice\n    password_file: " +
                password_file_ + "\nserve:\n  cluster_port: " + std::to_string(port) +
                "\n  broker_port_base: " + std::to_string(port + 100) +
                "\n  basic_auth:\n    username: prometheus\n    password: " + kSecrets[0] +
                "\njmx:\n  username: jolokia\nlog:\n  level: debug\n");
  const std::string log = dir_ + "/exporter.log";
  ::setenv("KSE_JMX_PASSWORD", kSecrets[2].c_str(), 1);
  ExporterProcess exporter({"-c", config}, log);
  ::unsetenv("KSE_JMX_PASSWORD");
  const std::string url = "http://127.0.0.1:" + std::to_string(port);
  const std::string auth = " -u prometheus:" + kSecrets[0] + " ";
  bool up = false;
  for (int i = 0; i < 100 && !up; ++i) {
    up = run_command("curl -sf -m 2" + auth + url + "/healthz").exit_code == 0;
    if (!up) std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  ASSERT_TRUE(up) << "the cluster port did not open";
  std::this_thread::sleep_for(std::chrono::seconds(2));  // a few failed cycles in the log
  const auto root = run_command("curl -s -m 5" + auth + url + "/");
  EXPECT_NE(root.output.find("kafka-sidecar-exporter"), std::string::npos) << root.output;
  expect_no_secret(root.output, "/");
  for (const std::string path : {"/ready", "/metrics", "/healthz", "/nowhere"}) {
    expect_no_secret(run_command("curl -s -i -m 5" + auth + url + path).output, path);
  }
  const auto refused = run_command("curl -s -i -m 5 -u prometheus:wrong " + url + "/");
  EXPECT_NE(refused.output.find("401"), std::string::npos) << refused.output;
  expect_no_secret(refused.output, "the 401 page");
  exporter.stop();
  std::ifstream in(log);
  const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_NE(text.find("key 'serve.basic_auth.password' holds a secret in the configuration file"),
            std::string::npos)
      << text;
  expect_no_secret(text, "the log");
}

}  // namespace
}  // namespace kse::test
