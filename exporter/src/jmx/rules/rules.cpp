#include "jmx/rules/rules.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

namespace kse::jmx {

namespace {

class Loader {
 public:
  explicit Loader(std::string source) : source_(std::move(source)) {}

  [[noreturn]] void fail(const YAML::Node& node, const std::string& key, const std::string& message) const {
    std::string where = source_;
    if (node.IsDefined() && node.Mark().line >= 0) {
      where += ":" + std::to_string(node.Mark().line + 1);
    }
    throw RulesError(where + ": " + key + ": " + message);
  }

  static std::string describe(const YAML::Node& node) {
    if (node.IsNull()) return "null";
    if (node.IsSequence()) return "a list";
    if (node.IsMap()) return "a map";
    return "'" + node.Scalar() + "'";
  }

  std::string string_of(const YAML::Node& node, const std::string& key) const {
    if (!node.IsScalar()) fail(node, key, "found " + describe(node) + ", allowed a string");
    return node.Scalar();
  }

  bool bool_of(const YAML::Node& node, const std::string& key) const {
    if (node.IsScalar()) {
      const std::string& text = node.Scalar();
      // YAML 1.1 booleans, as SnakeYAML reads them.
      static const std::set<std::string> kTrue = {"true", "True", "TRUE", "yes", "Yes",
                                                  "YES",  "on",   "On",   "ON"};
      static const std::set<std::string> kFalse = {"false", "False", "FALSE", "no", "No",
                                                   "NO",    "off",   "Off",   "OFF"};
      if (kTrue.count(text) > 0) return true;
      if (kFalse.count(text) > 0) return false;
    }
    fail(node, key, "found " + describe(node) + ", allowed true or false");
  }

  std::vector<ObjectNamePattern> names_of(const YAML::Node& node, const std::string& key) const {
    if (!node.IsSequence()) fail(node, key, "found " + describe(node) + ", allowed a list of object names");
    std::vector<ObjectNamePattern> patterns;
    for (size_t i = 0; i < node.size(); ++i) {
      const std::string item_key = key + "[" + std::to_string(i) + "]";
      try {
        patterns.emplace_back(string_of(node[i], item_key));
      } catch (const ObjectNameError& error) {
        fail(node[i], item_key, error.what());
      }
    }
    return patterns;
  }

  Rule rule_of(const YAML::Node& node, size_t index) const {
    const std::string prefix = "rules[" + std::to_string(index) + "]";
    if (!node.IsMap()) fail(node, prefix, "found " + describe(node) + ", allowed a map");
    static const std::set<std::string> kKeys = {
        "pattern", "name", "value", "valueFactor", "help", "type", "labels", "attrNameSnakeCase", "cache"};
    Rule rule;
    rule.index = index;
    for (const auto& entry : node) {
      const std::string key = entry.first.Scalar();
      if (kKeys.count(key) == 0) {
        fail(entry.first, prefix + "." + key,
             "unknown key, allowed pattern, name, value, valueFactor, help, type, labels, "
             "attrNameSnakeCase, cache");
      }
    }
    if (const YAML::Node n = node["pattern"]) {
      rule.pattern_text = string_of(n, prefix + ".pattern");
      try {
        rule.pattern = std::make_shared<const JavaRegex>(*rule.pattern_text);
      } catch (const RegexError& error) {
        fail(n, prefix + ".pattern", error.what());
      }
      rule.domain_filter = domain_filter_of(*rule.pattern_text);
    }
    if (const YAML::Node n = node["name"]) rule.name = string_of(n, prefix + ".name");
    if (const YAML::Node n = node["value"]) rule.value = string_of(n, prefix + ".value");
    if (const YAML::Node n = node["help"]) rule.help = string_of(n, prefix + ".help");
    if (const YAML::Node n = node["valueFactor"]) {
      const std::string text = string_of(n, prefix + ".valueFactor");
      char* end = nullptr;
      const double factor = std::strtod(text.c_str(), &end);
      if (text.empty() || end != text.c_str() + text.size() || !std::isfinite(factor)) {
        fail(n, prefix + ".valueFactor", "found " + describe(n) + ", allowed a number");
      }
      rule.value_factor = factor;
    }
    if (const YAML::Node n = node["attrNameSnakeCase"]) {
      rule.attr_name_snake_case = bool_of(n, prefix + ".attrNameSnakeCase");
    }
    if (const YAML::Node n = node["cache"]) rule.cache = bool_of(n, prefix + ".cache");
    if (const YAML::Node n = node["type"]) {
      const std::string type = string_of(n, prefix + ".type");
      if (type == "GAUGE") {
        rule.type = RuleType::kGauge;
      } else if (type == "COUNTER") {
        rule.type = RuleType::kCounter;
      } else if (type == "UNTYPED" || type == "UNKNOWN") {
        rule.type = RuleType::kUntyped;
      } else {
        fail(n, prefix + ".type", "found '" + type + "', allowed GAUGE, COUNTER, UNTYPED");
      }
    }
    if (const YAML::Node n = node["labels"]) {
      if (!n.IsMap()) fail(n, prefix + ".labels", "found " + describe(n) + ", allowed a map");
      std::map<std::string, std::string> sorted;
      for (const auto& entry : n) {
        const std::string key = entry.first.Scalar();
        sorted[key] = string_of(entry.second, prefix + ".labels." + key);
      }
      rule.labels.assign(sorted.begin(), sorted.end());
    }
    if ((node["labels"] || rule.help) && !rule.name) {
      fail(node, prefix + ".name", "missing: a rule with help or labels must have a name");
    }
    if (rule.value && !rule.value->empty() && !rule.pattern) {
      fail(node, prefix + ".pattern", "missing: a rule with a value must have a pattern");
    }
    if (rule.name && !rule.pattern) {
      fail(node, prefix + ".pattern", "missing: a rule with a name must have a pattern");
    }
    if (rule.pattern) {
      const auto check = [&](const std::optional<std::string>& text, const std::string& key) {
        if (!text) return;
        if (auto problem = check_replacement(*rule.pattern, *text)) fail(node, key, *problem);
      };
      check(rule.name, prefix + ".name");
      check(rule.value, prefix + ".value");
      check(rule.help, prefix + ".help");
      for (const auto& [key, value] : rule.labels) {
        check(key, prefix + ".labels." + key);
        check(value, prefix + ".labels." + key);
      }
    }
    return rule;
  }

