#include "jmx/rules/object_name.h"

#include <algorithm>

namespace kse::jmx {

namespace {

// Splits "k1=v1,k2=\"a,b\"" into ordered pairs; quoted values may hold ',' '=' ':'.
std::vector<KeyProperty> split_properties(std::string_view list, std::string_view whole, bool allow_star,
                                          bool* saw_star) {
  std::vector<KeyProperty> properties;
  size_t i = 0;
  while (i < list.size()) {
    if (allow_star && list[i] == '*' && (i + 1 == list.size() || list[i + 1] == ',')) {
      *saw_star = true;
      i += 2;
      continue;
    }
    const size_t eq = list.find('=', i);
    if (eq == std::string_view::npos) {
      throw ObjectNameError("object name '" + std::string(whole) + "': key property without '=' at '" +
                            std::string(list.substr(i)) + "'");
    }
    std::string key(list.substr(i, eq - i));
    if (key.empty() || key.find_first_of(",:") != std::string::npos) {
      throw ObjectNameError("object name '" + std::string(whole) + "': empty or invalid key");
    }
    size_t j = eq + 1;
    std::string value;
    if (j < list.size() && list[j] == '"') {
      size_t k = j + 1;
      while (k < list.size() && list[k] != '"') k += list[k] == '\\' ? 2 : 1;
      if (k >= list.size()) {
        throw ObjectNameError("object name '" + std::string(whole) + "': unterminated quoted value");
      }
      value = std::string(list.substr(j, k + 1 - j));
      j = k + 1;
    } else {
      const size_t comma = list.find(',', j);
      const size_t stop = comma == std::string_view::npos ? list.size() : comma;
      value = std::string(list.substr(j, stop - j));
      j = stop;
    }
    properties.emplace_back(std::move(key), std::move(value));
    if (j < list.size() && list[j] != ',') {
      throw ObjectNameError("object name '" + std::string(whole) + "': expected ',' after value");
    }
    i = j + 1;
  }
  return properties;
}

}  // namespace

std::string ObjectName::match_prefix() const { return jmx::match_prefix(domain, properties); }

std::string match_prefix(std::string_view domain, const std::vector<KeyProperty>& properties) {
  std::string out(domain);
  out += '<';
  for (size_t i = 0; i < properties.size(); ++i) {
    if (i > 0) out += ", ";
    out += properties[i].first;
    out += '=';
    out += properties[i].second;
  }
  out += '>';
  return out;
}

const std::string* ObjectName::property(std::string_view key) const {
  for (const auto& [k, v] : properties) {
    if (k == key) return &v;
  }
  return nullptr;
}

ObjectName parse_object_name(std::string_view text) {
  const size_t colon = text.find(':');
  if (colon == std::string_view::npos) {
    throw ObjectNameError("object name '" + std::string(text) + "' has no ':'");
  }
  ObjectName name;
  name.text = std::string(text);
  name.domain = std::string(text.substr(0, colon));
  bool star = false;
  name.properties = split_properties(text.substr(colon + 1), text, false, &star);
  if (name.properties.empty()) {
    throw ObjectNameError("object name '" + std::string(text) + "' has no key property");
  }
  return name;
}

bool wildcard_match(std::string_view pattern, std::string_view text) {
  size_t p = 0, t = 0, star = std::string_view::npos, mark = 0;
  while (t < text.size()) {
    if (p < pattern.size() && (pattern[p] == '?' || pattern[p] == text[t])) {
      ++p;
      ++t;
    } else if (p < pattern.size() && pattern[p] == '*') {
      star = p++;
      mark = t;
    } else if (star != std::string_view::npos) {
      p = star + 1;
      t = ++mark;
    } else {
      return false;
    }
  }
  while (p < pattern.size() && pattern[p] == '*') ++p;
  return p == pattern.size();
}

ObjectNamePattern::ObjectNamePattern(std::string_view text) : text_(text) {
  const size_t colon = text.find(':');
  if (colon == std::string_view::npos) {
    throw ObjectNameError("object name pattern '" + std::string(text) + "' has no ':'");
  }
  domain_ = std::string(text.substr(0, colon));
  properties_ = split_properties(text.substr(colon + 1), text, true, &property_list_pattern_);
  if (properties_.empty() && !property_list_pattern_) {
    throw ObjectNameError("object name pattern '" + std::string(text) +
                          "' has no key property (use 'domain:*' for every bean of a domain)");
  }
}

bool ObjectNamePattern::matches(const ObjectName& name) const {
  if (!wildcard_match(domain_, name.domain)) return false;
  if (!property_list_pattern_ && properties_.size() != name.properties.size()) return false;
  for (const auto& [key, value] : properties_) {
    const std::string* actual = name.property(key);
    if (actual == nullptr || !wildcard_match(value, *actual)) return false;
  }
  return true;
}

bool ObjectNamePattern::is_pattern() const {
  if (property_list_pattern_ || domain_.find_first_of("*?") != std::string::npos) return true;
  return std::any_of(properties_.begin(), properties_.end(),
                     [](const KeyProperty& p) { return p.second.find_first_of("*?") != std::string::npos; });
}

std::optional<std::string> ObjectNamePattern::literal_domain() const {
  if (domain_.find_first_of("*?") != std::string::npos) return std::nullopt;
  return domain_;
}

}  // namespace kse::jmx
