#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

namespace kse::kafka {

struct TlsSettings {
  bool enabled = false;
  std::string ca_file;  // empty: the system's trust store
  std::string cert_file;
  std::string key_file;
  bool verify_hostname = true;
};

struct SaslSettings {
  std::string mechanism = "none";  // none, PLAIN, SCRAM-SHA-256, SCRAM-SHA-512
  std::string username;
  std::string password;
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
