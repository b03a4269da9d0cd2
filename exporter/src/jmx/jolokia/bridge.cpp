#include "jmx/jolokia/bridge.h"

#include <simdjson.h>

#include <chrono>
#include <map>
#include <optional>
#include <set>
#include <thread>
#include <unordered_set>
#include <variant>

#include "common/clock.h"
#include "http_client/http_post.h"
#include "jmx/jolokia/jolokia.h"
#include "jmx/jolokia/jvm_metrics.h"
#include "jmx/rules/rule_engine.h"

namespace kse::jmx {

using http_client::http_post;
using http_client::HttpError;
using http_client::HttpOptions;
using http_client::HttpResponse;
using http_client::HttpTarget;
using http_client::parse_http_url;

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

// A status family of one sample.
Family single(std::string_view name, double value, int32_t owner,
              std::vector<std::string> label_values = {}) {
  Family f = bridge_status_catalogue().make_family(name);
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

std::string short_text(std::string_view text) {
  std::string out(text.substr(0, 200));
  for (char& c : out) {
    if (c == '\n' || c == '\r') c = ' ';
  }
  return out;
}

bool is_connect_worker(const BridgeConfig& config) { return !config.connect_worker.empty(); }

int32_t owner_of(const BridgeConfig& config) {
  return is_connect_worker(config) ? metrics::kClusterOwner : config.broker_id;
}

// The kafka_sidecar_jmx_* families labelled with `broker`, or with no label when it is empty.
std::vector<Family> status_families(const BridgeStatus& status, int32_t owner, const std::string& broker) {
  const auto one = [&](std::string_view name, double value) {
    if (!broker.empty()) return single(name, value, owner, {broker});
    Family f = single(name, value, owner);
    f.label_names.clear();
    return f;
  };
  std::vector<Family> out;
  out.push_back(one("kafka_sidecar_jmx_up", status.up ? 1 : 0));
  out.push_back(one("kafka_sidecar_jmx_errors_total", static_cast<double>(status.errors)));
  out.push_back(one("kafka_sidecar_jmx_collect_seconds", status.last_collect_seconds));
  out.push_back(one("kafka_sidecar_jmx_last_success_timestamp_seconds", status.last_success_unix_seconds));
  return out;
}

// A Connect worker's have no `broker` label: its connect_worker comes with the rest of its series.
std::vector<Family> status_families(const BridgeConfig& config, const BridgeStatus& status) {
  return status_families(status, owner_of(config),
                         is_connect_worker(config) ? std::string() : std::to_string(config.broker_id));
}

// jmx_exporter's own three series, then ours.
void add_scrape_families(std::vector<Family>& families, const BridgeStatus& status,
                         const BridgeConfig& config) {
  const int32_t owner = owner_of(config);
  families.push_back(single("jmx_scrape_duration_seconds", status.last_collect_seconds, owner));
  families.push_back(single("jmx_scrape_error", status.up ? 0 : 1, owner));
  if (status.up) {
    families.push_back(single("jmx_scrape_cached_beans", static_cast<double>(status.cached_beans), owner));
  }
  for (Family& f : status_families(config, status)) families.push_back(std::move(f));
}

// A Connect worker's series share names with the brokers' (jvm_*, jmx_scrape_*...) and
// with the other workers': its own label keeps each one unique on any page.
void label_connect_worker(std::vector<Family>& families, const BridgeConfig& config) {
  if (!is_connect_worker(config)) return;
  for (Family& f : families) {
    for (metrics::Sample& s : f.samples) s.extra_labels.push_back({"connect_worker", config.connect_worker});
  }
}

// What asked for one read of a bulk request, so its answer goes back there.
struct RulePatternRead {};  // answer: {bean: {attribute: value}} for the rules
struct RuleBeanRead {       // answer: {attribute: value} of one bean for the rules
  std::string bean;
};
struct DomainListRead {};  // answer: {domain: ...} of every JMX domain
struct DomainDescriptionsRead {
  std::string domain;
  std::vector<std::string> beans;  // the new beans it is asked for
};
struct BeanDescriptionsRead {
  std::string bean;
};
struct ThreadStatesRead {};
using ReadTag = std::variant<RulePatternRead, RuleBeanRead, JvmRead, DomainListRead, DomainDescriptionsRead,
                             BeanDescriptionsRead, ThreadStatesRead>;

struct Read {
  ReadTag tag;
  std::string request;  // one JSON object of the bulk body
};

template <class... Handlers>
struct Overloaded : Handlers... {
  using Handlers::operator()...;
};
template <class... Handlers>
Overloaded(Handlers...) -> Overloaded<Handlers...>;

constexpr const char* kListDomains = R"({"type":"list","config":{"maxDepth":1}})";

std::string body_of(const std::vector<Read>& reads) {
  std::string body = "[";
  for (size_t i = 0; i < reads.size(); ++i) {
    if (i > 0) body += ',';
    body += reads[i].request;
  }
  return body + "]";
}

// The value of a successful read whose value is a JSON object; none for e.g. no such bean.
std::optional<element> object_value(element answer) {
  element value;
  int64_t status = 0;
  if (answer.at_key("status").get(status) || status != 200) return std::nullopt;
  if (answer.at_key("value").get(value) || value.type() != element_type::OBJECT) {
    return std::nullopt;
  }
  return value;
}

std::vector<std::string> domain_names(element value) {
  std::vector<std::string> domains;
  for (auto domain : simdjson::dom::object(value)) domains.emplace_back(domain.key);
  return domains;
}

// The answers of a cycle's main bulk read, sorted by what asked for them.
struct MainAnswers {
  std::vector<element> pattern_values;
  std::vector<std::pair<std::string, element>> bean_values;
  std::vector<std::pair<JvmRead, element>> jvm;
  std::vector<std::string> domains;  // empty unless the domains were listed
};

}  // namespace

struct JolokiaBridge::State {
  const BridgeConfig& config;
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

