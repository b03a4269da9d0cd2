#pragma once

// Boost 1.74's awaitable.hpp uses std::exchange without including <utility>.
#include <utility>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "kafka/client/client_config.h"
#include "kafka/client/result.h"
#include "kafka/protocol.h"

// One connection to one broker: connect (TCP, TLS), ApiVersions, SASL, then many
// requests in flight matched by correlation id, each with its own deadline.
// Everything runs on the client's single-threaded io_context.
namespace kse::kafka {

using Deadline = std::chrono::steady_clock::time_point;

// What the answers to one API cost the process: their bytes on the wire and the time
// spent decoding them (kafka_sidecar_response_*).
struct ApiCost {
  uint64_t bytes = 0;
  double decode_seconds = 0;
};
using ResponseCosts = std::map<std::string, ApiCost, std::less<>>;

class BrokerConnection : public std::enable_shared_from_this<BrokerConnection> {
 public:
  // `costs`, when given, counts every answer's size and decode time by API.
  BrokerConnection(boost::asio::io_context& io, int32_t broker_id, std::string host, int port,
                   const ClientConfig& config, boost::asio::ssl::context* tls,
                   std::shared_ptr<ResponseCosts> costs = nullptr);
  ~BrokerConnection();

  template <typename Request>
  boost::asio::awaitable<Result<typename Request::Response>> send(Request request, Deadline deadline) {
    auto version = co_await negotiated_version<Request>(deadline);
    if (!version.ok()) co_return version.error();
    co_return co_await exchange_decoded(std::move(request), version.value(), deadline);
  }

  // The version of Request that send() uses on this connection: the highest the broker
  // and we both speak, known once connected (ApiVersions), which this waits for.
  template <typename Request>
  boost::asio::awaitable<Result<int16_t>> negotiated_version(Deadline deadline) {
    if (auto failure = co_await ensure_ready(deadline)) co_return *failure;
    const int16_t version = negotiated<Request>();
    if (version < 0) {
      co_return Error{Error::Kind::kUnsupportedVersion, describe() + ": " + Request::kName +
                                                            ": no version in common (we implement " +
                                                            std::to_string(Request::kMinVersion) + ".." +
                                                            std::to_string(Request::kMaxVersion) + ")"};
    }
    co_return version;
  }

  int32_t broker_id() const { return broker_id_; }
  const std::string& host() const { return host_; }
  int port() const { return port_; }
  bool ready() const { return state_ == State::kReady; }
  // "broker 2 (127.0.0.1:9192)"
  std::string describe() const;
  void close();

 private:
  enum class State { kDisconnected, kConnecting, kReady };
  struct Pending {
    std::unique_ptr<boost::asio::steady_timer> signal;
    std::optional<std::vector<uint8_t>> frame;
    std::optional<Error> error;
  };
  struct Transport;

  template <typename Request>
  int16_t negotiated() const {
    auto it = versions_.find(Request::kApiKey);
    if (it == versions_.end()) return -1;
    return choose_version<Request>(it->second);
  }

  template <typename Request>
  boost::asio::awaitable<Result<typename Request::Response>> exchange_decoded(Request request,
                                                                              int16_t version,
                                                                              Deadline deadline) {
    const int32_t correlation_id = next_correlation_id_++;
    auto frame = encode_request(request, version, correlation_id, config_.client_id);
    auto raw = co_await exchange(correlation_id, std::move(frame), deadline, Request::kName);
    if (!raw.ok()) co_return raw.error();
    const auto started = std::chrono::steady_clock::now();
    Result<typename Request::Response> decoded = Error{Error::Kind::kProtocol, ""};
    try {
      decoded = decode_response<Request>(raw.value(), version);
    } catch (const DecodeError& error) {
      decoded = Error{Error::Kind::kProtocol, describe() + ": " + error.what()};
    }
    count_cost(Request::kName, raw.value().size(), std::chrono::steady_clock::now() - started);
    co_return decoded;
  }

  void count_cost(const char* api, size_t bytes, std::chrono::steady_clock::duration decoding);

  boost::asio::awaitable<Result<std::vector<uint8_t>>> exchange(int32_t correlation_id,
                                                                std::vector<uint8_t> frame, Deadline deadline,
                                                                const char* api_name);
  boost::asio::awaitable<std::optional<Error>> ensure_ready(Deadline deadline);
  void wake_connect_waiters();
  boost::asio::awaitable<std::optional<Error>> connect(Deadline deadline);
  boost::asio::awaitable<std::optional<Error>> handshake(Deadline deadline);
  boost::asio::awaitable<std::optional<Error>> authenticate(Deadline deadline);
  boost::asio::awaitable<std::optional<Error>> authenticate_oauthbearer(int16_t version, Deadline deadline);
  boost::asio::awaitable<void> read_loop(std::shared_ptr<Transport> transport, uint64_t generation);
  boost::asio::awaitable<void> write_loop(std::shared_ptr<Transport> transport, uint64_t generation);
  void fail_all(const Error& error);
  std::chrono::milliseconds next_backoff();

  boost::asio::io_context& io_;
  int32_t broker_id_;
  std::string host_;
  int port_;
  const ClientConfig& config_;
  boost::asio::ssl::context* tls_;
  std::shared_ptr<ResponseCosts> costs_;

  State state_ = State::kDisconnected;
  uint64_t generation_ = 0;
  std::shared_ptr<Transport> transport_;
  std::map<int16_t, ApiVersionRange> versions_;
  std::map<int32_t, std::shared_ptr<Pending>> pending_;
  std::deque<std::vector<uint8_t>> write_queue_;
  bool writing_ = false;
  int32_t next_correlation_id_ = 1;
  // Requests waiting for another request's connect, each until its own deadline;
  // woken (cancelled) when that connect ends either way.
  std::set<boost::asio::steady_timer*> connect_waiters_;
  std::optional<Error> last_failure_;
  std::chrono::steady_clock::time_point retry_after_{};
  std::chrono::milliseconds backoff_{0};
  // When the broker announced a session lifetime (KIP-368): reconnect, once idle, after this.
  std::optional<std::chrono::steady_clock::time_point> session_renew_at_;
};

}  // namespace kse::kafka
