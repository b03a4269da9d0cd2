#include "zookeeper/four_letter.h"

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <charconv>
#include <cmath>
#include <memory>

namespace kse::zookeeper {

namespace asio = boost::asio;

namespace {

constexpr size_t kMaxAnswer = 1 << 20;

std::optional<double> number(const std::map<std::string, std::string>& mntr, const std::string& key) {
  auto it = mntr.find(key);
  if (it == mntr.end()) return std::nullopt;
  double value = 0;
  const char* begin = it->second.data();
  const char* end = begin + it->second.size();
  auto [rest, error] = std::from_chars(begin, end, value);
  if (error != std::errc() || rest != end || !std::isfinite(value)) return std::nullopt;
  return value;
}

}  // namespace

asio::awaitable<FourLetterAnswer> ask_four_letter(std::string host, int port, std::string word,
                                                  std::chrono::milliseconds timeout) {
  auto executor = co_await asio::this_coro::executor;
  auto socket = std::make_shared<asio::ip::tcp::socket>(executor);
  auto resolver = std::make_shared<asio::ip::tcp::resolver>(executor);
  auto timed_out = std::make_shared<bool>(false);
  asio::steady_timer deadline(executor);
  deadline.expires_after(timeout);
  // The deadline closes whatever step is waiting; that step then fails.
  deadline.async_wait([socket, resolver, timed_out](const boost::system::error_code& error) {
    if (error) return;
    *timed_out = true;
    resolver->cancel();
    boost::system::error_code ignored;
    socket->close(ignored);
  });
  const std::string where = host + ":" + std::to_string(port);
  auto failed = [&](const char* step, const boost::system::error_code& error) {
    deadline.cancel();
    const std::string why =
        *timed_out ? "no answer within " + std::to_string(timeout.count()) + " ms" : error.message();
    return FourLetterAnswer{std::nullopt, where + ": " + step + ": " + why, *timed_out};
  };
  boost::system::error_code error;
  const auto endpoints = co_await resolver->async_resolve(host, std::to_string(port),
                                                          asio::redirect_error(asio::use_awaitable, error));
  if (error) co_return failed("resolve", error);
  co_await asio::async_connect(*socket, endpoints, asio::redirect_error(asio::use_awaitable, error));
  if (error) co_return failed("connect", error);
  co_await asio::async_write(*socket, asio::buffer(word), asio::redirect_error(asio::use_awaitable, error));
  if (error) co_return failed("send", error);
  // The node answers and closes the connection: read to the end.
  std::string answer;
  char buffer[4096];
  for (;;) {
    const size_t n = co_await socket->async_read_some(asio::buffer(buffer),
                                                      asio::redirect_error(asio::use_awaitable, error));
    answer.append(buffer, std::min(n, kMaxAnswer - std::min(answer.size(), kMaxAnswer)));
    if (error == asio::error::eof) break;
    if (error) co_return failed("read", error);
  }
  deadline.cancel();
  co_return FourLetterAnswer{std::move(answer), {}};
}

std::map<std::string, std::string> parse_mntr(std::string_view text) {
  std::map<std::string, std::string> values;
  while (!text.empty()) {
    const size_t end = text.find('\n');
    std::string_view line = text.substr(0, end);
    text = end == std::string_view::npos ? std::string_view() : text.substr(end + 1);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    const size_t tab = line.find('\t');
    if (tab == std::string_view::npos || tab == 0 || line.substr(0, 3) != "zk_") continue;
    values.emplace(std::string(line.substr(0, tab)), std::string(line.substr(tab + 1)));
  }
  return values;
}

bool read_mntr(const std::map<std::string, std::string>& mntr, model::ZooKeeperNode& node) {
  auto state = mntr.find("zk_server_state");
  if (state == mntr.end() || state->second.empty()) return false;
  node.state = state->second;
  node.outstanding_requests = number(mntr, "zk_outstanding_requests");
  node.avg_latency_ms = number(mntr, "zk_avg_latency");
  node.znodes = number(mntr, "zk_znode_count");
  node.alive_connections = number(mntr, "zk_num_alive_connections");
  node.watches = number(mntr, "zk_watch_count");
  node.synced_followers = number(mntr, "zk_synced_followers");
  return true;
}

}  // namespace kse::zookeeper
