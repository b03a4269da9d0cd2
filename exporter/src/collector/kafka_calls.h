#pragma once

// Boost 1.74's awaitable.hpp uses std::exchange without including <utility>.
#include <utility>

#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <optional>
#include <string>

#include "kafka/client/kafka_client.h"

// The collector's only contact with the client API: one request, its answer or
// the reason it failed, within a timeout.
namespace kse::collector {

template <typename T>
struct Answer {
  std::optional<T> response;
  std::string error;
  explicit operator bool() const { return response.has_value(); }
  T* operator->() { return &*response; }
  T& operator*() { return *response; }
};

template <typename Request>
boost::asio::awaitable<Answer<typename Request::Response>> call(
    kafka::KafkaClient& client, int32_t broker, Request request,
    std::chrono::milliseconds timeout) {
  auto result = co_await client.send(broker, std::move(request), timeout);
  Answer<typename Request::Response> answer;
  if (result.ok()) {
    answer.response = std::move(result.value());
  } else {
    answer.error = result.error().to_string();
  }
  co_return answer;
}

template <typename Request>
boost::asio::awaitable<Answer<typename Request::Response>> call_any(
    kafka::KafkaClient& client, Request request, std::chrono::milliseconds timeout) {
  auto result = co_await client.send_any(std::move(request), timeout);
  Answer<typename Request::Response> answer;
  if (result.ok()) {
    answer.response = std::move(result.value());
  } else {
    answer.error = result.error().to_string();
  }
  co_return answer;
}

}  // namespace kse::collector
