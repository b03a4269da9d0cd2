#pragma once

#include <simdjson.h>

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "jmx/jolokia/jvm_metrics.h"
#include "jmx/rules/rule_engine.h"

// The Jolokia 2 protocol side: bulk request bodies, and the walk over read
// responses that hands each attribute to the rule engine the way jmx_exporter's
// JmxScraper flattens composite and tabular values.
namespace kse::jmx {

// A bean name parsed once and kept while the bean exists.
struct KnownBean {
  ObjectName name;
  std::string prefix;  // "domain<k=v, ...>"
  bool wanted = true;  // includeObjectNames / excludeObjectNames
  uint64_t cycle = 0;
};

// MBeanAttributeInfo of each attribute, from `list`: the description makes the help
// text, the type tells a NaN double (which Jolokia writes as null) from a null.
struct AttributeInfo {
  std::string description;
  std::string type;
};
using BeanAttributes = std::unordered_map<std::string, AttributeInfo>;
using AttributeDescriptions = std::unordered_map<std::string, BeanAttributes>;

class BeanCatalog {
 public:
  explicit BeanCatalog(std::shared_ptr<const RuleSet> rules) : rules_(std::move(rules)) {}
  void begin_cycle() { ++cycle_; }
  // Null when the name cannot be parsed.
  const KnownBean* find_or_add(std::string_view name);
  // Forgets beans not seen this cycle; returns how many are left.
  size_t end_cycle();
  size_t size() const { return beans_.size(); }
  bool contains(const std::string& name) const { return beans_.count(name) > 0; }

 private:
  std::shared_ptr<const RuleSet> rules_;
  std::unordered_map<std::string, std::unique_ptr<KnownBean>> beans_;
  uint64_t cycle_ = 0;
};

struct FeedStats {
  size_t beans = 0;
  size_t attributes = 0;  // values handed to the rule engine
};

// Feeds one bean's {attribute: value} object to the engine (JmxScraper.scrapeBean).
void feed_bean(const KnownBean& bean, simdjson::dom::object attributes, const BeanAttributes* descriptions,
               RuleEngine& engine, FeedStats& stats);

// Feeds the value of a pattern read, {bean name: {attribute: value}}.
void feed_pattern_read(simdjson::dom::object beans, BeanCatalog& catalog,
                       const AttributeDescriptions& descriptions, RuleEngine& engine, FeedStats& stats);

// Same, from JSON text (tests and tools).
FeedStats feed_pattern_read_json(std::string_view json, BeanCatalog& catalog,
                                 const AttributeDescriptions& descriptions, RuleEngine& engine);

// JSON string literal for `text`.
std::string json_quote(std::string_view text);

// The JVM reads appended to each cycle's bulk read, each named for what its answer fills in.
enum class JvmRead {
  kMemory,
  kMemoryPools,
  kGarbageCollectors,
  kThreads,  // also AllThreadIds, for the thread-state request
  kDeadlockedThreads,
  kMonitorDeadlockedThreads,
  kClassLoading,
  kStartTime,
  kPid,
  kRuntimeName,
  kRuntimeVersion,
  kVmVendor,
  kOperatingSystem,
  kBufferPools,
};
struct JvmRequest {
  JvmRead read;
  std::string body;
};
std::vector<JvmRequest> jvm_read_requests(const std::string& config_json);
// Fills `jvm` from the answer to the read named `read`; kThreads also fills `thread_ids`
// (AllThreadIds), kPid `pid`. A failed answer leaves everything as it was.
void parse_jvm_response(JvmRead read, simdjson::dom::element response, JvmSnapshot& jvm,
                        std::vector<int64_t>& thread_ids, int64_t& pid);
std::string thread_info_request(const std::vector<int64_t>& thread_ids, const std::string& config_json);
void parse_thread_info_response(simdjson::dom::element response, JvmSnapshot& jvm);

// Attribute infos from a `list` value: {props: info} for one domain, {domain: {props: info}}
// for several, or one bean's info when `bean` is not empty.
void parse_list_value(simdjson::dom::element value, std::string_view domain,
                      AttributeDescriptions& descriptions);
void parse_bean_info(simdjson::dom::element info, BeanAttributes& attributes);

}  // namespace kse::jmx
