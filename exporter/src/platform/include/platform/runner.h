#pragma once

#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "http_client/http_post.h"
#include "kafka/client/client_config.h"
#include "metrics/family.h"

// Kafka Connect (and the MirrorMaker 2 connectors on it) and a Schema Registry, each read on a
// thread of its own every interval: a slow or dead component costs its own timeout and its own
// series, never the brokers' cycle.
namespace kse::platform {

// One REST API: its base URLs (tried in order) and how to call them.
struct RestOptions {
  std::vector<std::string> urls;
  http_client::HttpOptions http;
};

struct ConnectOptions {
  RestOptions rest;
  bool mirror_lag = true;
  // The monitored cluster, where the mirror connectors write heartbeats and checkpoints; a
  // mirror's source cluster is reached with the same settings and its own bootstrap servers.
  kafka::ClientConfig kafka;
  std::chrono::milliseconds kafka_timeout{5000};
};

struct RegistryOptions {
  RestOptions rest;
  std::string metrics_url;  // empty: refusals not counted
};

class PlatformRunner {
 public:
  PlatformRunner(std::optional<ConnectOptions> connect, std::optional<RegistryOptions> registry,
                 std::chrono::milliseconds interval);
  ~PlatformRunner();
  PlatformRunner(const PlatformRunner&) = delete;
  PlatformRunner& operator=(const PlatformRunner&) = delete;

  // Each component's last families (all on the cluster port).
  std::vector<std::shared_ptr<const std::vector<metrics::Family>>> families() const;

 private:
  struct Component;
  void loop(Component& component);
  std::chrono::milliseconds interval_;
  std::vector<std::unique_ptr<Component>> components_;
  std::vector<std::thread> threads_;
  mutable std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
};

// GET `path` from the first of `rest.urls` that answers; the body of a 2xx answer. Throws
// http_client::HttpError naming each URL's failure, or the status and the start of the body.
std::string rest_get(const RestOptions& rest, const std::string& path);

}  // namespace kse::platform
