#include "jmx/jolokia/bridge.h"

#include <simdjson.h>

#include <chrono>
#include <map>
#include <set>
#include <thread>
#include <unordered_set>

#include "common/clock.h"
#include "jmx/jolokia/http_post.h"
#include "jmx/jolokia/jolokia.h"
#include "jmx/jolokia/jvm_metrics.h"
#include "jmx/rules/rule_engine.h"

namespace kse::jmx {

using common::unix_now;

namespace {

using metrics::Family;
using metrics::MetricType;
using simdjson::dom::element;
using simdjson::dom::element_type;

constexpr const char* kRequestConfig =
    R"({"ignoreErrors":true,"canonicalNaming":false,"serializeLong":"number","maxCollectionSize":0,"maxObjects":0,"maxDepth":0})";
// Beans listed one by one below this many new ones in a domain; the whole domain above.
constexpr size_t kListOneByOneBelow = 64;

Family single(const char* name, const char* help, MetricType type, double value, int32_t owner,
              std::vector<std::string> label_names = {},
              std::vector<std::string> label_values = {}) {
  Family f;
  f.name = name;
  f.help = help;
  f.type = type;
  f.label_names = std::move(label_names);
  metrics::Sample s;
  s.label_values = std::move(label_values);
  s.value = value;
  s.owner = owner;
  f.samples.push_back(std::move(s));
  return f;
}

// Jolokia path segments escape '!' and '/' with '!'.
std::string path_escape(std::string_view text) {
  std::string out;
  for (const char c : text) {
    if (c == '!' || c == '/') out += '!';
    out += c;
  }
  return out;
}

std::string body_of(const std::vector<std::string>& requests) {
  std::string body = "[";
  for (size_t i = 0; i < requests.size(); ++i) {
    if (i > 0) body += ',';
    body += requests[i];
  }
  return body + "]";
}

std::string short_text(std::string_view text) {
  std::string out(text.substr(0, 200));
  for (char& c : out) {
    if (c == '\n' || c == '\r') c = ' ';
  }
  return out;
}

}  // namespace

struct JolokiaBridge::State {
  std::shared_ptr<const RuleSet> rules;
  HttpTarget target;
  HttpOptions http;
  RuleEngine engine;
  BeanCatalog catalog;
  AttributeDescriptions descriptions;
  std::vector<std::string> domains;  // every JMX domain of the broker, from `list`
  uint64_t cycle = 0;
  simdjson::dom::parser main_parser;
  simdjson::dom::parser extra_parser;

