#include "platform/runner.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <functional>
#include <set>
#include <tuple>

#include "mirror_kafka.h"
#include "platform/facts.h"
#include "platform/families.h"

namespace kse::platform {

namespace {

double unix_now() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

std::string joined(const std::string& base, const std::string& path) {
  std::string url = base;
  while (url.ends_with('/')) url.pop_back();
  return url + path;
}

// Why a call failed, as kafka_sidecar_collector_error_info's reason.
std::string failure_reason(const std::exception& error) {
  if (dynamic_cast<const ParseError*>(&error)) return "protocol";
  const std::string what = error.what();
  if (what.find("HTTP 401") != std::string::npos || what.find("HTTP 403") != std::string::npos) {
    return "authentication";
  }
  if (what.find("HTTP ") != std::string::npos) return "http";
  if (what.find("timed out") != std::string::npos) return "timeout";
  if (dynamic_cast<const http_client::HttpError*>(&error)) return "connection";
  return "kafka";
}

// A failure is logged when it starts or changes, and its end once: not every cycle.
class FailureLog {
 public:
  explicit FailureLog(std::string what) : what_(std::move(what)) {}
  void failed(const std::string& error) {
    if (error != last_) spdlog::warn("{}: {}", what_, error);
    last_ = error;
  }
  void worked() {
    if (!last_.empty()) spdlog::info("{}: answering again", what_);
    last_.clear();
  }

 private:
  std::string what_;
  std::string last_;
};

// The Connect group and the MirrorMaker 2 connectors on it.
class ConnectReader {
 public:
  explicit ConnectReader(ConnectOptions options)
      : options_(std::move(options)), kafka_(options_.kafka, options_.kafka_timeout) {}

  std::vector<metrics::Family> collect() {
    ConnectFacts facts;
    try {
      facts.connectors = parse_connectors(rest_get(options_.rest, "/connectors?expand=status&expand=info"));
      facts.up = true;
      log_.worked();
    } catch (const std::exception& error) {
      facts.error = error.what();
      facts.reason = failure_reason(error);
      log_.failed(facts.error);
    }
    if (facts.up) {
      count_restarts(facts.connectors);
      if (options_.mirror_lag) read_mirrors(facts);
    }
    facts.task_restarts = restarts_;
    return connect_families(facts, options_.mirror_lag, unix_now());
  }

 private:
  // A task seen RUNNING after FAILED or RESTARTING was restarted (by a user, or by Connect).
  void count_restarts(const std::vector<ConnectorStatus>& connectors) {
    std::map<std::pair<std::string, int32_t>, std::string> states;
    for (const auto& c : connectors) {
      for (const auto& t : c.tasks) {
        const std::pair<std::string, int32_t> key{c.name, t.id};
        states[key] = t.state;
        auto before = last_states_.find(key);
        if (before != last_states_.end() && t.state == "RUNNING" &&
            (before->second == "FAILED" || before->second == "RESTARTING")) {
          ++restarts_[key];
        } else {
          restarts_.try_emplace(key, 0);
        }
      }
    }
    // A connector or task that is gone takes its count with it.
    std::erase_if(restarts_, [&states](const auto& entry) { return !states.count(entry.first); });
    last_states_ = std::move(states);
  }

  void read_mirrors(ConnectFacts& facts) {
    std::string failure;
    for (const auto& c : facts.connectors) {
      Mirror mirror;
      mirror.connector = c.name;
      mirror.source_cluster = setting(c, "source.cluster.alias");
      mirror.target_cluster = setting(c, "target.cluster.alias");
      try {
        if (is_mirror_source(c)) {
          mirror.kind = "source";
          read_copied(c, mirror);
        } else if (is_mirror_heartbeat(c)) {
          mirror.kind = "heartbeat";
          mirror.newest_record = kafka_.newest_record(setting(c, "heartbeats.topic", "heartbeats"));
        } else if (is_mirror_checkpoint(c)) {
          mirror.kind = "checkpoint";
          mirror.newest_record = kafka_.newest_record(mirror.source_cluster + ".checkpoints.internal");
        } else {
          continue;
        }
      } catch (const std::exception& error) {
        failure = "mirror " + c.name + ": " + error.what();
        facts.mirror_reason = failure_reason(error);
      }
      if (!mirror.kind.empty()) facts.mirrors.push_back(std::move(mirror));
    }
    facts.mirror_error = failure;
    if (failure.empty()) {
      mirror_log_.worked();
    } else {
      mirror_log_.failed(failure);
    }
  }