  State(const BridgeConfig& c, std::shared_ptr<const RuleSet> r)
      : config(c), rules(r), engine(r), catalog(r) {}

  simdjson::dom::array post(simdjson::dom::parser& parser, const std::vector<Read>& reads,
                            BridgeStatus& next);
  void list_domains(BridgeStatus& next);
  std::vector<Read> main_reads(bool refresh_domains) const;
  MainAnswers sort_main_answers(const std::vector<Read>& reads, simdjson::dom::array answers);
  std::vector<Read> description_reads(const MainAnswers& main) const;
  void read_extras(const std::vector<Read>& reads, JvmSnapshot& jvm, BridgeStatus& next);
  std::vector<Family> apply_rules(const MainAnswers& main, bool refresh_domains, BridgeStatus& next);
  std::vector<Family> jvm_families_of(JvmSnapshot& jvm, int64_t pid) const;
};

// One bulk POST; throws HttpError unless Jolokia answered every read.
simdjson::dom::array JolokiaBridge::State::post(simdjson::dom::parser& parser, const std::vector<Read>& reads,
                                                BridgeStatus& next) {
  const auto sent = std::chrono::steady_clock::now();
  const HttpResponse response = http_post(target, body_of(reads), http);
  next.jolokia_seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - sent).count();
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
  if (answers.size() != reads.size()) {
    throw HttpError("Jolokia answered " + std::to_string(answers.size()) + " of " +
                    std::to_string(reads.size()) + " requests");
  }
  return answers;
}

// Without includeObjectNames the rules read whole domains, which must be known first.
void JolokiaBridge::State::list_domains(BridgeStatus& next) {
  const auto answers = post(extra_parser, {{DomainListRead{}, kListDomains}}, next);
  element value;
  if (answers.at(0).at_key("value").get(value) || value.type() != element_type::OBJECT) {
    throw HttpError("Jolokia's list of MBean domains has no value");
  }
  domains = domain_names(value);
}

