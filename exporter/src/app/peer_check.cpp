#include "peer_check.h"

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <memory>

namespace kse::app {

namespace asio = boost::asio;

asio::awaitable<bool> sidecar_answers(std::string host, int port, std::chrono::milliseconds timeout) {
  auto executor = co_await asio::this_coro::executor;
  auto socket = std::make_shared<asio::ip::tcp::socket>(executor);
  auto resolver = std::make_shared<asio::ip::tcp::resolver>(executor);
  asio::steady_timer deadline(executor);
  deadline.expires_after(timeout);
  // The deadline closes whatever step is waiting; that step then fails.
  deadline.async_wait([socket, resolver](const boost::system::error_code& error) {
    if (error) return;
    resolver->cancel();
    boost::system::error_code ignored;
    socket->close(ignored);
  });
  boost::system::error_code error;
  const auto endpoints = co_await resolver->async_resolve(host, std::to_string(port),
                                                          asio::redirect_error(asio::use_awaitable, error));
  if (error) co_return false;
  co_await asio::async_connect(*socket, endpoints, asio::redirect_error(asio::use_awaitable, error));
  if (error) co_return false;
  const std::string request = "GET /healthz HTTP/1.0\r\nHost: " + host + "\r\n\r\n";
  co_await asio::async_write(*socket, asio::buffer(request),
                             asio::redirect_error(asio::use_awaitable, error));
  if (error) co_return false;
  char status_line[12] = {};  // "HTTP/1.1 200"
  co_await asio::async_read(*socket, asio::buffer(status_line),
                            asio::redirect_error(asio::use_awaitable, error));
  deadline.cancel();
  if (error) co_return false;
  co_return std::string(status_line + 9, 3) == "200";
}

}  // namespace kse::app
