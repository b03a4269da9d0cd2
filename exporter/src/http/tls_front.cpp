#include "tls_front.h"

#include <fcntl.h>

#include <array>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <future>
#include <stdexcept>

namespace kse::http {

namespace asio = boost::asio;
using asio::awaitable;
using asio::ip::tcp;
using Clock = std::chrono::steady_clock;

struct TlsFront::Listener {
  explicit Listener(asio::io_context& io) : acceptor(io) {}
  tcp::acceptor acceptor;
  int backend = 0;
  int active = 0;  // connections being relayed; the io thread's only
};

namespace {

constexpr auto kRedirect = [](boost::system::error_code& error) {
  return asio::redirect_error(asio::use_awaitable, error);
};

// Asio opens sockets without FD_CLOEXEC: a process the exporter starts (librdkafka's kinit, say)
// would hold a relayed connection open after the relay closed it, and a civetweb worker with it.
template <typename Socket>
void close_on_exec(Socket& socket) {
  if (socket.is_open()) ::fcntl(socket.native_handle(), F_SETFD, FD_CLOEXEC);
}

// One client: its TLS stream, the plain connection to the HTTP server, and a watchdog that
// closes both at the deadline (the handshake's, then the idle one pushed on by every byte).
struct Relay {
  Relay(tcp::socket socket, std::shared_ptr<asio::ssl::context> made_with,
        std::shared_ptr<TlsFront::Listener> owner)
      : context(std::move(made_with)),
        tls(std::move(socket), *context),
        plain(tls.get_executor()),
        watchdog(tls.get_executor()),
        listener(std::move(owner)) {
    ++listener->active;
  }
  ~Relay() { --listener->active; }

  void close() {
    if (closed) return;
    closed = true;
    boost::system::error_code ignored;
    tls.lowest_layer().close(ignored);
    plain.close(ignored);
    watchdog.cancel();
  }

  std::shared_ptr<asio::ssl::context> context;  // outlives the stream made from it
  asio::ssl::stream<tcp::socket> tls;
  tcp::socket plain;
  asio::steady_timer watchdog;
  Clock::time_point deadline;
  bool closed = false;
  std::shared_ptr<TlsFront::Listener> listener;
};

awaitable<void> watch(std::shared_ptr<Relay> relay) {
  while (!relay->closed) {
    relay->watchdog.expires_at(relay->deadline);
    boost::system::error_code error;
    co_await relay->watchdog.async_wait(kRedirect(error));
    if (!relay->closed && Clock::now() >= relay->deadline) relay->close();
  }
}

// Copies one direction until it ends; the response direction ends the TLS session properly
// (close_notify), so a client reading to the end sees a clean end.
template <typename From, typename To>
awaitable<void> pump(std::shared_ptr<Relay> relay, From& from, To& to, bool to_client) {
  std::array<char, 16384> buffer;
  for (;;) {
    boost::system::error_code error;
    const size_t read = co_await from.async_read_some(asio::buffer(buffer), kRedirect(error));
    if (error || read == 0) break;
    relay->deadline = Clock::now() + TlsFront::kIdleTimeout;
    co_await asio::async_write(to, asio::buffer(buffer.data(), read), kRedirect(error));
    if (error) break;
  }
  if (to_client && !relay->closed) {
    relay->deadline = Clock::now() + std::chrono::seconds(2);
    boost::system::error_code ignored;
    co_await relay->tls.async_shutdown(kRedirect(ignored));
  }
  relay->close();
}

awaitable<void> serve(std::shared_ptr<TlsFront::Listener> listener, tcp::socket socket,
                      std::shared_ptr<asio::ssl::context> context) {
  auto relay = std::make_shared<Relay>(std::move(socket), std::move(context), listener);
  relay->deadline = Clock::now() + TlsFront::kHandshakeTimeout;
  auto executor = co_await asio::this_coro::executor;
  asio::co_spawn(executor, watch(relay), asio::detached);
  boost::system::error_code error;
  co_await relay->tls.async_handshake(asio::ssl::stream_base::server, kRedirect(error));
  if (!error) relay->plain.open(tcp::v4(), error);
  if (!error) {
    close_on_exec(relay->plain);
    co_await relay->plain.async_connect(
        tcp::endpoint(asio::ip::address_v4::loopback(), static_cast<unsigned short>(listener->backend)),
        kRedirect(error));
  }
  if (error) {
    relay->close();
    co_return;
  }
  relay->deadline = Clock::now() + TlsFront::kIdleTimeout;
  asio::co_spawn(executor, pump(relay, relay->tls, relay->plain, false), asio::detached);
  co_await pump(relay, relay->plain, relay->tls, true);
}

awaitable<void> accept(std::shared_ptr<TlsFront::Listener> listener, const TlsFront& front) {
  auto executor = co_await asio::this_coro::executor;
  asio::steady_timer pause(executor);
  for (;;) {
    boost::system::error_code error;
    tcp::socket socket = co_await listener->acceptor.async_accept(kRedirect(error));
    if (!listener->acceptor.is_open()) co_return;
    if (error) {
      // Out of descriptors, say: wait a little rather than spin.
      pause.expires_after(std::chrono::milliseconds(100));
      co_await pause.async_wait(kRedirect(error));
      continue;
    }
    close_on_exec(socket);
    if (listener->active >= TlsFront::kMaxConnectionsPerPort) {
      socket.close(error);
      continue;
    }
    asio::co_spawn(executor, serve(listener, std::move(socket), front.context()), asio::detached);
  }
}

}  // namespace

TlsFront::TlsFront(std::shared_ptr<asio::ssl::context> context)
    : context_(std::move(context)), work_(asio::make_work_guard(io_)), thread_([this] { io_.run(); }) {}

TlsFront::~TlsFront() {
  work_.reset();
  io_.stop();
  thread_.join();
}

void TlsFront::add_port(const std::string& address, int port, int backend) {
  auto listener = std::make_shared<Listener>(io_);
  listener->backend = backend;
  try {
    const tcp::endpoint endpoint(asio::ip::make_address(address), static_cast<unsigned short>(port));
    listener->acceptor.open(endpoint.protocol());
    close_on_exec(listener->acceptor);
    listener->acceptor.set_option(tcp::acceptor::reuse_address(true));
    listener->acceptor.bind(endpoint);
    listener->acceptor.listen();
  } catch (const boost::system::system_error& error) {
    throw std::runtime_error(error.code().message());
  }
  {
    std::lock_guard lock(mutex_);
    listeners_[port] = listener;
  }
  asio::co_spawn(io_, accept(listener, *this), asio::detached);
}

void TlsFront::use_context(std::shared_ptr<asio::ssl::context> context) {
  std::lock_guard lock(mutex_);
  context_ = std::move(context);
}

std::shared_ptr<asio::ssl::context> TlsFront::context() const {
  std::lock_guard lock(mutex_);
  return context_;
}

void TlsFront::remove_port(int port) {
  std::shared_ptr<Listener> listener;
  {
    std::lock_guard lock(mutex_);
    auto it = listeners_.find(port);
    if (it == listeners_.end()) return;
    listener = std::move(it->second);
    listeners_.erase(it);
  }
  // Closed on its own thread; the port is free when this returns. Connections being relayed finish.
  std::promise<void> closed;
  asio::post(io_, [&] {
    boost::system::error_code ignored;
    listener->acceptor.close(ignored);
    closed.set_value();
  });
  closed.get_future().wait();
}

}  // namespace kse::http
