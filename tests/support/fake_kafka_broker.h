#pragma once

// A broker on loopback that speaks just enough Kafka for client and collector tests:
// ApiVersions with the version ranges it is given, and the answers of its handlers to the
// other requests. Every connection is served on its own thread; every request is kept.
#include <atomic>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <span>
#include <string>
#include <thread>
#include <tuple>
#include <utility>
#include <vector>

#include "kafka/generated/all_apis.h"
#include "kafka/protocol.h"
#include "support/find_coordinator_answer.h"

namespace kse::test {

class FakeKafkaBroker {
 public:
  using tcp = boost::asio::ip::tcp;

  // `versions`: API key -> the range this broker offers in ApiVersions (ApiVersions itself is
  // always offered, 0-3).
  explicit FakeKafkaBroker(std::map<int16_t, kafka::ApiVersionRange> versions)
      : versions_(std::move(versions)),
        acceptor_(io_, tcp::endpoint(boost::asio::ip::make_address("127.0.0.1"), 0)) {
    versions_[kafka::ApiVersionsRequest::kApiKey] = {0, 3};
    port_ = acceptor_.local_endpoint().port();
  }
  ~FakeKafkaBroker() {
    boost::system::error_code ignored;
    if (acceptor_thread_.joinable()) {
      // Closing the acceptor does not wake a blocked accept(); a last connection does.
      stopping_ = true;
      tcp::socket wake(io_);
      wake.connect(acceptor_.local_endpoint(), ignored);
      acceptor_thread_.join();
    }
    acceptor_.close(ignored);
    for (auto& thread : connection_threads_) thread.join();
  }
  FakeKafkaBroker(const FakeKafkaBroker&) = delete;
  FakeKafkaBroker& operator=(const FakeKafkaBroker&) = delete;

  // Answers every Request with what `handler(request, version)` returns. Set before start().
  template <typename Request>
  void on(std::function<typename Request::Response(const Request&, int16_t)> handler) {
    handlers_[Request::kApiKey] = [handler](int16_t version, std::span<const uint8_t> body) {
      kafka::Reader r(body, std::string(Request::kName) + " request");
      const Request request = Request::decode(r, version);
      kafka::Writer w;
      handler(request, version).encode(w, version);
      return std::move(w.bytes());
    };
  }

  // Holds the answers to `api_key` on a connection until `count` of its requests have arrived
  // there: a client that waits for each answer before sending the next never gets one.
  void hold_answers(int16_t api_key, size_t count) { held_[api_key] = count; }

  void start() {
    acceptor_thread_ = std::thread([this] {
      for (;;) {
        boost::system::error_code error;
        tcp::socket socket(io_);
        acceptor_.accept(socket, error);
        if (error || stopping_) return;
        std::lock_guard lock(mutex_);
        connection_threads_.emplace_back(
            [this, s = std::make_shared<tcp::socket>(std::move(socket))] { serve(*s); });
      }
    });
  }

  int port() const { return port_; }
  std::string address() const { return "127.0.0.1:" + std::to_string(port_); }

  // The requests of one API received so far, decoded, with the version each was sent in.
  template <typename Request>
  std::vector<std::pair<int16_t, Request>> received() const {
    std::lock_guard lock(mutex_);
    std::vector<std::pair<int16_t, Request>> out;
    for (const auto& [key, version, body] : received_) {
      if (key != Request::kApiKey) continue;
      kafka::Reader r(body, std::string(Request::kName) + " request");
      out.emplace_back(version, Request::decode(r, version));
    }
    return out;
  }

 private:
  template <size_t I = 0>
  static bool request_is_flexible(int16_t api_key, int16_t version) {
    if constexpr (I < std::tuple_size_v<kafka::AllRequests>) {
      using Request = std::tuple_element_t<I, kafka::AllRequests>;
      if (Request::kApiKey == api_key) return kafka::is_flexible<Request>(version);
      return request_is_flexible<I + 1>(api_key, version);
    }
    return false;
  }

  std::vector<uint8_t> api_versions(int16_t version) const {
    kafka::ApiVersionsResponse response;
    for (const auto& [key, range] : versions_) response.api_keys.push_back({key, range.min, range.max});
    kafka::Writer w;
    response.encode(w, version);
    return std::move(w.bytes());
  }

