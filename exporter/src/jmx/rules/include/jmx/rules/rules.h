#pragma once

#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "jmx/rules/java_regex.h"
#include "jmx/rules/object_name.h"

// A jmx_exporter (0.20) rules file: the same keys, defaults and validation.
namespace kse::jmx {

// One line naming the file, the rule index and the key: "<file>:<line>: rules[3].type: ...".
class RulesError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

enum class RuleType { kGauge, kCounter, kUntyped };

struct Rule {
  size_t index = 0;  // position in the file's `rules` list
  std::optional<std::string> pattern_text;
  std::shared_ptr<const JavaRegex> pattern;  // null: the rule matches every attribute
  std::optional<std::string> name;
  std::optional<std::string> value;
  std::optional<std::string> help;
  double value_factor = 1.0;
  bool attr_name_snake_case = false;
  bool cache = false;
  RuleType type = RuleType::kUntyped;
  // Sorted by the template key, as jmx_exporter's TreeMap does.
  std::vector<std::pair<std::string, std::string>> labels;
  // Regex the bean's domain must match for this rule to apply; null: any domain.
  std::shared_ptr<const JavaRegex> domain_filter;
};

struct RuleSet {
  std::string source;
  bool lowercase_output_name = false;
  bool lowercase_output_label_names = false;
  int start_delay_seconds = 0;
  std::vector<ObjectNamePattern> include;  // empty: every MBean
  std::vector<ObjectNamePattern> exclude;
  std::vector<Rule> rules;  // never empty: no `rules` key means one default rule
  // excludeObjectNameAttributes: attribute names never read, by exact object name.
  std::vector<std::pair<ObjectName, std::vector<std::string>>> excluded_attributes;

  bool attribute_excluded(const ObjectName& bean, std::string_view attribute) const;

  // False when no rule can match a bean of `domain` (so it need not be read).
  bool domain_wanted(std::string_view domain) const;
  bool object_wanted(const ObjectName& name) const;

  // Throws RulesError.
  static std::shared_ptr<const RuleSet> load_file(const std::string& path);
  static std::shared_ptr<const RuleSet> load_text(const std::string& text, const std::string& source_name);
};

const char* rule_type_name(RuleType type);

}  // namespace kse::jmx