  // The part of a pattern before its first top-level '<' names the domain; only
  // simple parts (literals, '.', \w, \d, groups, quantifiers) are trusted.
  static std::shared_ptr<const JavaRegex> domain_filter_of(const std::string& pattern) {
    size_t depth = 0;
    size_t i = 0;
    for (; i < pattern.size(); ++i) {
      const char c = pattern[i];
      if (c == '\\') {
        if (i + 1 >= pattern.size()) return nullptr;
        const char n = pattern[i + 1];
        if (n != 'w' && n != 'd' && n != '.' && n != '-') return nullptr;
        ++i;
      } else if (c == '(') {
        if (i + 1 < pattern.size() && pattern[i + 1] == '?') return nullptr;
        ++depth;
      } else if (c == ')') {
        if (depth == 0) return nullptr;
        --depth;
      } else if (c == '<') {
        if (depth != 0) return nullptr;
        break;
      } else if (c == '|' && depth == 0) {
        return nullptr;
      } else if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == '-' ||
                   c == '|' || c == '+' || c == '*' || c == '?')) {
        return nullptr;
      }
    }
    if (i == pattern.size() || i == 0) return nullptr;
    const std::string part = pattern.substr(0, i);
    try {
      // jmx_exporter's leading ".*" lets the part start anywhere in the domain.
      return std::make_shared<const JavaRegex>(part + "$");
    } catch (const RegexError&) {
      return nullptr;
    }
  }

