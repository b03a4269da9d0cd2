#include "config/web_config.h"

#include <gtest/gtest.h>

#include <sys/stat.h>

#include <fstream>

#include "config/config.h"

namespace kse::config {
namespace {

// htpasswd -B's format; the password is "secret".
constexpr const char* kHash = "$2b$12$BROKHZj5A6KZRmxVNA3P2.B6xZm/wbbwwMWD6OpBhKBi2/bpbKQki";

class WebConfigTest : public testing::Test {
 protected:
  void SetUp() override {
    pem_ = testing::TempDir() + "/web_config_test.pem";
    std::ofstream(pem_) << "not checked here: the TLS context reads it\n";
    ::chmod(pem_.c_str(), 0600);  // it serves as the private key too
  }
  // The one-line error `text` is refused with.
  std::string error_of(const std::string& text) {
    try {
      parse_web_config(text, "web.yml");
    } catch (const ConfigError& error) {
      return error.what();
    }
    return "(accepted)";
  }
  std::string pem_;
};

TEST_F(WebConfigTest, ReadsEveryKey) {
  const WebConfig web = parse_web_config(
      "tls_server_config:\n"
      "  cert_file: " +
          pem_ +
          "\n"
          "  key_file: " +
          pem_ +
          "\n"
          "  client_auth_type: RequireAndVerifyClientCert\n"
          "  client_ca_file: " +
          pem_ +
          "\n"
          "  min_version: TLS12\n"
          "  max_version: TLS13\n"
          "basic_auth_users:\n"
          "  prometheus: " +
          std::string(kHash) + "\n",
      "web.yml");
  EXPECT_EQ(web.tls.cert_file, pem_);
  EXPECT_EQ(web.tls.key_file, pem_);
  EXPECT_EQ(web.tls.client_auth_type, "RequireAndVerifyClientCert");
  EXPECT_EQ(web.tls.client_ca_file, pem_);
  EXPECT_EQ(web.tls.min_version, "TLS12");
  EXPECT_EQ(web.tls.max_version, "TLS13");
  ASSERT_EQ(web.basic_auth_users.size(), 1u);
  EXPECT_EQ(web.basic_auth_users.at("prometheus"), kHash);
}

TEST_F(WebConfigTest, EmptyFileMeansPlainHttpWithoutAuth) {
  const WebConfig web = parse_web_config("", "web.yml");
  EXPECT_TRUE(web.tls.cert_file.empty());
  EXPECT_TRUE(web.basic_auth_users.empty());
}

TEST_F(WebConfigTest, AuthWithoutTls) {
  const WebConfig web = parse_web_config(std::string("basic_auth_users:\n  a: ") + kHash + "\n", "web.yml");
  EXPECT_TRUE(web.tls.cert_file.empty());
  EXPECT_EQ(web.basic_auth_users.size(), 1u);
}

TEST_F(WebConfigTest, RefusesUnknownTopLevelKey) {
  EXPECT_EQ(error_of("tls_config:\n  cert_file: x\n"),
            "web.yml:1: key 'tls_config': found an unknown key, allowed tls_server_config, basic_auth_users");
}

TEST_F(WebConfigTest, RefusesHttpServerConfigAsNotImplemented) {
  EXPECT_EQ(error_of("http_server_config:\n  http2: false\n"),
            "web.yml:1: key 'http_server_config': found a key this exporter does not implement, "
            "allowed tls_server_config, basic_auth_users");
}

TEST_F(WebConfigTest, RefusesUnknownTlsKey) {
  EXPECT_EQ(error_of("tls_server_config:\n  cert_file: " + pem_ + "\n  key_file: " + pem_ +
                     "\n  cipher_suite: x\n"),
            "web.yml:4: key 'tls_server_config.cipher_suite': found an unknown key, allowed cert_file, "
            "key_file, client_auth_type, client_ca_file, min_version, max_version");
}

TEST_F(WebConfigTest, RefusesUnreadableFile) {
  EXPECT_EQ(error_of("tls_server_config:\n  cert_file: /nonexistent/cert.pem\n"),
            "web.yml:2: key 'tls_server_config.cert_file': found '/nonexistent/cert.pem' (cannot be "
            "read), allowed a readable file");
}

TEST_F(WebConfigTest, RefusesCertificateWithoutKey) {
  EXPECT_EQ(error_of("tls_server_config:\n  cert_file: " + pem_ + "\n"),
            "web.yml:2: key 'tls_server_config': found cert_file or key_file missing, allowed both "
            "cert_file and key_file");
}

TEST_F(WebConfigTest, RefusesUnknownClientAuthType) {
  EXPECT_EQ(error_of("tls_server_config:\n  client_auth_type: Always\n"),
            "web.yml:2: key 'tls_server_config.client_auth_type': found 'Always', allowed one of "
            "NoClientCert RequestClientCert RequireAnyClientCert VerifyClientCertIfGiven "
            "RequireAndVerifyClientCert");
}

TEST_F(WebConfigTest, RefusesVerificationWithoutCa) {
  EXPECT_EQ(error_of("tls_server_config:\n  cert_file: " + pem_ + "\n  key_file: " + pem_ +
                     "\n  client_auth_type: RequireAndVerifyClientCert\n"),
            "web.yml:2: key 'tls_server_config.client_ca_file': found nothing, allowed a CA file when "
            "client_auth_type is RequireAndVerifyClientCert");
}

TEST_F(WebConfigTest, RefusesUnknownAndInvertedVersions) {
  EXPECT_EQ(error_of("tls_server_config:\n  min_version: TLS14\n"),
            "web.yml:2: key 'tls_server_config.min_version': found 'TLS14', allowed one of TLS10 TLS11 "
            "TLS12 TLS13");
  EXPECT_EQ(error_of("tls_server_config:\n  cert_file: " + pem_ + "\n  key_file: " + pem_ +
                     "\n  min_version: TLS13\n  max_version: TLS12\n"),
            "web.yml:2: key 'tls_server_config.max_version': found 'TLS12', allowed a version not "
            "older than min_version TLS13");
}

TEST_F(WebConfigTest, RefusesAPrivateKeyEveryUserCanRead) {
  ::chmod(pem_.c_str(), 0644);
  EXPECT_EQ(error_of("tls_server_config:\n  cert_file: " + pem_ + "\n  key_file: " + pem_ + "\n"),
            "web.yml:3: key 'tls_server_config.key_file': found '" + pem_ +
                "' with mode 0644, which every user of the host can read, allowed a file only its owner "
                "and group can read (chmod 600 or chmod 640 it; on Kubernetes, defaultMode: 0440 on the "
                "secret volume)");
  ::chmod(pem_.c_str(), 0640);
  EXPECT_EQ(error_of("tls_server_config:\n  cert_file: " + pem_ + "\n  key_file: " + pem_ + "\n"),
            "(accepted)");
}

TEST_F(WebConfigTest, RefusesPlaintextPasswordsAndMalformedHashes) {
  EXPECT_EQ(error_of("basic_auth_users:\n  prometheus: secret\n"),
            "web.yml:2: key 'basic_auth_users.prometheus': found a value that is not a bcrypt hash "
            "(a plain-text password?), allowed a bcrypt hash ($2a$, $2b$ or $2y$, as htpasswd -B makes)");
  // An MD5-crypt hash, as htpasswd makes without -B.
  EXPECT_NE(error_of("basic_auth_users:\n  p: $apr1$abc$0123456789012345678901\n").find("bcrypt hash"),
            std::string::npos);
  EXPECT_NE(error_of("basic_auth_users:\n  - prometheus\n").find("a mapping of user to bcrypt hash"),
            std::string::npos);
  EXPECT_NE(error_of(std::string("basic_auth_users:\n  \"a:b\": ") + kHash + "\n").find("':'"),
            std::string::npos);
}

TEST_F(WebConfigTest, RefusesYamlThatIsNotAMapping) {
  EXPECT_EQ(error_of("- a\n"), "web.yml: key '(top level)': found a list, allowed a mapping");
  EXPECT_NE(error_of("a: [\n").find("web.yml:"), std::string::npos);
}

TEST_F(WebConfigTest, MissingFileIsOneLine) {
  try {
    load_web_config("/nonexistent/web.yml");
    FAIL();
  } catch (const ConfigError& error) {
    EXPECT_STREQ(error.what(), "/nonexistent/web.yml: cannot read the web configuration file");
  }
}

TEST(WebConfigKeyTest, RefusedTogetherWithTheOlderKeys) {
  Config config = load_text("serve:\n  basic_auth:\n    username: a\n    password: b\n", "c.yml");
  apply_override(config, "serve.web_config_file=/dev/null", "flag --web.config.file");
  try {
    validate(config);
    FAIL();
  } catch (const ConfigError& error) {
    EXPECT_STREQ(error.what(),
                 "flag --web.config.file: key 'serve.web_config_file': found it together with "
                 "serve.basic_auth, allowed either serve.web_config_file or "
                 "serve.tls/serve.basic_auth, not both");
  }
}

}  // namespace
}  // namespace kse::config
