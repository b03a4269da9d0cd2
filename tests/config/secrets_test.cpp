// Secrets from files and the environment: `*_file` keys, their permissions, and that no
// error, warning or reference row ever holds the secret itself.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>

#include "config/config.h"

namespace kse::config {
namespace {

constexpr const char* kSecret = "Zq7-distinctive-secret";

class SecretsTest : public testing::Test {
 protected:
  void SetUp() override {
    dir_ = testing::TempDir() + "/kse-secrets-test-" + std::to_string(::getpid());
    ::mkdir(dir_.c_str(), 0700);
  }
  void TearDown() override {
    for (const auto& path : files_) std::remove(path.c_str());
    ::rmdir(dir_.c_str());
  }
  std::string write(const std::string& name, const std::string& content, mode_t mode = 0600) {
    const std::string path = dir_ + "/" + name;
    std::ofstream(path) << content;
    ::chmod(path.c_str(), mode);
    files_.push_back(path);
    return path;
  }
  // Loads `yaml` and `environment` as main() does: layers, then the secret files, then the checks.
  static Config load(const std::string& yaml, const std::vector<std::string>& environment = {}) {
    Config config = load_text(yaml, "exporter.yml");
    apply_environment(config, environment);
    read_secret_files(config);
    validate(config);
    return config;
  }
  static std::string error_of(const std::string& yaml, const std::vector<std::string>& environment = {}) {
    try {
      load(yaml, environment);
    } catch (const ConfigError& error) {
      const std::string message = error.what();
      EXPECT_EQ(message.find(kSecret), std::string::npos) << message;
      return message;
    }
    return "(accepted)";
  }
  std::string dir_;
  std::vector<std::string> files_;
};

TEST_F(SecretsTest, EveryPasswordIsReadFromItsFileWithoutTheTrailingNewline) {
  const std::string sasl = write("sasl", std::string(kSecret) + "-sasl\n");
  const std::string basic = write("basic", std::string(kSecret) + "-basic");
  const std::string jmx = write("jmx", std::string(kSecret) + "-jmx\r\n");
  const std::string two_lines = write("two", "line one\nline two\n\n");
  const Config config = load("kafka:\n  sasl: {mechanism: PLAIN, username: u, password_file: " + sasl +
                             "}\nserve:\n  basic_auth: {username: p, password_file: " + basic +
                             "}\njmx:\n  password_file: " + jmx + "\n");
  EXPECT_EQ(config.kafka.sasl.password, std::string(kSecret) + "-sasl");
  EXPECT_EQ(config.serve.basic_auth.password, std::string(kSecret) + "-basic");
  EXPECT_EQ(config.jmx.password, std::string(kSecret) + "-jmx");
  EXPECT_EQ(config.kafka.sasl.password_file, sasl);
  // Only one newline goes: the secret is whatever else the file holds.
  EXPECT_EQ(load("jmx:\n  password_file: " + two_lines + "\n").jmx.password, "line one\nline two\n");
}

TEST_F(SecretsTest, EnvironmentNamesTheFileOrHoldsTheSecret) {
  const std::string sasl = write("sasl", std::string(kSecret) + "\n");
  EXPECT_EQ(load("", {"KSE_KAFKA_SASL_PASSWORD_FILE=" + sasl}).kafka.sasl.password, kSecret);
  // Taken as it is, not as YAML: neither "a: b" nor "[x" is refused or quoted.
  EXPECT_EQ(load("", {"KSE_KAFKA_SASL_PASSWORD=a: b"}).kafka.sasl.password, "a: b");
  EXPECT_EQ(load("", {"KSE_SERVE_BASIC_AUTH_PASSWORD=[x"}).serve.basic_auth.password, "[x");
  Config config = load_text("", "exporter.yml");
  apply_override(config, std::string("jmx.password={") + kSecret, "flag --set");
  EXPECT_EQ(config.jmx.password, std::string("{") + kSecret);
}

TEST_F(SecretsTest, BothWaysAtOnceNameBothKeysAndWhereEachWasSet) {
  const std::string sasl = write("sasl", kSecret);
  EXPECT_EQ(error_of("kafka:\n  sasl:\n    password: " + std::string(kSecret) +
                     "\n    password_file: " + sasl + "\n"),
            "exporter.yml:4: key 'kafka.sasl.password_file': found it together with 'kafka.sasl.password' "
            "(exporter.yml:3), allowed one of the two");
  EXPECT_EQ(error_of("jmx:\n  password: " + std::string(kSecret) + "\n", {"KSE_JMX_PASSWORD_FILE=" + sasl}),
            "environment KSE_JMX_PASSWORD_FILE: key 'jmx.password_file': found it together with "
            "'jmx.password' (exporter.yml:2), allowed one of the two");
}

TEST_F(SecretsTest, FileEveryUserCanReadIsRefusedGroupReadableIsNot) {
  const std::string open = write("open", kSecret, 0644);
  EXPECT_EQ(error_of("serve:\n  basic_auth:\n    username: p\n    password_file: " + open + "\n"),
            "exporter.yml:4: key 'serve.basic_auth.password_file': found '" + open +
                "' with mode 0644, which every user of the host can read, allowed a file only its owner and "
                "group can read (chmod 600 or chmod 640 it; on Kubernetes, defaultMode: 0440 on the secret "
                "volume)");
  for (const mode_t mode : {0600, 0640, 0440, 0400}) {
    const std::string path = write("mode" + std::to_string(mode), kSecret, mode);
    EXPECT_EQ(load("jmx:\n  password_file: " + path + "\n").jmx.password, kSecret) << mode;
  }
}

TEST_F(SecretsTest, PrivateKeyEveryUserCanReadIsRefused) {
  const std::string key = write("key.pem", "not read: the mode is checked first\n", 0604);
  for (const std::string section : {"kafka", "serve"}) {
    const std::string error = error_of(section + ":\n  tls:\n    key_file: " + key + "\n");
    EXPECT_EQ(error.rfind("exporter.yml:3: key '" + section + ".tls.key_file': found '" + key +
                              "' with mode 0604, which every user of the host can read",
                          0),
              0u)
        << error;
  }
}

TEST_F(SecretsTest, MissingOrEmptyFileNamesKeyPathAndWhy) {
  EXPECT_EQ(error_of("kafka:\n  sasl:\n    password_file: " + dir_ + "/missing\n"),
            "exporter.yml:3: key 'kafka.sasl.password_file': found '" + dir_ +
                "/missing' (No such file or directory), allowed a readable file");
  EXPECT_EQ(error_of("", {"KSE_JMX_PASSWORD_FILE=" + dir_ + "/missing"}),
            "environment KSE_JMX_PASSWORD_FILE: key 'jmx.password_file': found '" + dir_ +
                "/missing' (No such file or directory), allowed a readable file");
  const std::string empty = write("empty", "\n");
  EXPECT_EQ(error_of("jmx:\n  password_file: " + empty + "\n"),
            "exporter.yml:2: key 'jmx.password_file': found '" + empty +
                "', which is empty, allowed a file holding the secret");
}

TEST_F(SecretsTest, InlineSecretsWarnWithoutTheSecret) {
  const std::string jmx = write("jmx", kSecret);
  Config config = load_text("kafka:\n  sasl:\n    password: " + std::string(kSecret) + "\n", "exporter.yml");
  apply_environment(
      config, {"KSE_SERVE_BASIC_AUTH_PASSWORD=" + std::string(kSecret), "KSE_JMX_PASSWORD_FILE=" + jmx});
  apply_override(config, "kafka.sasl.password=" + std::string(kSecret), "flag --set");
  read_secret_files(config);
  const auto warnings = inline_secret_warnings(config);
  ASSERT_EQ(warnings.size(), 1u);
  EXPECT_EQ(warnings[0],
            "flag --set: key 'kafka.sasl.password' holds a secret on the command line, where every user "
            "of the host sees it; put it in a file only the exporter can read and name that file with "
            "'kafka.sasl.password_file' (or KSE_KAFKA_SASL_PASSWORD_FILE), or set KSE_KAFKA_SASL_PASSWORD");
  const Config file_only = load_text("jmx:\n  password: " + std::string(kSecret) + "\n", "exporter.yml");
  ASSERT_EQ(inline_secret_warnings(file_only).size(), 1u);
  EXPECT_EQ(inline_secret_warnings(file_only)[0].rfind("exporter.yml:2: key 'jmx.password' holds a secret in "
                                                       "the configuration file; put it in a file",
                                                       0),
            0u);
}

TEST_F(SecretsTest, ReferenceRedactsSecretsAndShowsFiles) {
  const std::string sasl = write("sasl", kSecret);
  Config config = load_text("serve:\n  basic_auth: {username: p, password: " + std::string(kSecret) +
                                "}\nkafka:\n  sasl: {password_file: " + sasl + "}\n",
                            "exporter.yml");
  read_secret_files(config);
  std::map<std::string, std::string> values;
  for (const auto& row : key_reference(config)) {
    EXPECT_EQ(row.value.find(kSecret), std::string::npos) << row.key;
    values[row.key] = row.value;
  }
  EXPECT_EQ(values.at("serve.basic_auth.password"), "<redacted>");
  EXPECT_EQ(values.at("kafka.sasl.password"), "<redacted>");
  EXPECT_EQ(values.at("kafka.sasl.password_file"), sasl);
  EXPECT_EQ(values.at("jmx.password"), "");
}

TEST_F(SecretsTest, SecretOfTheWrongShapeIsNotQuoted) {
  EXPECT_EQ(error_of("kafka:\n  sasl:\n    password: [" + std::string(kSecret) + "]\n"),
            "exporter.yml:3: key 'kafka.sasl.password': found a list, allowed a string");
  EXPECT_EQ(error_of("jmx:\n  password: {" + std::string(kSecret) + ": x}\n"),
            "exporter.yml:2: key 'jmx.password': found a mapping, allowed a string");
}

TEST_F(SecretsTest, KerberosLoginNeedsPrincipalAndAKeytabOnlyItsOwnerCanRead) {
  const std::string keytab = write("exporter.keytab", "keytab bytes", 0600);
  const Config config = load(
      "kafka:\n  sasl:\n    mechanism: GSSAPI\n    kerberos:\n      principal: "
      "kse-exporter@KSE.TEST\n      keytab: " +
      keytab + "\n");
  EXPECT_EQ(config.kafka.sasl.kerberos.keytab, keytab);
  EXPECT_EQ(config.kafka.sasl.kerberos.service_name, "kafka");
  EXPECT_EQ(config.kafka.sasl.username, "");
  EXPECT_EQ(
      error_of("kafka:\n  sasl:\n    mechanism: GSSAPI\n    kerberos: {keytab: " + keytab + "}\n"),
      "exporter.yml:3: key 'kafka.sasl.kerberos.principal': found nothing, allowed the exporter's Kerberos "
      "principal when kafka.sasl.mechanism is GSSAPI");
  EXPECT_EQ(
      error_of("kafka:\n  sasl:\n    mechanism: GSSAPI\n    kerberos: {principal: kse-exporter}\n"),
      "exporter.yml:3: key 'kafka.sasl.kerberos.keytab': found nothing, allowed a keytab with the key of "
      "kse-exporter when kafka.sasl.mechanism is GSSAPI");
  const std::string open = write("open.keytab", "keytab bytes", 0644);
  EXPECT_EQ(
      error_of("", {"KSE_KAFKA_SASL_KERBEROS_KEYTAB=" + open}),
      "environment KSE_KAFKA_SASL_KERBEROS_KEYTAB: key 'kafka.sasl.kerberos.keytab': found '" + open +
          "' with mode 0644, which every user of the host can read, allowed a file only its owner and group "
          "can read (chmod 600 or chmod 640 it; on Kubernetes, defaultMode: 0440 on the secret volume)");
  EXPECT_EQ(error_of("kafka:\n  sasl:\n    kerberos:\n      keytab: " + dir_ + "/missing\n"),
            "exporter.yml:4: key 'kafka.sasl.kerberos.keytab': found '" + dir_ +
                "/missing' (No such file or directory), allowed a readable file");
  EXPECT_EQ(error_of("kafka:\n  sasl:\n    kerberos:\n      service_name: \"\"\n"),
            "exporter.yml:4: key 'kafka.sasl.kerberos.service_name': found nothing, allowed a Kerberos "
            "service name (the "
            "brokers' sasl.kerberos.service.name, usually kafka)");
}

}  // namespace
}  // namespace kse::config