// One read per domain a rule can match (or per includeObjectNames pattern), the JVM
// reads, and the domain list when it is due again.
std::vector<Read> JolokiaBridge::State::main_reads(bool refresh_domains) const {
  const std::string read_config = kRequestConfig;
  std::vector<Read> reads;
  const auto read = [&](const std::string& mbean, ReadTag tag) {
    reads.push_back({std::move(tag),
                     R"({"type":"read","mbean":)" + json_quote(mbean) + ",\"config\":" + read_config + "}"});
  };
  if (!rules->include.empty()) {
    for (const ObjectNamePattern& pattern : rules->include) {
      const auto domain = pattern.literal_domain();
      if (domain && !rules->domain_wanted(*domain)) continue;
      if (pattern.is_pattern()) {
        read(pattern.text(), RulePatternRead{});
      } else {
        read(pattern.text(), RuleBeanRead{pattern.text()});
      }
    }
  } else {
    for (const std::string& domain : domains) {
      if (rules->domain_wanted(domain)) read(domain + ":*", RulePatternRead{});
    }
  }
  if (config.jvm_metrics) {
    for (JvmRequest& jvm : jvm_read_requests(read_config)) {
      reads.push_back({jvm.read, std::move(jvm.body)});
    }
  }
  if (refresh_domains && !domains.empty() && rules->include.empty()) {
    reads.push_back({DomainListRead{}, kListDomains});
  }
  return reads;
}

MainAnswers JolokiaBridge::State::sort_main_answers(const std::vector<Read>& reads,
                                                    simdjson::dom::array answers) {
  MainAnswers main;
  for (size_t i = 0; i < reads.size(); ++i) {
    const element answer = answers.at(i);
    std::visit(Overloaded{
                   [&](const RulePatternRead&) {
                     if (const auto value = object_value(answer)) {
                       main.pattern_values.push_back(*value);
                     }
                   },
                   [&](const RuleBeanRead& read) {
                     if (const auto value = object_value(answer)) {
                       main.bean_values.emplace_back(read.bean, *value);
                     }
                   },
                   [&](JvmRead read) { main.jvm.emplace_back(read, answer); },
                   [&](const DomainListRead&) {
                     element value;
                     if (!answer.at_key("value").get(value) && value.type() == element_type::OBJECT) {
                       main.domains = domain_names(value);
                     }
                   },
                   [](const auto&) {},
               },
               reads[i].tag);
  }
  return main;
}

// New beans get their attribute descriptions listed once (jmx_exporter's help text):
// one by one when a domain has few new ones, else the whole domain.
std::vector<Read> JolokiaBridge::State::description_reads(const MainAnswers& main) const {
  std::vector<Read> reads;
  if (!config.attribute_descriptions) return reads;
  const std::string read_config = kRequestConfig;
  std::map<std::string, std::vector<std::string>> new_by_domain;
  std::string name;
  const auto note = [&](std::string_view bean) {
    name.assign(bean);
    if (descriptions.count(name) > 0) return;
    const size_t colon = name.find(':');
    if (colon != std::string::npos) new_by_domain[name.substr(0, colon)].push_back(name);
  };
  for (const element& value : main.pattern_values) {
    for (auto bean : simdjson::dom::object(value)) note(bean.key);
  }
  for (const auto& [bean, value] : main.bean_values) note(bean);
  for (auto& [domain, names] : new_by_domain) {
    if (names.size() < kListOneByOneBelow) {
      for (const std::string& bean : names) {
        const std::string path = path_escape(domain) + "/" + path_escape(bean.substr(domain.size() + 1));
        reads.push_back({BeanDescriptionsRead{bean}, R"({"type":"list","path":)" + json_quote(path) +
                                                         ",\"config\":" + read_config + "}"});
      }
    } else {
      const std::string request =
          R"({"type":"list","path":)" + json_quote(path_escape(domain)) + ",\"config\":" + read_config + "}";
      reads.push_back({DomainDescriptionsRead{domain, std::move(names)}, request});
    }
  }
  return reads;
}

