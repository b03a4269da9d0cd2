#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace kse::oauth {
class TokenProvider;
}  // namespace kse::oauth

namespace kse::kafka {

struct TlsSettings {
  bool enabled = false;
  std::string ca_file;  // empty: the system's trust store
  std::string cert_file;
  std::string key_file;
  bool verify_hostname = true;
};

struct SaslSettings {
  std::string mechanism = "none";  // none, PLAIN, SCRAM-SHA-256, SCRAM-SHA-512, GSSAPI
  std::string username;
  std::string password;
  // GSSAPI: the broker's principal is kerberos_service_name/<broker host>.
  std::string kerberos_service_name = "kafka";
  std::string kerberos_principal;
  std::string kerberos_keytab;
  // OAUTHBEARER: the tokens to log in with, shared with the probe.
  std::shared_ptr<oauth::TokenProvider> token_provider;
};

struct ClientConfig {
  std::vector<std::string> bootstrap_servers = {"127.0.0.1:9092"};
  std::string client_id = "kafka-sidecar-exporter";
  std::chrono::milliseconds request_timeout{3000};
  std::chrono::milliseconds connect_timeout{3000};
  std::chrono::milliseconds backoff_min{100};
  // Capped low: a broker that comes back is used again within a cycle or two.
  std::chrono::milliseconds backoff_max{2000};
  // A refused login is retried only after this long, never in a loop.
  std::chrono::milliseconds authentication_retry{30000};
  size_t max_frame_bytes = 100 * 1024 * 1024;
  TlsSettings tls;
  SaslSettings sasl;
};

}  // namespace kse::kafka