  void serve(tcp::socket& socket) {
    std::map<int16_t, std::vector<std::vector<uint8_t>>> waiting;
    auto held = held_;
    for (;;) {
      boost::system::error_code error;
      uint8_t size_bytes[4];
      boost::asio::read(socket, boost::asio::buffer(size_bytes), error);
      if (error) return;
      const uint32_t size = (uint32_t{size_bytes[0]} << 24) | (uint32_t{size_bytes[1]} << 16) |
                            (uint32_t{size_bytes[2]} << 8) | uint32_t{size_bytes[3]};
      std::vector<uint8_t> frame(size);
      boost::asio::read(socket, boost::asio::buffer(frame), error);
      if (error) return;
      kafka::Reader r(frame, "request header");
      const int16_t api_key = r.int16();
      const int16_t version = r.int16();
      const int32_t correlation_id = r.int32();
      r.nullable_string(false);  // client id
      const bool flexible = request_is_flexible(api_key, version);
      if (flexible) r.skip_tags();
      const std::span<const uint8_t> body(frame.data() + (frame.size() - r.remaining()), r.remaining());

      std::vector<uint8_t> answer;
      if (api_key == kafka::ApiVersionsRequest::kApiKey) {
        answer = api_versions(version);
      } else {
        {
          std::lock_guard lock(mutex_);
          received_.emplace_back(api_key, version, std::vector<uint8_t>(body.begin(), body.end()));
        }
        auto handler = handlers_.find(api_key);
        if (handler == handlers_.end()) return;  // hang up: the test did not expect it
        answer = handler->second(version, body);
      }
      kafka::Writer w;
      w.int32(0);
      w.int32(correlation_id);
      if (flexible && api_key != kafka::ApiVersionsRequest::kApiKey) w.tags();
      auto response = std::move(w.bytes());
      response.insert(response.end(), answer.begin(), answer.end());
      const auto length = static_cast<uint32_t>(response.size() - 4);
      for (int i = 0; i < 4; ++i) response[i] = static_cast<uint8_t>(length >> (8 * (3 - i)));

      auto& queue = waiting[api_key];
      queue.push_back(std::move(response));
      auto hold = held.find(api_key);
      if (hold != held.end() && queue.size() < hold->second) continue;
      for (const auto& out : queue) boost::asio::write(socket, boost::asio::buffer(out), error);
      queue.clear();
      if (hold != held.end()) held.erase(hold);
      if (error) return;
    }
  }

  std::map<int16_t, kafka::ApiVersionRange> versions_;
  std::map<int16_t, std::function<std::vector<uint8_t>(int16_t, std::span<const uint8_t>)>> handlers_;
  std::map<int16_t, size_t> held_;
  boost::asio::io_context io_;
  tcp::acceptor acceptor_;
  int port_ = 0;
  std::thread acceptor_thread_;
  std::atomic<bool> stopping_ = false;
  mutable std::mutex mutex_;
  std::vector<std::thread> connection_threads_;
  std::vector<std::tuple<int16_t, int16_t, std::vector<uint8_t>>> received_;
};

// The group APIs as a Kafka 2.8 broker offers them (FindCoordinator 0-3 and OffsetFetch 0-7: one
// key or group per request), or as 3.0 does (batched: FindCoordinator 4, OffsetFetch 8).
inline std::map<int16_t, kafka::ApiVersionRange> group_api_versions(bool batched) {
  return {{kafka::MetadataRequest::kApiKey, {0, 11}},
          {kafka::ListGroupsRequest::kApiKey, {0, 4}},
          {kafka::DescribeGroupsRequest::kApiKey, {0, 5}},
          {kafka::FindCoordinatorRequest::kApiKey, {0, static_cast<int16_t>(batched ? 4 : 3)}},
          {kafka::OffsetFetchRequest::kApiKey, {0, static_cast<int16_t>(batched ? 8 : 7)}}};
}

// Metadata naming one broker, `node_id`, at the fake broker's own address.
inline void answer_metadata(FakeKafkaBroker& broker, int32_t node_id) {
  const int port = broker.port();
  broker.on<kafka::MetadataRequest>([port, node_id](const kafka::MetadataRequest&, int16_t) {
    kafka::MetadataResponse response;
    response.brokers.push_back({node_id, "127.0.0.1", port, std::nullopt});
    response.cluster_id = "fake";
    response.controller_id = node_id;
    return response;
  });
}

// FindCoordinator in either layout: the keys of `placed` at their broker, any other key
// COORDINATOR_NOT_AVAILABLE.
inline void answer_coordinators(FakeKafkaBroker& broker, std::map<std::string, int32_t> placed) {
  broker.on<kafka::FindCoordinatorRequest>(
      [placed](const kafka::FindCoordinatorRequest& request, int16_t version) {
        const int port = 9092;
        auto place = [&](const std::string& key, auto& out) {
          auto it = placed.find(key);
          out.node_id = it == placed.end() ? -1 : it->second;
          out.host = it == placed.end() ? "" : "127.0.0.1";
          out.port = it == placed.end() ? -1 : port;
          out.error_code = it == placed.end() ? 15 : 0;
        };
        return answer_find_coordinator(request, version, place);
      });
}

}  // namespace kse::test