  // The copied offsets first, then the source's log ends: the lag is never negative. Every
  // partition of a topic the connector copies is there: one it never copied from is copied
  // from its log start (MirrorMaker 2's consumers start at the earliest offset).
  void read_copied(const ConnectorStatus& c, Mirror& mirror) {
    const auto offsets = parse_mirror_offsets(rest_get(options_.rest, "/connectors/" + c.name + "/offsets"));
    mirror.offsets_read = true;
    std::map<TopicPartition, int64_t> copied;
    for (const auto& o : offsets) {
      if (mirror.source_cluster.empty()) mirror.source_cluster = o.source_cluster;
      copied[{o.topic, o.partition}] = o.last_copied + 1;
    }
    const MirroredTopics topics(c.config);
    const auto ranges =
        kafka_.log_ranges(setting(c, "source.cluster.bootstrap.servers"),
                          [&topics](const std::string& topic) { return topics.contains(topic); });
    for (const auto& [tp, range] : ranges) {
      auto it = copied.find(tp);
      mirror.partitions.push_back(
          {tp.first, tp.second, it != copied.end() ? it->second : range.start, range.end});
      if (it != copied.end()) copied.erase(it);
    }
    // Copied before, and not answered now (a leader away, a topic deleted): no lag, nor a sum.
    for (const auto& [tp, next] : copied)
      mirror.partitions.push_back({tp.first, tp.second, next, std::nullopt});
    std::sort(mirror.partitions.begin(), mirror.partitions.end(),
              [](const MirrorPartition& a, const MirrorPartition& b) {
                return std::tie(a.topic, a.partition) < std::tie(b.topic, b.partition);
              });
  }

  static std::string setting(const ConnectorStatus& c, const std::string& key, std::string fallback = {}) {
    auto it = c.config.find(key);
    return it == c.config.end() ? fallback : it->second;
  }

  ConnectOptions options_;
  MirrorKafka kafka_;
  FailureLog log_{"Kafka Connect REST"};
  FailureLog mirror_log_{"MirrorMaker 2 lag"};
  std::map<std::pair<std::string, int32_t>, std::string> last_states_;
  std::map<std::pair<std::string, int32_t>, uint64_t> restarts_;
};

// A registry through the Confluent API, and its refusals through its own metrics page.
class RegistryReader {
 public:
  explicit RegistryReader(RegistryOptions options) : options_(std::move(options)) {}

  std::vector<metrics::Family> collect() {
    RegistryFacts facts;
    try {
      read(facts);
      facts.up = true;
      log_.worked();
    } catch (const std::exception& error) {
      facts = RegistryFacts{};
      facts.error = error.what();
      facts.reason = failure_reason(error);
      log_.failed(facts.error);
    }
    if (facts.up && !options_.metrics_url.empty()) read_refusals(facts);
    return registry_families(facts, !options_.metrics_url.empty());
  }

 private:
  void read(RegistryFacts& facts) {
    facts.global_compatibility = parse_compatibility(rest_get(options_.rest, "/config"));
    for (auto& name : parse_subjects(rest_get(options_.rest, "/subjects"))) {
      SubjectFacts subject;
      subject.versions = parse_versions(rest_get(options_.rest, "/subjects/" + escape(name) + "/versions"));
      subject.compatibility = own_level(name);
      subject.name = std::move(name);
      facts.subjects.push_back(std::move(subject));
    }
  }

  // A subject without a level of its own answers 404 (Confluent's error 40408).
  std::string own_level(const std::string& subject) {
    try {
      return parse_compatibility(rest_get(options_.rest, "/config/" + escape(subject)));
    } catch (const http_client::HttpError& error) {
      if (std::string(error.what()).find("HTTP 404") != std::string::npos) return {};
      throw;
    }
  }

