#pragma once

// Boost 1.74's awaitable.hpp uses std::exchange without including <utility>.
#include <utility>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <chrono>
#include <deque>
#include <memory>
#include <vector>

// A loopback TCP proxy that delivers every byte `one_way` later, in order, in
// both directions: a network round trip of 2 × one_way between a client and a
// broker on the same machine, without touching the machine's network settings.
namespace kse::bench {

namespace asio = boost::asio;
using asio::ip::tcp;

class DelayedPipe : public std::enable_shared_from_this<DelayedPipe> {
 public:
  DelayedPipe(std::shared_ptr<tcp::socket> from, std::shared_ptr<tcp::socket> to,
              std::chrono::microseconds one_way)
      : from_(std::move(from)), to_(std::move(to)), one_way_(one_way), timer_(from_->get_executor()) {}

  void start() {
    asio::co_spawn(from_->get_executor(), read_loop(shared_from_this()), asio::detached);
    asio::co_spawn(from_->get_executor(), write_loop(shared_from_this()), asio::detached);
  }

 private:
  struct Chunk {
    std::chrono::steady_clock::time_point due;
    std::vector<char> bytes;
  };

  static asio::awaitable<void> read_loop(std::shared_ptr<DelayedPipe> self) {
    std::vector<char> buffer(64 * 1024);
    for (;;) {
      boost::system::error_code error;
      const size_t n = co_await self->from_->async_read_some(
          asio::buffer(buffer), asio::redirect_error(asio::use_awaitable, error));
      if (error) break;
      self->queue_.push_back({std::chrono::steady_clock::now() + self->one_way_,
                              {buffer.begin(), buffer.begin() + static_cast<long>(n)}});
      self->timer_.cancel_one();
    }
    self->closed_ = true;
    self->timer_.cancel_one();
  }

  static asio::awaitable<void> write_loop(std::shared_ptr<DelayedPipe> self) {
    for (;;) {
      boost::system::error_code error;
      if (self->queue_.empty()) {
        if (self->closed_) break;
        self->timer_.expires_at(std::chrono::steady_clock::time_point::max());
        co_await self->timer_.async_wait(asio::redirect_error(asio::use_awaitable, error));
        continue;
      }
      auto& chunk = self->queue_.front();
      if (chunk.due > std::chrono::steady_clock::now()) {
        self->timer_.expires_at(chunk.due);
        co_await self->timer_.async_wait(asio::redirect_error(asio::use_awaitable, error));
        continue;
      }
      co_await asio::async_write(*self->to_, asio::buffer(chunk.bytes),
                                 asio::redirect_error(asio::use_awaitable, error));
      if (error) break;
      self->queue_.pop_front();
    }
    boost::system::error_code ignored;
    self->to_->shutdown(tcp::socket::shutdown_send, ignored);
  }

  std::shared_ptr<tcp::socket> from_;
  std::shared_ptr<tcp::socket> to_;
  std::chrono::microseconds one_way_;
  asio::steady_timer timer_;
  std::deque<Chunk> queue_;
  bool closed_ = false;
};

class LatencyProxy {
 public:
  LatencyProxy(asio::io_context& io, int upstream_port, std::chrono::microseconds one_way)
      : io_(io),
        acceptor_(io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0)),
        upstream_port_(upstream_port),
        one_way_(one_way) {
    asio::co_spawn(io_, accept_loop(this), asio::detached);
  }
  int port() const { return acceptor_.local_endpoint().port(); }

 private:
  static asio::awaitable<void> accept_loop(LatencyProxy* self) {
    for (;;) {
      boost::system::error_code error;
      auto client = std::make_shared<tcp::socket>(self->io_);
      co_await self->acceptor_.async_accept(*client, asio::redirect_error(asio::use_awaitable, error));
      if (error) co_return;
      auto upstream = std::make_shared<tcp::socket>(self->io_);
      co_await upstream->async_connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"),
                                                     static_cast<unsigned short>(self->upstream_port_)),
                                       asio::redirect_error(asio::use_awaitable, error));
      if (error) continue;
      client->set_option(tcp::no_delay(true));
      upstream->set_option(tcp::no_delay(true));
      std::make_shared<DelayedPipe>(client, upstream, self->one_way_)->start();
      std::make_shared<DelayedPipe>(upstream, client, self->one_way_)->start();
    }
  }

  asio::io_context& io_;
  tcp::acceptor acceptor_;
  int upstream_port_;
  std::chrono::microseconds one_way_;
};

}  // namespace kse::bench
