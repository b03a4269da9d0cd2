#pragma once

// Boost 1.74's awaitable.hpp uses std::exchange without including <utility>.
#include <utility>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/use_future.hpp>
#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <type_traits>
#include <vector>

#include "kafka/client/client_config.h"
#include "kafka/client/connection.h"
#include "kafka/client/result.h"
#include "kafka/generated/find_coordinator.h"
#include "kafka/generated/metadata.h"

// The exporter's Kafka client: bootstrap, one pipelined connection per broker,
// per-request deadlines, routing to a given broker or any broker.
// Thread-safety: every method must run on the io_context the client was built
// with (a single thread); from another thread use send_sync().
namespace kse::kafka {

class KafkaClient {
 public:
  // Throws std::invalid_argument for a bad bootstrap entry or an unusable TLS file.
  KafkaClient(boost::asio::io_context& io, ClientConfig config);
  ~KafkaClient();

  // Every answer's size and decode time so far, by API; read on the client's io_context.
  const ResponseCosts& response_costs() const { return *costs_; }
  KafkaClient(const KafkaClient&) = delete;
  KafkaClient& operator=(const KafkaClient&) = delete;

  // Sends to broker `broker_id` (known from metadata).
  template <typename Request>
  boost::asio::awaitable<Result<typename Request::Response>> send(int32_t broker_id, Request request,
                                                                  std::chrono::milliseconds timeout) {
    auto connection = connection_for(broker_id);
    if (!connection) {
      co_return Error{Error::Kind::kUnknownBroker, "broker " + std::to_string(broker_id) +
                                                       " is not in the metadata (" + Request::kName + ")"};
    }
    auto result = co_await connection->send(std::move(request), deadline_after(timeout));
    if constexpr (std::is_same_v<Request, MetadataRequest>) {
      if (result.ok()) learn_brokers(result.value());
    }
    // A broker that did not answer is asked last by send_any for a while.
    if (!result.ok() &&
        (result.error().kind == Error::Kind::kTimeout || result.error().kind == Error::Kind::kConnection)) {
      last_failure_[broker_id] = std::chrono::steady_clock::now();
      if (preferred_ == broker_id) preferred_ = -1;
    }
    co_return result;
  }

  // Sends to whichever broker answers: healthy known brokers first, then the
  // bootstrap addresses, until one answers or the timeout passes.
  //
  // A broker answers one request per connection at a time, in order. A request it
  // only forwards to the KRaft controller (DescribeQuorum, ElectLeaders, ...) can wait
  // there for as long as the controller is hung or being replaced, and would hold up
  // every request queued behind it; such requests travel on a second connection to
  // each broker, which is closed and opened again after a timeout.
  template <typename Request>
  boost::asio::awaitable<Result<typename Request::Response>> send_any(Request request,
                                                                      std::chrono::milliseconds timeout) {
    constexpr bool kControllerLane = requires { requires Request::kForwardedToController; };
    auto result = co_await on_any_broker<typename Request::Response>(
        Request::kName, kControllerLane, timeout,
        [&request](BrokerConnection& connection, Deadline deadline) {
          return connection.send(request, deadline);
        });
    if constexpr (std::is_same_v<Request, MetadataRequest>) {
      if (result.ok()) learn_brokers(result.value());
    }
    co_return result;
  }

  // The version of Request that send(broker_id, ...) uses, connecting first if need be: for
  // callers whose request takes another shape in older versions (OffsetFetch before v8).
  template <typename Request>
  boost::asio::awaitable<Result<int16_t>> negotiated_version(int32_t broker_id,
                                                             std::chrono::milliseconds timeout) {
    auto connection = connection_for(broker_id);
    if (!connection) {
      co_return Error{Error::Kind::kUnknownBroker, "broker " + std::to_string(broker_id) +
                                                       " is not in the metadata (" + Request::kName + ")"};
    }
    co_return co_await connection->negotiated_version<Request>(deadline_after(timeout));
  }

