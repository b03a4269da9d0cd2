#pragma once

#include <atomic>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

#include "http/bcrypt_users.h"
#include "render/exposition.h"

struct mg_context;
struct mg_connection;

// The exporter's HTTP ports (civetweb, one context per port so ports come and go
// at runtime): /metrics serves the page rendered by the last cycle, /healthz, /ready,
// and `/` the status page published for the port, else a small index page. /metrics
// answers OpenMetrics 1.0 to a client whose Accept header prefers it, and only the
// families named by `name[]` when given.
namespace kse::http {

struct ServerOptions {
  std::string listen_address = "0.0.0.0";
  std::string tls_cert_file;  // PEM; with tls_key_file, the ports speak HTTPS
  std::string tls_key_file;
  // The exporter-toolkit's names: NoClientCert, RequestClientCert, RequireAnyClientCert,
  // VerifyClientCertIfGiven, RequireAndVerifyClientCert.
  std::string tls_client_auth_type = "NoClientCert";
  std::string tls_client_ca_file;
  std::string tls_min_version = "TLS12";  // TLS10..TLS13
  std::string tls_max_version;            // empty: the newest
  std::string basic_auth_username;        // plaintext password (serve.basic_auth)
  std::string basic_auth_password;
  std::map<std::string, std::string> bcrypt_users;  // user -> bcrypt hash (web config)
  int threads_per_port = 16;
  std::string metrics_path = "/metrics";  // served besides /metrics
};

// Stands for the host a request named (its Host header) in a status page's links to other ports.
inline constexpr std::string_view kRequestHostToken = "kse-request-host.invalid";

class ServerError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class TlsFront;
}  // namespace kse::http

namespace kse::common {
class CredentialWatch;
}  // namespace kse::common

namespace kse::http {

class HttpServer {
 public:
  explicit HttpServer(ServerOptions options);
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Starts serving `port` (no-op when it already does). `role` is shown on its index
  // page ("broker 2", "cluster"). Throws ServerError naming the port when it cannot bind.
  void ensure_port(int port, const std::string& role);
  void remove_port(int port);
  bool serves(int port) const;

  // Swaps the page a port serves; a scrape in progress keeps the page it started with.
  void publish(int port, std::shared_ptr<const render::RenderedPage> page);
  // The HTML a port answers on `/` instead of its index page; kRequestHostToken in it becomes
  // the host the request named.
  void publish_status_page(int port, std::shared_ptr<const std::string> html);
  void set_ready(bool ready, const std::string& reason);

  // HTTPS: when the certificate, key or client CA file changed since the last look, new
  // connections are served with them (open ones keep theirs). Nothing when nothing changed,
  // else "" when the new files are in use or why they cannot be (the previous ones stay).
  std::optional<std::string> reload_tls_if_changed();

 private:
  struct Port;
  static int handle(mg_connection* connection, void* port);
  int serve(mg_connection* connection, Port& port);
  bool authorized(mg_connection* connection);
  // The OpenMetrics text (and its gzip) of the page a port serves, made on first request.
  std::shared_ptr<const std::pair<std::string, std::string>> openmetrics_of(
      Port& port, const std::shared_ptr<const render::RenderedPage>& page);

  ServerOptions options_;
  std::unique_ptr<TlsFront> tls_front_;  // HTTPS: takes the public ports, civetweb stays on loopback
  std::unique_ptr<common::CredentialWatch> tls_files_;
  std::unique_ptr<BcryptUsers> bcrypt_users_;
  mutable std::mutex mutex_;
  std::map<int, std::unique_ptr<Port>> ports_;
  std::atomic<bool> ready_{false};
  std::shared_ptr<const std::string> not_ready_reason_;
};

}  // namespace kse::http
