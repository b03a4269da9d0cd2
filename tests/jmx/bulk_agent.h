#pragma once

#include <simdjson.h>

#include <atomic>
#include <functional>
#include <optional>
#include <string>
#include <thread>

// A loopback Jolokia agent for the bridge's tests: each request of a bulk POST answered
// with `answer(request)`, the value of one answer, or "no such bean" when that is empty.
namespace kse::jmx::test {

// A listening TCP socket on 127.0.0.1, at a port the system picks (set in `port`).
int listen_on_loopback(int& port);

class BulkAgent {
 public:
  using Answer = std::function<std::optional<std::string>(simdjson::dom::element request)>;
  explicit BulkAgent(Answer answer);
  ~BulkAgent();
  BulkAgent(const BulkAgent&) = delete;
  BulkAgent& operator=(const BulkAgent&) = delete;

  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_) + "/jolokia/"; }
  int posts() const { return posts_; }

 private:
  void serve(int client);

  Answer answer_;
  int fd_ = -1;
  int port_ = 0;
  std::atomic<int> posts_{0};
  std::thread thread_;
};

}  // namespace kse::jmx::test
