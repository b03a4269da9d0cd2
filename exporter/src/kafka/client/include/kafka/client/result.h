#pragma once

#include <string>
#include <utility>
#include <variant>

namespace kse::kafka {

struct Error {
  enum class Kind {
    kTimeout,
    kConnection,
    kAuthentication,
    kProtocol,
    kKafka,
    kUnsupportedVersion,
    kUnknownBroker
  };
  Kind kind = Kind::kConnection;
  std::string message;  // names the broker, its address and the API

  std::string to_string() const { return message; }
};

// A value or the reason there is none; failures are never a silent default.
template <typename T>
class Result {
 public:
  // Asio's co_spawn needs a default value for a coroutine that threw.
  Result() : state_(Error{Error::Kind::kConnection, "no result"}) {}
  Result(T value) : state_(std::move(value)) {}      // NOLINT: implicit by design
  Result(Error error) : state_(std::move(error)) {}  // NOLINT

  bool ok() const { return std::holds_alternative<T>(state_); }
  T& value() { return std::get<T>(state_); }
  const T& value() const { return std::get<T>(state_); }
  const Error& error() const { return std::get<Error>(state_); }

 private:
  std::variant<T, Error> state_;
};

}  // namespace kse::kafka