  // Coordinators of many group ids (kGroupCoordinator) or transactional ids (kTransactionCoordinator):
  // one FindCoordinator to a broker that takes many keys (v4+), else one per key, all in flight
  // together on the same connection (Kafka 2.8). A key the broker could not place is absent.
  boost::asio::awaitable<Result<std::map<std::string, int32_t>>> find_coordinators(
      int8_t key_type, std::vector<std::string> keys, std::chrono::milliseconds timeout);

  // Blocking helper for tests and tools; must not be called on the io thread.
  template <typename Request>
  Result<typename Request::Response> send_sync(int32_t broker_id, Request request,
                                               std::chrono::milliseconds timeout) {
    return boost::asio::co_spawn(io_, send(broker_id, std::move(request), timeout), boost::asio::use_future)
        .get();
  }
  template <typename Request>
  Result<typename Request::Response> send_any_sync(Request request, std::chrono::milliseconds timeout) {
    return boost::asio::co_spawn(io_, send_any(std::move(request), timeout), boost::asio::use_future).get();
  }

  std::vector<int32_t> broker_ids() const;
  const ClientConfig& config() const { return config_; }

  // Rotated credentials: every connection is closed and opens again with `tls` and `sasl`.
  // Throws std::invalid_argument, and keeps the current ones, when the TLS files are unusable.
  void reload_credentials(const TlsSettings& tls, const SaslSettings& sasl);

 private:
  // The loop of send_any: runs `attempt(connection, deadline)`, an awaitable<Result<T>>, on one
  // broker after another until one answers; `controller_lane` picks the second connections.
  template <typename T, typename Attempt>
  boost::asio::awaitable<Result<T>> on_any_broker(const char* api_name, bool controller_lane,
                                                  std::chrono::milliseconds timeout, Attempt attempt) {
    const auto deadline = deadline_after(timeout);
    std::optional<Error> last;
    const auto order = candidates(controller_lane);
    for (size_t i = 0; i < order.size(); ++i) {
      const auto& connection = order[i];
      const auto now = std::chrono::steady_clock::now();
      if (now >= deadline) break;
      // A hung broker may take only half of what is left, so another can still answer.
      const auto attempt_deadline = i + 1 < order.size() ? now + (deadline - now) / 2 : deadline;
      auto result = co_await attempt(*connection, attempt_deadline);
      if (result.ok()) {
        preferred_ = connection->broker_id();
        co_return result;
      }
      if (controller_lane && result.error().kind == Error::Kind::kTimeout) connection->close();
      last_failure_[connection->broker_id()] = std::chrono::steady_clock::now();
      if (preferred_ == connection->broker_id()) preferred_ = -1;
      last = result.error();
      // A refused login will be refused by every broker: say it once, now.
      if (last->kind == Error::Kind::kAuthentication) break;
    }
    if (!last) last = Error{Error::Kind::kTimeout, std::string(api_name) + ": no broker to send to"};
    co_return *last;
  }

  std::shared_ptr<BrokerConnection> connection_for(int32_t broker_id);
  std::vector<std::shared_ptr<BrokerConnection>> candidates(bool controller_lane);
  std::shared_ptr<BrokerConnection> controller_lane_for(const BrokerConnection& broker);
  // Connections for brokers the metadata names that are new or moved to another address.
  void learn_brokers(const MetadataResponse& metadata);
  std::chrono::steady_clock::time_point deadline_after(std::chrono::milliseconds timeout) const {
    return std::chrono::steady_clock::now() + timeout;
  }

  boost::asio::io_context& io_;
  ClientConfig config_;
  std::unique_ptr<boost::asio::ssl::context> tls_;
  std::unique_ptr<boost::asio::ssl::context> retired_tls_;
  std::shared_ptr<ResponseCosts> costs_ = std::make_shared<ResponseCosts>();
  std::map<int32_t, std::shared_ptr<BrokerConnection>> brokers_;
  // Second connections for requests forwarded to the controller (send_any).
  std::map<int32_t, std::shared_ptr<BrokerConnection>> controller_lane_;
  std::vector<std::shared_ptr<BrokerConnection>> bootstrap_;
  int32_t preferred_ = -1;
  std::map<int32_t, std::chrono::steady_clock::time_point> last_failure_;
};

}  // namespace kse::kafka
