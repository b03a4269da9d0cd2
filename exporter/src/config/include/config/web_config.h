#pragma once

#include <map>
#include <string>

// The file of --web.config.file / serve.web_config_file, in the Prometheus
// exporter-toolkit format: TLS (with optional client certificates) and bcrypt basic auth.
namespace kse::config {

struct WebTlsConfig {
  std::string cert_file;  // empty: plain HTTP
  std::string key_file;
  // NoClientCert, RequestClientCert, RequireAnyClientCert, VerifyClientCertIfGiven,
  // RequireAndVerifyClientCert
  std::string client_auth_type = "NoClientCert";
  std::string client_ca_file;
  std::string min_version = "TLS12";  // TLS10..TLS13
  std::string max_version;            // empty: the newest the library speaks
};

struct WebConfig {
  WebTlsConfig tls;
  std::map<std::string, std::string> basic_auth_users;  // user -> bcrypt hash
};

// Reads and checks `path`. Throws ConfigError: "<file>:<line>: key '<key>': found .., allowed ..".
WebConfig load_web_config(const std::string& path);
WebConfig parse_web_config(const std::string& text, const std::string& source_name);

}  // namespace kse::config