  std::shared_ptr<RuleSet> load(const YAML::Node& root) const {
    auto rules = std::make_shared<RuleSet>();
    rules->source = source_;
    if (root.IsNull() || !root.IsDefined()) {
      rules->rules.emplace_back();
      return rules;
    }
    if (!root.IsMap()) fail(root, "<top level>", "found " + describe(root) + ", allowed a map");
    if (const YAML::Node n = root["lowercaseOutputName"]) {
      rules->lowercase_output_name = bool_of(n, "lowercaseOutputName");
    }
    if (const YAML::Node n = root["lowercaseOutputLabelNames"]) {
      rules->lowercase_output_label_names = bool_of(n, "lowercaseOutputLabelNames");
    }
    if (const YAML::Node n = root["startDelaySeconds"]) {
      try {
        rules->start_delay_seconds = n.as<int>();
      } catch (const YAML::Exception&) {
        fail(n, "startDelaySeconds", "found " + describe(n) + ", allowed a whole number");
      }
    }
    // The newer names win over the older ones, as in jmx_exporter.
    if (const YAML::Node n = root["includeObjectNames"]) {
      rules->include = names_of(n, "includeObjectNames");
    } else if (const YAML::Node w = root["whitelistObjectNames"]) {
      rules->include = names_of(w, "whitelistObjectNames");
    }
    if (const YAML::Node n = root["excludeObjectNames"]) {
      rules->exclude = names_of(n, "excludeObjectNames");
    } else if (const YAML::Node b = root["blacklistObjectNames"]) {
      rules->exclude = names_of(b, "blacklistObjectNames");
    }
    if (const YAML::Node n = root["excludeObjectNameAttributes"]) {
      if (!n.IsMap()) {
        fail(n, "excludeObjectNameAttributes",
             "found " + describe(n) + ", allowed a map of object name to attribute names");
      }
      for (const auto& entry : n) {
        const std::string key = "excludeObjectNameAttributes." + entry.first.Scalar();
        ObjectName name;
        try {
          name = parse_object_name(entry.first.Scalar());
        } catch (const ObjectNameError& error) {
          fail(entry.first, key, error.what());
        }
        if (!entry.second.IsSequence()) {
          fail(entry.second, key, "found " + describe(entry.second) + ", allowed a list of attribute names");
        }
        std::vector<std::string> attributes;
        for (size_t i = 0; i < entry.second.size(); ++i) {
          attributes.push_back(string_of(entry.second[i], key + "[" + std::to_string(i) + "]"));
        }
        rules->excluded_attributes.emplace_back(std::move(name), std::move(attributes));
      }
    }
    if (const YAML::Node n = root["rules"]) {
      if (!n.IsSequence()) fail(n, "rules", "found " + describe(n) + ", allowed a list of rules");
      for (size_t i = 0; i < n.size(); ++i) rules->rules.push_back(rule_of(n[i], i));
    } else {
      rules->rules.emplace_back();
    }
    return rules;
  }

 private:
  std::string source_;
};

}  // namespace

bool RuleSet::domain_wanted(std::string_view domain) const {
  for (const Rule& rule : rules) {
    if (!rule.domain_filter || rule.domain_filter->matches(domain, nullptr)) return true;
  }
  return false;
}

bool RuleSet::object_wanted(const ObjectName& name) const {
  if (!include.empty() && std::none_of(include.begin(), include.end(),
                                       [&](const ObjectNamePattern& p) { return p.matches(name); })) {
    return false;
  }
  return std::none_of(exclude.begin(), exclude.end(),
                      [&](const ObjectNamePattern& p) { return p.matches(name); });
}

bool RuleSet::attribute_excluded(const ObjectName& bean, std::string_view attribute) const {
  // ObjectName.equals: same domain and the same properties, in any order.
  for (const auto& [name, attributes] : excluded_attributes) {
    if (name.domain != bean.domain || name.properties.size() != bean.properties.size()) continue;
    const bool same = std::all_of(name.properties.begin(), name.properties.end(), [&](const KeyProperty& p) {
      const std::string* v = bean.property(p.first);
      return v != nullptr && *v == p.second;
    });
    if (same && std::find(attributes.begin(), attributes.end(), attribute) != attributes.end()) {
      return true;
    }
  }
  return false;
}

std::shared_ptr<const RuleSet> RuleSet::load_text(const std::string& text, const std::string& source_name) {
  YAML::Node root;
  try {
    root = YAML::Load(text);
  } catch (const YAML::Exception& error) {
    throw RulesError(source_name + ":" + std::to_string(error.mark.line + 1) +
                     ": not valid YAML: " + error.msg);
  }
  return Loader(source_name).load(root);
}

std::shared_ptr<const RuleSet> RuleSet::load_file(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw RulesError(path + ": cannot read the JMX rules file");
  std::stringstream buffer;
  buffer << in.rdbuf();
  return load_text(buffer.str(), path);
}

const char* rule_type_name(RuleType type) {
  switch (type) {
    case RuleType::kGauge: return "GAUGE";
    case RuleType::kCounter: return "COUNTER";
    case RuleType::kUntyped: return "UNTYPED";
  }
  return "UNTYPED";
}

}  // namespace kse::jmx