// Thread states and attribute descriptions are extras: when their POST fails the cycle
// goes on without them (descriptions are asked again next cycle).
void JolokiaBridge::State::read_extras(const std::vector<Read>& reads, JvmSnapshot& jvm, BridgeStatus& next) {
  if (reads.empty()) return;
  try {
    const simdjson::dom::array answers = post(extra_parser, reads, next);
    for (size_t i = 0; i < reads.size(); ++i) {
      const element answer = answers.at(i);
      element value;
      int64_t status = 0;
      const bool answered =
          !answer.at_key("status").get(status) && status == 200 && !answer.at_key("value").get(value);
      std::visit(Overloaded{
                     [&](const ThreadStatesRead&) { parse_thread_info_response(answer, jvm); },
                     [&](const DomainDescriptionsRead& read) {
                       if (answered) parse_list_value(value, read.domain, descriptions);
                     },
                     [&](const BeanDescriptionsRead& read) {
                       if (answered) parse_bean_info(value, descriptions[read.bean]);
                     },
                     [](const auto&) {},
                 },
                 reads[i].tag);
    }
    // Listed or not (a bean may vanish in between), never list these again.
    for (const Read& read : reads) {
      if (const auto* one = std::get_if<BeanDescriptionsRead>(&read.tag)) {
        descriptions.try_emplace(one->bean);
      } else if (const auto* domain = std::get_if<DomainDescriptionsRead>(&read.tag)) {
        for (const std::string& bean : domain->beans) descriptions.try_emplace(bean);
      }
    }
  } catch (const std::exception& e) {
    next.extra_errors += 1;
    next.last_extra_error = e.what();
  }
}

std::vector<Family> JolokiaBridge::State::apply_rules(const MainAnswers& main, bool refresh_domains,
                                                      BridgeStatus& next) {
  engine.begin_cycle();
  catalog.begin_cycle();
  FeedStats stats;
  for (const element& value : main.pattern_values) {
    feed_pattern_read(simdjson::dom::object(value), catalog, descriptions, engine, stats);
  }
  for (const auto& [name, value] : main.bean_values) {
    const KnownBean* bean = catalog.find_or_add(name);
    if (bean == nullptr || !bean->wanted) continue;
    const auto it = descriptions.find(name);
    feed_bean(*bean, simdjson::dom::object(value), it == descriptions.end() ? nullptr : &it->second, engine,
              stats);
  }
  catalog.end_cycle();
  if (refresh_domains) {
    for (auto it = descriptions.begin(); it != descriptions.end();) {
      it = catalog.contains(it->first) ? std::next(it) : descriptions.erase(it);
    }
  }
  std::vector<Family> families = engine.finish_cycle(owner_of(config));
  // finish_cycle() publishes the cycle's cache counts.
  next.beans = stats.beans;
  next.attributes = stats.attributes;
  next.cached_beans = engine.cached_beans();
  next.cache_hits = engine.cache_hits();
  next.cache_misses = engine.cache_misses();
  return families;
}

// The JVM families, with the broker's memory from /proc when it runs on this host.
std::vector<Family> JolokiaBridge::State::jvm_families_of(JvmSnapshot& jvm, int64_t pid) const {
  if (jvm.start_time_ms) {
    if (const auto memory = local_process_memory(config.proc_root, pid, *jvm.start_time_ms)) {
      jvm.virtual_memory_bytes = memory->virtual_bytes;
      jvm.resident_memory_bytes = memory->resident_bytes;
    }
  }
  return jvm_families(jvm, owner_of(config));
}

JolokiaBridge::JolokiaBridge(BridgeConfig config, std::shared_ptr<const RuleSet> rules)
    : config_(std::move(config)), state_(std::make_unique<State>(config_, std::move(rules))) {
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
    std::vector<Family> families = status_families(config_, status_);
    label_connect_worker(families, config_);
    published_ = std::make_shared<const std::vector<Family>>(std::move(families));
  }
}

JolokiaBridge::~JolokiaBridge() = default;