  State(std::shared_ptr<const RuleSet> r) : rules(r), engine(r), catalog(r) {}
};

JolokiaBridge::JolokiaBridge(BridgeConfig config, std::shared_ptr<const RuleSet> rules)
    : config_(std::move(config)), state_(std::make_unique<State>(std::move(rules))) {
  state_->http.connect_timeout = config_.connect_timeout;
  state_->http.read_timeout = config_.read_timeout;
  state_->http.max_body_bytes = config_.max_body_bytes;
  state_->http.username = config_.username;
  state_->http.password = config_.password;
  state_->http.ca_file = config_.ca_file;
  state_->http.verify_tls = config_.verify_tls;
  // Until the first cycle ends nothing is known: no series, rather than a false "down".
  // A URL that cannot be used is known to fail at once.
  published_ = std::make_shared<const std::vector<Family>>();
  try {
    state_->target = parse_http_url(config_.url);
  } catch (const HttpError& error) {
    status_.last_error = error.what();
    published_ = std::make_shared<const std::vector<Family>>(jmx_status_families(config_.broker_id, status_));
  }
}

JolokiaBridge::~JolokiaBridge() = default;

void JolokiaBridge::collect_once() {
  State& s = *state_;
  const auto started = std::chrono::steady_clock::now();
  const int32_t owner = config_.broker_id;
  ++s.cycle;
  BridgeStatus next;
  {
    std::lock_guard lock(mutex_);
    next = status_;
  }
  next.cycles += 1;
  next.posts = 0;
  next.jolokia_seconds = 0;
  next.response_bytes = 0;
  const std::string config = kRequestConfig;
  std::vector<Family> families;
  std::string error;

  const auto post = [&](simdjson::dom::parser& parser,
                        const std::vector<std::string>& requests) -> simdjson::dom::array {
    const auto sent = std::chrono::steady_clock::now();
    const HttpResponse response = http_post(s.target, body_of(requests), s.http);
    next.jolokia_seconds +=
        std::chrono::duration<double>(std::chrono::steady_clock::now() - sent).count();
    ++next.posts;
    next.response_bytes += response.body.size();
    if (response.status == 401 || response.status == 403) {
      throw HttpError("HTTP " + std::to_string(response.status) +
                      " from Jolokia: check jmx username and password");
    }
    if (response.status != 200) {
      throw HttpError("HTTP " + std::to_string(response.status) +
                      " from Jolokia: " + short_text(response.body));
    }
    element root;
    if (const auto parse_error = parser.parse(response.body).get(root)) {
      throw HttpError(std::string("Jolokia answered with invalid JSON: ") +
                      simdjson::error_message(parse_error));
    }
    if (root.type() != element_type::ARRAY) {
      const auto message = root.at_key("error");
      throw HttpError("Jolokia refused the bulk request: " +
                      (message.error() || message.value_unsafe().type() != element_type::STRING
                           ? short_text(simdjson::to_string(root))
                           : short_text(std::string_view(message.value_unsafe()))));
    }
    simdjson::dom::array answers = root;
    if (answers.size() != requests.size()) {
      throw HttpError("Jolokia answered " + std::to_string(answers.size()) + " of " +
                      std::to_string(requests.size()) + " requests");
    }
    return answers;
  };

  try {
    if (!status_.last_error.empty() && s.target.host.empty()) throw HttpError(status_.last_error);
    const bool refresh_domains =
        s.domains.empty() || (config_.domain_refresh_cycles > 0 &&
                              s.cycle % static_cast<uint64_t>(config_.domain_refresh_cycles) == 0);
    if (s.domains.empty() && s.rules->include.empty()) {
      const auto answers = post(s.extra_parser, {R"({"type":"list","config":{"maxDepth":1}})"});
      element value;
      if (answers.at(0).at_key("value").get(value) || value.type() != element_type::OBJECT) {
        throw HttpError("Jolokia's list of MBean domains has no value");
      }
      for (auto domain : simdjson::dom::object(value)) s.domains.emplace_back(domain.key);
    }

    // One read per domain a rule can match (or per includeObjectNames pattern).
    std::vector<std::string> requests;
    std::vector<std::string> single_beans;  // per request: the bean name when not a pattern
    const auto read = [&](const std::string& mbean, bool pattern) {
      requests.push_back(R"({"type":"read","mbean":)" + json_quote(mbean) +
                         ",\"config\":" + config + "}");
      single_beans.push_back(pattern ? std::string() : mbean);
    };
    if (!s.rules->include.empty()) {
      for (const ObjectNamePattern& pattern : s.rules->include) {
        const auto domain = pattern.literal_domain();
        if (!domain || s.rules->domain_wanted(*domain)) read(pattern.text(), pattern.is_pattern());
      }
    } else {
      for (const std::string& domain : s.domains) {
        if (s.rules->domain_wanted(domain)) read(domain + ":*", true);
      }
    }
    const size_t rule_reads = requests.size();
    if (config_.jvm_metrics) {
      for (std::string& r : jvm_read_requests(config)) requests.push_back(std::move(r));
    }
    const size_t jvm_end = requests.size();
    if (refresh_domains && !s.domains.empty() && s.rules->include.empty()) {
      requests.push_back(R"({"type":"list","config":{"maxDepth":1}})");
    }
    const simdjson::dom::array answers = post(s.main_parser, requests);

    std::vector<element> read_values;
    std::vector<std::pair<std::string, element>> single_values;
    for (size_t i = 0; i < rule_reads; ++i) {
      const element answer = answers.at(i);
      element value;
      int64_t status = 0;
      if (answer.at_key("status").get(status) || status != 200) continue;  // e.g. no such bean
      if (answer.at_key("value").get(value) || value.type() != element_type::OBJECT) continue;
      if (single_beans[i].empty()) {
        read_values.push_back(value);
      } else {
        single_values.emplace_back(single_beans[i], value);
      }
    }
    if (jvm_end < requests.size()) {
      element value;
      if (!answers.at(jvm_end).at_key("value").get(value) && value.type() == element_type::OBJECT) {
        std::vector<std::string> domains;
        for (auto domain : simdjson::dom::object(value)) domains.emplace_back(domain.key);
        if (!domains.empty()) s.domains = std::move(domains);
      }
    }

    // New beans get their attribute descriptions listed once (jmx_exporter's help text).
    std::vector<std::string> extra_requests;
    std::vector<std::string> listed_beans;
    if (config_.attribute_descriptions) {
      std::map<std::string, std::vector<std::string>> new_by_domain;
      std::string name;
      const auto note = [&](std::string_view bean) {
        name.assign(bean);
        if (s.descriptions.count(name) > 0) return;
        const size_t colon = name.find(':');
        if (colon != std::string::npos) new_by_domain[name.substr(0, colon)].push_back(name);
      };
      for (const element& value : read_values) {
        for (auto bean : simdjson::dom::object(value)) note(bean.key);
      }
      for (const auto& single : single_values) note(single.first);
      for (auto& [domain, names] : new_by_domain) {
        if (names.size() < kListOneByOneBelow) {
          for (const std::string& bean : names) {
            extra_requests.push_back(R"({"type":"list","path":)" +
                                     json_quote(path_escape(domain) + "/" +
                                                path_escape(bean.substr(domain.size() + 1))) +
                                     ",\"config\":" + config + "}");
          }
        } else {
          extra_requests.push_back(R"({"type":"list","path":)" + json_quote(path_escape(domain)) +
                                   ",\"config\":" + config + "}");
        }
        for (std::string& bean : names) listed_beans.push_back(std::move(bean));
      }
    }
    JvmSnapshot jvm;
    std::vector<int64_t> thread_ids;
    int64_t pid = -1;
    if (config_.jvm_metrics) {
      std::vector<element> jvm_answers;
      for (size_t i = rule_reads; i < jvm_end; ++i) jvm_answers.push_back(answers.at(i));
      parse_jvm_responses(jvm_answers, jvm, thread_ids, pid);
      if (!thread_ids.empty()) extra_requests.push_back(thread_info_request(thread_ids, config));
    }
    // Thread states and attribute descriptions are extras: when their POST fails the cycle
    // goes on without them (descriptions are asked again next cycle).
    if (!extra_requests.empty()) {
      try {
        const simdjson::dom::array extra = post(s.extra_parser, extra_requests);
        size_t index = 0;
        for (auto answer : extra) {
          const bool is_thread_info =
              config_.jvm_metrics && !thread_ids.empty() && index + 1 == extra_requests.size();
          ++index;
          if (is_thread_info) {
            parse_thread_info_response(answer, jvm);
            continue;
          }
          element value;
          int64_t status = 0;
          if (answer.at_key("status").get(status) || status != 200) continue;
          if (answer.at_key("value").get(value)) continue;
          std::string_view path;
          if (answer.at_key("request").at_key("path").get(path)) continue;
          const size_t slash = path.find('/');
          if (slash == std::string_view::npos) {
            parse_list_value(value, path, s.descriptions);
          } else {
            const std::string bean =
                std::string(path.substr(0, slash)) + ":" + std::string(path.substr(slash + 1));
            parse_bean_info(value, s.descriptions[bean]);
          }
        }
        // Listed or not (a bean may vanish in between), never list these again.
        for (const std::string& name : listed_beans) s.descriptions.try_emplace(name);
      } catch (const std::exception& e) {
        next.extra_errors += 1;
        next.last_extra_error = e.what();
      }
    }

    s.engine.begin_cycle();
    s.catalog.begin_cycle();
    FeedStats stats;
    for (const element& value : read_values) {
      feed_pattern_read(simdjson::dom::object(value), s.catalog, s.descriptions, s.engine, stats);
    }
    for (const auto& [name, value] : single_values) {
      const KnownBean* bean = s.catalog.find_or_add(name);
      if (bean == nullptr || !bean->wanted) continue;
      const auto it = s.descriptions.find(name);
      feed_bean(*bean, simdjson::dom::object(value),
                it == s.descriptions.end() ? nullptr : &it->second, s.engine, stats);
    }
    s.catalog.end_cycle();
    if (refresh_domains) {
      for (auto it = s.descriptions.begin(); it != s.descriptions.end();) {
        it = s.catalog.contains(it->first) ? std::next(it) : s.descriptions.erase(it);
      }
    }
    families = s.engine.finish_cycle(owner);
    if (config_.jvm_metrics) {
      if (jvm.start_time_ms) {
        if (const auto memory = local_process_memory(config_.proc_root, pid, *jvm.start_time_ms)) {
          jvm.virtual_memory_bytes = memory->virtual_bytes;
          jvm.resident_memory_bytes = memory->resident_bytes;
        }
      }
      for (Family& f : jvm_families(jvm, owner)) families.push_back(std::move(f));
    }
    next.beans = stats.beans;
    next.attributes = stats.attributes;
    next.cached_beans = s.engine.cached_beans();
    next.cache_hits = s.engine.cache_hits();
    next.cache_misses = s.engine.cache_misses();
  } catch (const std::exception& e) {
    error = e.what();
    families.clear();
  }

  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  next.last_collect_seconds = seconds;
  if (error.empty()) {
    next.up = true;
    next.last_error.clear();
    next.last_success_unix_seconds = unix_now();
  } else {
    next.up = false;
    next.errors += 1;
    next.last_error = error;
  }
  size_t samples = 0;
  for (const Family& f : families) samples += f.samples.size();
  next.samples = samples;
  // jmx_exporter's own three series, then ours.
  families.push_back(single("jmx_scrape_duration_seconds", "Time this JMX scrape took, in seconds.",
                            MetricType::kGauge, seconds, owner));
  families.push_back(single("jmx_scrape_error", "Non-zero if this scrape failed.",
                            MetricType::kGauge, error.empty() ? 0 : 1, owner));
  if (error.empty()) {
    families.push_back(single("jmx_scrape_cached_beans",
                              "Number of beans with their matching rule cached", MetricType::kGauge,
                              static_cast<double>(next.cached_beans), owner));
  }
  for (Family& f : jmx_status_families(owner, next)) families.push_back(std::move(f));

  auto published = std::make_shared<const std::vector<Family>>(std::move(families));
  std::lock_guard lock(mutex_);
  status_ = next;
  published_ = std::move(published);
}

std::vector<Family> JolokiaBridge::families() const { return *shared_families(); }

std::shared_ptr<const std::vector<Family>> JolokiaBridge::shared_families() const {
  std::lock_guard lock(mutex_);
  return published_;
}

BridgeStatus JolokiaBridge::status() const {
  std::lock_guard lock(mutex_);
  return status_;
}

BridgeRunner::BridgeRunner(const std::vector<BridgeConfig>& brokers, std::shared_ptr<const RuleSet> rules,
                           std::chrono::milliseconds interval)
    : interval_(interval) {
  for (const BridgeConfig& config : brokers) {
    bridges_.push_back(std::make_unique<JolokiaBridge>(config, rules));
  }
  for (auto& bridge : bridges_) {
    threads_.emplace_back([this, b = bridge.get()] { loop(*b); });
  }
}

BridgeRunner::~BridgeRunner() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  for (auto& thread : threads_) thread.join();
}

