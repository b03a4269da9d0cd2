#include "jmx/rules/rule_engine.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <optional>
#include <unordered_set>

namespace kse::jmx {

namespace {

// Characters String.valueOf can print for a Number or a Boolean.
constexpr std::string_view kValueAlphabet = "0123456789.-EINaefilnrstuy";

bool is_legal_name_char(char c) {
  return c == ':' || c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

std::string to_lower(std::string text) {
  for (char& c : text) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return text;
}

// Double.valueOf: surrounding control/space characters trimmed, optional d/f suffix.
std::optional<double> java_parse_double(std::string_view text) {
  while (!text.empty() && static_cast<unsigned char>(text.front()) <= ' ') text.remove_prefix(1);
  while (!text.empty() && static_cast<unsigned char>(text.back()) <= ' ') text.remove_suffix(1);
  if (text.empty()) return std::nullopt;
  std::string_view body = text;
  bool negative = false;
  if (body.front() == '+' || body.front() == '-') {
    negative = body.front() == '-';
    body.remove_prefix(1);
  }
  if (body == "NaN") return std::nan("");
  if (body == "Infinity") return negative ? -HUGE_VAL : HUGE_VAL;
  std::string copy(text);
  if (!copy.empty() && std::string_view("dDfF").find(copy.back()) != std::string_view::npos) {
    copy.pop_back();
  }
  // strtod would also take "inf", "nan" or hex without "p"; Java does not.
  for (const char c : copy) {
    if (!(std::isdigit(static_cast<unsigned char>(c)) || c == '.' || c == 'e' || c == 'E' || c == '+' ||
          c == '-')) {
      return std::nullopt;
    }
  }
  char* end = nullptr;
  const double value = std::strtod(copy.c_str(), &end);
  if (end != copy.c_str() + copy.size()) return std::nullopt;
  return value;
}

}  // namespace

std::string java_double_string(double value) {
  if (std::isnan(value)) return "NaN";
  if (std::isinf(value)) return value > 0 ? "Infinity" : "-Infinity";
  if (value == 0) return std::signbit(value) ? "-0.0" : "0.0";
  char buffer[64];
  const auto result = std::to_chars(buffer, buffer + sizeof buffer, value, std::chars_format::scientific);
  const std::string_view text(buffer, static_cast<size_t>(result.ptr - buffer));
  const size_t e = text.find('e');
  std::string digits;
  for (const char c : text.substr(0, e)) {
    if (c >= '0' && c <= '9') digits += c;
  }
  const int exponent = std::atoi(std::string(text.substr(e + 1)).c_str());
  std::string out = value < 0 ? "-" : "";
  const double magnitude = std::fabs(value);
  if (magnitude >= 1e-3 && magnitude < 1e7) {
    if (exponent >= 0) {
      const size_t integer_digits = static_cast<size_t>(exponent) + 1;
      while (digits.size() < integer_digits) digits += '0';
      out += digits.substr(0, integer_digits);
      out += '.';
      out += digits.size() > integer_digits ? digits.substr(integer_digits) : "0";
    } else {
      out += "0.";
      out.append(static_cast<size_t>(-exponent - 1), '0');
      out += digits;
    }
  } else {
    out += digits[0];
    out += '.';
    out += digits.size() > 1 ? digits.substr(1) : "0";
    out += 'E';
    out += std::to_string(exponent);
  }
  return out;
}

std::string JmxValue::java_string() const {
  switch (kind) {
    case Kind::kBoolean: return boolean ? "true" : "false";
    case Kind::kString: return text;
    case Kind::kNumber:
      if (integral) {
        char buffer[32];
        const auto result = std::to_chars(buffer, buffer + sizeof buffer, static_cast<long long>(number));
        return std::string(buffer, result.ptr);
      }
      return java_double_string(number);
  }
  return text;
}

std::string safe_name(std::string_view name) {
  std::string out;
  out.reserve(name.size() + 1);
  if (!name.empty() && name.front() >= '0' && name.front() <= '9') out += '_';
  bool previous_underscore = false;
  for (const char c : name) {
    if (!is_legal_name_char(c) || c == '_') {
      if (!previous_underscore) out += '_';
      previous_underscore = true;
    } else {
      out += c;
      previous_underscore = false;
    }
  }
  return out;
}

std::string snake_case(std::string_view attribute) {
  if (attribute.empty()) return std::string(attribute);
  std::string out;
  out.reserve(attribute.size() + 4);
  const auto upper = [](char c) { return c >= 'A' && c <= 'Z'; };
  bool previous_upper_or_underscore = upper(attribute[0]) || attribute[0] == '_';
  out += static_cast<char>(std::tolower(static_cast<unsigned char>(attribute[0])));
  for (size_t i = 1; i < attribute.size(); ++i) {
    const char c = attribute[i];
    if (!previous_upper_or_underscore && upper(c)) out += '_';
    out += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    previous_upper_or_underscore = upper(c) || c == '_';
  }
  return out;
}

struct RuleEngine::Matched {
  std::string name;
  RuleType type = RuleType::kUntyped;
  std::string help;
  std::vector<std::string> label_names;
  std::vector<std::string> label_values;
  std::optional<double> value;  // from the rule's `value`
  double factor = 1.0;
};

struct RuleEngine::Entry {
  // Rules before `resume` are known not to match, whatever the value.
  size_t resume = 0;
  bool decided = false;
  Outcome outcome = Outcome::kNoMatch;
  Matched matched;
  size_t cache_rules_seen = 0;  // rules with `cache: true` looked at up to the decision
  uint64_t cycle = 0;
  // Undecided entries: the last rule matched afresh, its captured texts and what they gave.
  size_t memo_rule = static_cast<size_t>(-1);
  std::vector<std::string> memo_captures;
  Outcome memo_outcome = Outcome::kNoMatch;
  Matched memo;
};

struct RuleEngine::FamilyBuild {
  std::string name;
  RuleType type = RuleType::kUntyped;
  std::string help;
  struct Sample {
    std::vector<std::string> names;
    std::vector<std::string> values;
    double value = 0;
  };
  std::vector<Sample> samples;
  std::unordered_set<std::string> seen;
};

RuleEngine::RuleEngine(std::shared_ptr<const RuleSet> rules, bool reuse_matches)
    : rules_(std::move(rules)), reuse_matches_(reuse_matches) {
  for (const Rule& rule : rules_->rules) {
    patterns_.push_back(rule.pattern ? std::make_unique<JavaRegex>(*rule.pattern) : nullptr);
    bool zero = false;
    const auto scan = [&](const std::optional<std::string>& text) {
      zero =
          zero || (text && (text->find("$0") != std::string::npos || text->find("${") != std::string::npos));
    };
    scan(rule.name);
    scan(rule.value);
    scan(rule.help);
    for (const auto& [k, v] : rule.labels) {
      scan(k);
      scan(v);
    }
    uses_group_zero_.push_back(zero);
  }
}

RuleEngine::~RuleEngine() = default;

size_t RuleEngine::cache_entries() const { return cache_.size(); }

void RuleEngine::begin_cycle() {
  ++cycle_;
  families_.clear();
  family_index_.clear();
  cached_beans_ = 0;
  hits_ = 0;
  misses_ = 0;
}

RuleEngine::Outcome RuleEngine::apply_rule(size_t rule_index, std::string_view subject,
                                           const Captures* captures, const BeanRef& bean,
                                           const std::vector<std::string>& attr_keys,
                                           std::string_view attr_name, std::string_view help,
                                           Matched* out) const {
  const Rule& rule = rules_->rules[rule_index];
  const JavaRegex* regex = patterns_[rule_index].get();
  out->type = rule.type;
  out->factor = rule.value_factor;
  out->help = std::string(help);
  if (rule.value && !rule.value->empty() && regex != nullptr) {
    const auto parsed = java_parse_double(java_replace(*regex, subject, *captures, *rule.value));
    // jmx_exporter gives up on the attribute (no later rule) when the value is not a number.
    if (!parsed) return Outcome::kDrop;
    out->value = *parsed;
  }
  if (!rule.name) {
    std::string name(bean.domain);
    if (!bean.properties->empty()) {
      name += '_';
      name += bean.properties->front().second;
    }
    for (const std::string& key : attr_keys) {
      name += '_';
      name += key;
    }
    name += '_';
    name += attr_name;
    out->name = safe_name(name);
    if (rules_->lowercase_output_name) out->name = to_lower(out->name);
    for (size_t i = 1; i < bean.properties->size(); ++i) {
      std::string label = safe_name((*bean.properties)[i].first);
      if (rules_->lowercase_output_label_names) label = to_lower(label);
      out->label_names.push_back(std::move(label));
      out->label_values.push_back((*bean.properties)[i].second);
    }
    return Outcome::kMatch;
  }
  out->name = safe_name(java_replace(*regex, subject, *captures, *rule.name));
  if (out->name.empty()) return Outcome::kDrop;
  if (rules_->lowercase_output_name) out->name = to_lower(out->name);
  if (rule.help) out->help = java_replace(*regex, subject, *captures, *rule.help);
  for (const auto& [name_template, value_template] : rule.labels) {
    std::string label = safe_name(java_replace(*regex, subject, *captures, name_template));
    std::string value = java_replace(*regex, subject, *captures, value_template);
    if (rules_->lowercase_output_label_names) label = to_lower(label);
    if (!label.empty() && !value.empty()) {
      out->label_names.push_back(std::move(label));
      out->label_values.push_back(std::move(value));
    }
  }
  return Outcome::kMatch;
}

void RuleEngine::record(const BeanRef& bean, const std::vector<std::string>& attr_keys,
                        std::string_view attr_name, std::string_view description, const JmxValue& value) {
  std::string bean_name(bean.prefix);
  bean_name += '<';
  for (size_t i = 0; i < attr_keys.size(); ++i) {
    if (i > 0) bean_name += ", ";
    bean_name += attr_keys[i];
  }
  bean_name += '>';
  const size_t bean_name_size = bean_name.size();
  std::string& key = bean_name;  // bean name + attribute: the cache key
  key += attr_name;
  // Decisions made for numbers do not hold for strings, which may contain anything.
  if (value.kind == JmxValue::Kind::kString) key += '\x01';

  Entry uncached;
  bool fresh = false;
  Entry* slot = &uncached;
  if (reuse_matches_) {
    auto [it, inserted] = cache_.try_emplace(key);
    if (inserted) it->second = std::make_unique<Entry>();
    fresh = inserted;
    slot = it->second.get();
  }
  Entry& entry = *slot;
  entry.cycle = cycle_;
  const std::string_view name_part(key.data(), bean_name_size);

  std::string help;
  const auto help_text = [&]() -> const std::string& {
    if (help.empty()) {
      // jmx_exporter 0.20: "<description> domain:name=<name>,type=<type>,attribute=<attr>".
      const auto property = [&](std::string_view key) -> std::string {
        for (const auto& [k, v] : *bean.properties) {
          if (k == key) return v;
        }
        return "null";
      };
      help = std::string(bean.domain) + ":name=" + property("name") + ",type=" + property("type") +
             ",attribute=" + std::string(attr_name);
      // Java tests for null only: an empty description leaves a leading space.
      if (description != attr_name) {
        help = std::string(description) + " " + help;
      }
    }
    return help;
  };
  std::string snake;
  const auto attribute_for = [&](const Rule& rule) -> std::string_view {
    if (!rule.attr_name_snake_case) return attr_name;
    if (snake.empty()) snake = snake_case(attr_name);
    return snake;
  };
  const auto subject_for = [&](const Rule& rule, std::string_view tail) {
    std::string subject(name_part);
    subject += attribute_for(rule);
    subject += ": ";
    subject += tail;
    return subject;
  };

  if (fresh) {
    ++misses_;
    const bool probe_allowed = value.kind != JmxValue::Kind::kString;
    size_t r = 0;
    for (; r < rules_->rules.size(); ++r) {
      const Rule& rule = rules_->rules[r];
      const JavaRegex* regex = patterns_[r].get();
      Captures captures;
      bool matched = false;
      std::string subject;
      if (regex == nullptr) {
        matched = true;
      } else if (rule.cache) {
        // jmx_exporter matches cached rules against "<cache>" instead of the value.
        subject = subject_for(rule, "<cache>");
        matched = regex->matches(subject, &captures);
        ++entry.cache_rules_seen;
      } else if (!probe_allowed) {
        break;
      } else {
        subject = subject_for(rule, "");
        const auto probe = regex->probe_prefix(subject, kValueAlphabet, &captures);
        if (probe == JavaRegex::Probe::kDependsOnSuffix) break;
        matched = probe == JavaRegex::Probe::kMatch;
      }
      if (!matched) continue;
      entry.outcome = apply_rule(r, subject, &captures, bean, attr_keys, attribute_for(rule), help_text(),
                                 &entry.matched);
      if (entry.outcome == Outcome::kDrop && rule.cache) --entry.cache_rules_seen;
      entry.decided = true;
      break;
    }
    entry.resume = r;
    if (r == rules_->rules.size()) {
      entry.decided = true;
      entry.outcome = Outcome::kNoMatch;
    }
  } else if (reuse_matches_) {
    ++hits_;
  }
  cached_beans_ += entry.cache_rules_seen;
  if (entry.decided) {
    if (entry.outcome == Outcome::kMatch) emit(entry.matched, value);
    return;
  }
  // The rest of the rules may depend on the value: match them as jmx_exporter does, every time.
  const std::string value_text = value.java_string();
  for (size_t r = entry.resume; r < rules_->rules.size(); ++r) {
    const Rule& rule = rules_->rules[r];
    const JavaRegex* regex = patterns_[r].get();
    Captures captures;
    std::string subject;
    if (regex != nullptr) {
      subject = subject_for(rule, rule.cache ? std::string_view("<cache>") : value_text);
      if (rule.cache) ++cached_beans_;
      if (!regex->matches(subject, &captures)) continue;
    }
    // Same rule and same captured texts as last time: the same name, labels and help.
    bool same =
        reuse_matches_ && entry.memo_rule == r && entry.memo_captures.size() == captures.starts.size();
    // Group 0 holds the value too; it only matters to templates that use "$0".
    for (size_t g = uses_group_zero_[r] ? 0 : 1; same && g < captures.starts.size(); ++g) {
      same = entry.memo_captures[g] == captures.group(subject, g);
    }
    if (!same) {
      entry.memo = Matched();
      entry.memo_outcome =
          apply_rule(r, subject, &captures, bean, attr_keys, attribute_for(rule), help_text(), &entry.memo);
      entry.memo_rule = r;
      entry.memo_captures.clear();
      for (size_t g = 0; g < captures.starts.size(); ++g) {
        entry.memo_captures.emplace_back(captures.group(subject, g));
      }
    }
    if (entry.memo_outcome == Outcome::kMatch) emit(entry.memo, value);
    return;
  }
}

void RuleEngine::emit(const Matched& matched, const JmxValue& value) {
  double number = 0;
  if (matched.value) {
    number = *matched.value * matched.factor;
  } else if (value.kind == JmxValue::Kind::kNumber) {
    number = value.number * matched.factor;
  } else if (value.kind == JmxValue::Kind::kBoolean) {
    number = value.boolean ? 1 : 0;
  } else {
    return;  // a String without a `value` template is not exported
  }
  auto [it, inserted] = family_index_.try_emplace(matched.name, families_.size());
  if (inserted) {
    FamilyBuild family;
    family.name = matched.name;
    family.type = matched.type;
    family.help = matched.help;
    families_.push_back(std::move(family));
  }
  FamilyBuild& family = families_[it->second];
  std::vector<std::pair<std::string_view, std::string_view>> sorted;
  sorted.reserve(matched.label_names.size());
  for (size_t i = 0; i < matched.label_names.size(); ++i) {
    sorted.emplace_back(matched.label_names[i], matched.label_values[i]);
  }
  std::sort(sorted.begin(), sorted.end());
  std::string identity;
  for (const auto& [n, v] : sorted) {
    identity.append(n);
    identity += '\x01';
    identity.append(v);
    identity += '\x02';
  }
  // The same series twice would make Prometheus drop the scrape's duplicates: keep the first.
  if (!family.seen.insert(std::move(identity)).second) return;
  family.samples.push_back({matched.label_names, matched.label_values, number});
}

std::vector<metrics::Family> RuleEngine::finish_cycle(int32_t owner) {
  for (auto it = cache_.begin(); it != cache_.end();) {
    it = it->second->cycle == cycle_ ? std::next(it) : cache_.erase(it);
  }
  last_cached_beans_ = cached_beans_;
  last_hits_ = hits_;
  last_misses_ = misses_;
  std::vector<metrics::Family> out;
  out.reserve(families_.size());
  for (FamilyBuild& build : families_) {
    metrics::Family family;
    family.name = build.name;
    family.help = build.help;
    family.type = build.type == RuleType::kGauge     ? metrics::MetricType::kGauge
                  : build.type == RuleType::kCounter ? metrics::MetricType::kCounter
                                                     : metrics::MetricType::kUntyped;
    const bool uniform =
        std::all_of(build.samples.begin(), build.samples.end(),
                    [&](const FamilyBuild::Sample& s) { return s.names == build.samples.front().names; });
    if (uniform && !build.samples.empty()) family.label_names = build.samples.front().names;
    family.samples.reserve(build.samples.size());
    for (FamilyBuild::Sample& s : build.samples) {
      metrics::Sample sample;
      sample.value = s.value;
      sample.owner = owner;
      if (uniform) {
        sample.label_values = std::move(s.values);
      } else {
        for (size_t i = 0; i < s.names.size(); ++i) {
          sample.extra_labels.push_back({std::move(s.names[i]), std::move(s.values[i])});
        }
      }
      family.samples.push_back(std::move(sample));
    }
    out.push_back(std::move(family));
  }
  families_.clear();
  family_index_.clear();
  return out;
}

}  // namespace kse::jmx
