#pragma once

#include <atomic>
#include <map>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>

#include "render/exposition.h"

struct mg_context;
struct mg_connection;

// The exporter's HTTP ports (civetweb, one context per port so ports come and go
// at runtime): /metrics serves the page rendered by the last cycle, /healthz,
// /ready and a small index page.
namespace kse::http {

struct ServerOptions {
  std::string listen_address = "0.0.0.0";
  std::string tls_cert_file;  // PEM; with tls_key_file, the ports speak HTTPS
  std::string tls_key_file;
  std::string basic_auth_username;
  std::string basic_auth_password;
  int threads_per_port = 16;
  std::string metrics_path = "/metrics";  // served besides /metrics
};

class ServerError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

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
  void set_ready(bool ready, const std::string& reason);

 private:
  struct Port;
  static int handle(mg_connection* connection, void* port);
  int serve(mg_connection* connection, Port& port);
  bool authorized(mg_connection* connection) const;

  ServerOptions options_;
  mutable std::mutex mutex_;
  std::map<int, std::unique_ptr<Port>> ports_;
  std::atomic<bool> ready_{false};
  std::shared_ptr<const std::string> not_ready_reason_;
};

}  // namespace kse::http
