#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "jmx/rules/rules.h"
#include "metrics/family.h"

// jmx_exporter's JmxCollector.Receiver: each MBean attribute value in, the
// first matching rule turns it into a sample. Match results are cached across
// cycles per "bean + attribute" whenever they cannot depend on the value.
namespace kse::jmx {

// A value as JmxScraper passes it to recordBean (Number, Boolean or String).
struct JmxValue {
  enum class Kind { kNumber, kBoolean, kString };
  Kind kind = Kind::kNumber;
  double number = 0;
  bool integral = false;  // a Java Long/Integer: String.valueOf prints no ".0"
  bool boolean = false;
  std::string text;

  static JmxValue of_double(double v) { return {Kind::kNumber, v, false, false, {}}; }
  static JmxValue of_integer(double v) { return {Kind::kNumber, v, true, false, {}}; }
  static JmxValue of_boolean(bool b) { return {Kind::kBoolean, 0, false, b, {}}; }
  static JmxValue of_string(std::string s) { return {Kind::kString, 0, false, false, std::move(s)}; }

  // String.valueOf(value), the text after "attr: " in the match string.
  std::string java_string() const;
};

// Java's Double.toString.
std::string java_double_string(double value);
// jmx_exporter's safeName: invalid characters to '_', runs of '_' collapsed, no leading digit.
std::string safe_name(std::string_view name);
// jmx_exporter's toSnakeAndLowerCase for attrNameSnakeCase.
std::string snake_case(std::string_view attribute);

// The bean a value belongs to: its domain and key properties in name order.
struct BeanRef {
  std::string_view domain;
  const std::vector<KeyProperty>* properties = nullptr;
  // "domain<k1=v1, k2=v2>", computed once per bean by the caller.
  std::string_view prefix;
};

class RuleEngine {
 public:
  // `reuse_matches` false matches every rule afresh each time (jmx_exporter's exact path;
  // the tests compare both).
  explicit RuleEngine(std::shared_ptr<const RuleSet> rules, bool reuse_matches = true);
  ~RuleEngine();
  RuleEngine(const RuleEngine&) = delete;
  RuleEngine& operator=(const RuleEngine&) = delete;

  const RuleSet& rules() const { return *rules_; }

  void begin_cycle();
  // recordBean(): `attr_keys` is the path into composite values (empty for a plain attribute).
  void record(const BeanRef& bean, const std::vector<std::string>& attr_keys, std::string_view attr_name,
              std::string_view description, const JmxValue& value);
  // The cycle's families (each sample owned by `owner`); forgets cache entries not seen this cycle.
  std::vector<metrics::Family> finish_cycle(int32_t owner);

  // jmx_scrape_cached_beans of the last finished cycle.
  size_t cached_beans() const { return last_cached_beans_; }
  size_t cache_entries() const;
  // Attribute lookups answered from the cache in the last cycle, and those matched afresh.
  size_t cache_hits() const { return last_hits_; }
  size_t cache_misses() const { return last_misses_; }

 private:
  struct Matched;
  struct Entry;
  struct FamilyBuild;
  enum class Outcome { kNoMatch, kMatch, kDrop };

  Outcome apply_rule(size_t rule_index, std::string_view subject, const Captures* captures,
                     const BeanRef& bean, const std::vector<std::string>& attr_keys,
                     std::string_view attr_name, std::string_view help, Matched* out) const;
  void emit(const Matched& matched, const JmxValue& value);

  std::shared_ptr<const RuleSet> rules_;
  std::vector<std::unique_ptr<JavaRegex>> patterns_;  // own match data per engine
  std::vector<bool> uses_group_zero_;
  std::unordered_map<std::string, std::unique_ptr<Entry>> cache_;
  std::vector<FamilyBuild> families_;
  std::unordered_map<std::string, size_t> family_index_;
  bool reuse_matches_ = true;
  uint64_t cycle_ = 0;
  size_t cached_beans_ = 0;
  size_t last_cached_beans_ = 0;
  size_t hits_ = 0, misses_ = 0, last_hits_ = 0, last_misses_ = 0;
};

}  // namespace kse::jmx