namespace kse::config {
namespace {

TEST_F(SecretsTest, RotatedSecretFilesAreReadAgainWithTheChecksOfTheStart) {
  const std::string sasl = write("sasl", std::string(kSecret) + "-1\n");
  const std::string jmx = write("jmx", std::string(kSecret) + "-jmx");
  Config config = load("kafka:\n  sasl: {mechanism: PLAIN, username: u, password_file: " + sasl +
                       "}\njmx:\n  password_file: " + jmx + "\n");
  // Only what the logins to Kafka read is watched.
  EXPECT_EQ(credential_files(config), std::vector<std::string>{sasl});
  write("sasl", std::string(kSecret) + "-2\n");
  reread_secret_files(config);
  EXPECT_EQ(config.kafka.sasl.password, std::string(kSecret) + "-2");
  EXPECT_EQ(config.jmx.password, std::string(kSecret) + "-jmx");
  ::chmod(sasl.c_str(), 0644);
  try {
    reread_secret_files(config);
    ADD_FAILURE() << "a secret file every user can read was read again";
  } catch (const ConfigError& error) {
    EXPECT_NE(std::string(error.what()).find("with mode 0644"), std::string::npos) << error.what();
  }
  write("sasl", "", 0600);
  EXPECT_THROW(reread_secret_files(config), ConfigError) << "an emptied secret file";
}

// private_key_jwt: the client's key instead of a secret, watched like the other login files.
TEST_F(SecretsTest, OAuthBearerTakesASecretOrAPrivateKeyNotBoth) {
  const std::string key = dir_ + "/client-key.pem";
  ASSERT_EQ(std::system(("openssl genpkey -algorithm RSA -out " + key + " 2>/dev/null").c_str()), 0);
  files_.push_back(key);
  ::chmod(key.c_str(), 0600);
  const std::string oauth =
      "kafka:\n  sasl:\n    mechanism: OAUTHBEARER\n    oauthbearer:\n"
      "      token_endpoint_url: https://idp.example/token\n      client_id: kse\n"
      "      private_key_file: " +
      key + "\n";
  const Config config = load(oauth);
  EXPECT_EQ(config.kafka.sasl.oauthbearer.private_key_file, key);
  EXPECT_EQ(credential_files(config), std::vector<std::string>{key});
  EXPECT_EQ(error_of(oauth + "      client_secret: s\n"),
            "exporter.yml:7: key 'kafka.sasl.oauthbearer.private_key_file': found it together with a client "
            "secret, allowed one way for the client to authenticate");
}

}  // namespace
}  // namespace kse::config
