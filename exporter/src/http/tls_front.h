#pragma once

// Boost 1.74's awaitable.hpp uses std::exchange without including <utility>.
#include <utility>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

// HTTPS for the exporter's ports: accepts TLS on each public port and relays the plain
// bytes of every connection to that port's HTTP server on a loopback port. The HTTP
// server never sees TLS (Debian 12's civetweb cannot speak it with OpenSSL 3); client
// certificates are checked here, by the context the caller set up.
namespace kse::http {

class TlsFront {
 public:
  // `context` is ready to serve (certificate, key, versions, client verification).
  explicit TlsFront(std::shared_ptr<boost::asio::ssl::context> context);
  ~TlsFront();
  TlsFront(const TlsFront&) = delete;
  TlsFront& operator=(const TlsFront&) = delete;

  // Listens on address:port and relays to 127.0.0.1:backend. Throws std::runtime_error when it
  // cannot bind.
  void add_port(const std::string& address, int port, int backend);
  void remove_port(int port);
  // Connections accepted from now on use `context` (a rotated certificate); open ones keep theirs.
  void use_context(std::shared_ptr<boost::asio::ssl::context> context);
  std::shared_ptr<boost::asio::ssl::context> context() const;

  // A handshake must end within this; a connection with no byte either way for this long is closed.
  static constexpr std::chrono::seconds kHandshakeTimeout{10};
  static constexpr std::chrono::seconds kIdleTimeout{60};
  // Connections relayed at once per port; more wait in the listen backlog.
  static constexpr int kMaxConnectionsPerPort = 64;

  struct Listener;  // one public port: its acceptor and backend, shared with its connections

 private:
  mutable std::mutex mutex_;
  std::shared_ptr<boost::asio::ssl::context> context_;  // each connection holds the one it was made with
  boost::asio::io_context io_;
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> work_;
  std::map<int, std::shared_ptr<Listener>> listeners_;
  std::thread thread_;
};

}  // namespace kse::http