// One cycle: the domains when unknown, one bulk read for the rules and the JVM, one
// for the extras it calls for, then the rules applied and the status families added.
void JolokiaBridge::collect_once() {
  State& s = *state_;
  const auto started = std::chrono::steady_clock::now();
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
  std::vector<Family> families;
  std::string error;

  try {
    if (!status_.last_error.empty() && s.target.host.empty()) throw HttpError(status_.last_error);
    const bool refresh_domains =
        s.domains.empty() || (config_.domain_refresh_cycles > 0 &&
                              s.cycle % static_cast<uint64_t>(config_.domain_refresh_cycles) == 0);
    if (s.domains.empty() && s.rules->include.empty()) s.list_domains(next);

    const std::vector<Read> reads = s.main_reads(refresh_domains);
    const MainAnswers main = s.sort_main_answers(reads, s.post(s.main_parser, reads, next));
    if (!main.domains.empty()) s.domains = main.domains;

    JvmSnapshot jvm;
    std::vector<int64_t> thread_ids;
    int64_t pid = -1;
    for (const auto& [read, answer] : main.jvm) {
      parse_jvm_response(read, answer, jvm, thread_ids, pid);
    }
    std::vector<Read> extras = s.description_reads(main);
    if (!thread_ids.empty()) {
      extras.push_back({ThreadStatesRead{}, thread_info_request(thread_ids, kRequestConfig)});
    }
    s.read_extras(extras, jvm, next);

    families = s.apply_rules(main, refresh_domains, next);
    if (config_.jvm_metrics) {
      for (Family& f : s.jvm_families_of(jvm, pid)) families.push_back(std::move(f));
    }
  } catch (const std::exception& e) {
    error = e.what();
    families.clear();
  }

  next.last_collect_seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  if (error.empty()) {
    next.up = true;
    next.last_error.clear();
    next.last_success_unix_seconds = unix_now();
  } else {
    next.up = false;
    next.errors += 1;
    next.last_error = error;
  }
  next.samples = 0;
  for (const Family& f : families) next.samples += f.samples.size();
  add_scrape_families(families, next, config_);
  label_connect_worker(families, config_);

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
  return status_families(status, broker_id, std::to_string(broker_id));
}

std::string connect_worker_name(const std::string& jolokia_url) {
  try {
    const HttpTarget target = parse_http_url(jolokia_url);
    const bool ipv6 = target.host.find(':') != std::string::npos;
    return (ipv6 ? "[" + target.host + "]" : target.host) + ":" + target.port;
  } catch (const HttpError&) {
    return jolokia_url;
  }
}

const metrics::Catalogue& bridge_status_catalogue() {
  constexpr std::string_view kBroker = "the broker's port";
  static const metrics::Catalogue families({
      {"jmx_scrape_duration_seconds",
       MetricType::kGauge,
       {},
       "Time this JMX scrape took, in seconds.",
       kBroker},
      {"jmx_scrape_error", MetricType::kGauge, {}, "Non-zero if this scrape failed.", kBroker},
      {"jmx_scrape_cached_beans",
       MetricType::kGauge,
       {},
       "Number of beans with their matching rule cached",
       kBroker},
      {"kafka_sidecar_jmx_up",
       MetricType::kGauge,
       {"broker"},
       "1 when the last cycle read the broker's JMX through Jolokia, else 0.",
       kBroker},
      {"kafka_sidecar_jmx_errors_total",
       MetricType::kCounter,
       {"broker"},
       "Jolokia collection cycles that failed (connection, timeout, HTTP status, invalid "
       "answer).",
       kBroker},
      {"kafka_sidecar_jmx_collect_seconds",
       MetricType::kGauge,
       {"broker"},
       "Duration of the last Jolokia collection cycle, in seconds.",
       kBroker},
      {"kafka_sidecar_jmx_last_success_timestamp_seconds",
       MetricType::kGauge,
       {"broker"},
       "Unix time of the last successful Jolokia collection (0: never).",
       kBroker},
  });
  return families;
}

}  // namespace kse::jmx
