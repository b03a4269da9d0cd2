#pragma once

// Boost 1.74's awaitable.hpp uses std::exchange without including <utility>.
#include <utility>

#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <optional>
#include <string>

#include "kafka/client/kafka_client.h"
#include "kafka/client/when_all.h"

// The collector's only contact with the client API: one request, its answer or
// the reason it failed, within a timeout.
namespace kse::collector {

using kafka::when_all;

// How a request ended, whatever it asked.
struct Outcome {
  bool failed = false;
  // No answer came from the broker at all (connection refused or lost, timeout).
  bool unreachable = false;
  bool timed_out = false;
};

template <typename T>
struct Answer {
  std::optional<T> response;
  std::string error;
  std::string reason;  // request_failure_reason() of the error
  Outcome outcome;
  explicit operator bool() const { return response.has_value(); }
  T* operator->() { return &*response; }
  T& operator*() { return *response; }
};

// A request that got no answer, as a label value: timeout, connection, authentication,
// protocol, unsupported_version, unknown_broker or kafka.
inline const char* request_failure_reason(kafka::Error::Kind kind) {
  switch (kind) {
    case kafka::Error::Kind::kTimeout: return "timeout";
    case kafka::Error::Kind::kConnection: return "connection";
    case kafka::Error::Kind::kAuthentication: return "authentication";
    case kafka::Error::Kind::kProtocol: return "protocol";
    case kafka::Error::Kind::kKafka: return "kafka";
    case kafka::Error::Kind::kUnsupportedVersion: return "unsupported_version";
    case kafka::Error::Kind::kUnknownBroker: return "unknown_broker";
  }
  return "kafka";
}

template <typename Response>
Answer<Response> to_answer(kafka::Result<Response> result) {
  Answer<Response> answer;
  if (result.ok()) {
    answer.response = std::move(result.value());
  } else {
    const auto kind = result.error().kind;
    answer.error = result.error().to_string();
    answer.reason = request_failure_reason(kind);
    answer.outcome.failed = true;
    answer.outcome.timed_out = kind == kafka::Error::Kind::kTimeout;
    answer.outcome.unreachable = answer.outcome.timed_out || kind == kafka::Error::Kind::kConnection;
  }
  return answer;
}

template <typename Request>
boost::asio::awaitable<Answer<typename Request::Response>> call(kafka::KafkaClient& client, int32_t broker,
                                                                Request request,
                                                                std::chrono::milliseconds timeout) {
  co_return to_answer(co_await client.send(broker, std::move(request), timeout));
}

template <typename Request>
boost::asio::awaitable<Answer<typename Request::Response>> call_any(kafka::KafkaClient& client,
                                                                    Request request,
                                                                    std::chrono::milliseconds timeout) {
  co_return to_answer(co_await client.send_any(std::move(request), timeout));
}

}  // namespace kse::collector