  void read_refusals(RegistryFacts& facts) {
    RestOptions page = options_.rest;
    page.urls = {options_.metrics_url};
    page.http.max_body_bytes = 16u << 20;
    page.http.accept = "text/plain";
    try {
      const std::string text = rest_get(page, "");
      // Apicurio (Quarkus micrometer): every answer counted by status and route. A refused
      // registration is a 409 of POST /subjects/{subject}/versions.
      facts.refused_registrations =
          sum_samples(text, "http_server_requests_seconds_count", {{"method", "POST"}, {"status", "409"}});
      if (!facts.refused_registrations) facts.refused_registrations = 0;
      metrics_log_.worked();
    } catch (const std::exception& error) {
      metrics_log_.failed(error.what());
    }
  }

  static std::string escape(const std::string& name) {
    static const char* hex = "0123456789ABCDEF";
    std::string out;
    for (const unsigned char c : name) {
      if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
        out += static_cast<char>(c);
      } else {
        out += '%';
        out += hex[c >> 4];
        out += hex[c & 15];
      }
    }
    return out;
  }

  RegistryOptions options_;
  FailureLog log_{"Schema Registry"};
  FailureLog metrics_log_{"Schema Registry metrics page"};
};

}  // namespace

std::string rest_get(const RestOptions& rest, const std::string& path) {
  std::string failures;
  for (const auto& base : rest.urls) {
    const std::string url = joined(base, path);
    try {
      auto response = http_client::http_get(http_client::parse_http_url(url), rest.http);
      if (response.status / 100 == 2) return std::move(response.body);
      throw http_client::HttpError("HTTP " + std::to_string(response.status) + ": " +
                                   response.body.substr(0, 200));
    } catch (const http_client::HttpError& error) {
      // An answer from the API (an unknown connector, a subject without a level) is final.
      if (std::string(error.what()).starts_with("HTTP 4")) throw http_client::HttpError(error.what());
      failures += (failures.empty() ? "" : "; ") + url + ": " + error.what();
    }
  }
  throw http_client::HttpError(failures.empty() ? "no URL configured" : failures);
}

struct PlatformRunner::Component {
  std::string name;
  std::function<std::vector<metrics::Family>()> collect;
  std::shared_ptr<const std::vector<metrics::Family>> published;
};

PlatformRunner::PlatformRunner(std::optional<ConnectOptions> connect, std::optional<RegistryOptions> registry,
                               std::chrono::milliseconds interval)
    : interval_(interval) {
  if (connect) {
    auto reader = std::make_shared<ConnectReader>(std::move(*connect));
    components_.push_back(
        std::make_unique<Component>(Component{"connect", [reader] { return reader->collect(); }, {}}));
  }
  if (registry) {
    auto reader = std::make_shared<RegistryReader>(std::move(*registry));
    components_.push_back(std::make_unique<Component>(
        Component{"schema_registry", [reader] { return reader->collect(); }, {}}));
  }
  for (auto& component : components_) threads_.emplace_back([this, &component] { loop(*component); });
}

PlatformRunner::~PlatformRunner() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  for (auto& thread : threads_) thread.join();
}

void PlatformRunner::loop(Component& component) {
  for (;;) {
    const auto started = std::chrono::steady_clock::now();
    auto families = std::make_shared<const std::vector<metrics::Family>>(component.collect());
    std::unique_lock lock(mutex_);
    component.published = std::move(families);
    if (wake_.wait_until(lock, started + interval_, [this] { return stopping_; })) return;
  }
}

std::vector<std::shared_ptr<const std::vector<metrics::Family>>> PlatformRunner::families() const {
  std::lock_guard lock(mutex_);
  std::vector<std::shared_ptr<const std::vector<metrics::Family>>> out;
  for (const auto& component : components_) {
    if (component->published) out.push_back(component->published);
  }
  return out;
}

}  // namespace kse::platform