void BridgeRunner::loop(JolokiaBridge& bridge) {
  for (;;) {
    const auto started = std::chrono::steady_clock::now();
    bridge.collect_once();
    std::unique_lock lock(mutex_);
    if (wake_.wait_until(lock, started + interval_, [this] { return stopping_; })) return;
  }
}

std::vector<std::shared_ptr<const std::vector<Family>>> BridgeRunner::families() const {
  std::vector<std::shared_ptr<const std::vector<Family>>> out;
  for (const auto& bridge : bridges_) out.push_back(bridge->shared_families());
  return out;
}

std::vector<Family> jmx_status_families(int32_t broker_id, const BridgeStatus& status) {
  const std::string broker = std::to_string(broker_id);
  std::vector<Family> out;
  out.push_back(single("kafka_sidecar_jmx_up",
                       "1 when the last cycle read the broker's JMX through Jolokia, else 0.",
                       MetricType::kGauge, status.up ? 1 : 0, broker_id, {"broker"}, {broker}));
  out.push_back(single("kafka_sidecar_jmx_errors_total",
                       "Jolokia collection cycles that failed (connection, timeout, HTTP status, "
                       "invalid answer).",
                       MetricType::kCounter, static_cast<double>(status.errors), broker_id,
                       {"broker"}, {broker}));
  out.push_back(single("kafka_sidecar_jmx_collect_seconds",
                       "Duration of the last Jolokia collection cycle, in seconds.",
                       MetricType::kGauge, status.last_collect_seconds, broker_id, {"broker"},
                       {broker}));
  out.push_back(single("kafka_sidecar_jmx_last_success_timestamp_seconds",
                       "Unix time of the last successful Jolokia collection (0: never).",
                       MetricType::kGauge, status.last_success_unix_seconds, broker_id, {"broker"},
                       {broker}));
  return out;
}

}  // namespace kse::jmx
