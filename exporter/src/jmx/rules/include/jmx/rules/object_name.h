#pragma once

#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

// javax.management.ObjectName as jmx_exporter sees it: key properties in the
// order of the name's own string (not the canonical sorted order), and the
// patterns of includeObjectNames / excludeObjectNames.
namespace kse::jmx {

class ObjectNameError : public std::invalid_argument {
 public:
  using std::invalid_argument::invalid_argument;
};

using KeyProperty = std::pair<std::string, std::string>;

// jmx_exporter's text a rule's pattern is matched against: "domain<k1=v1, k2=v2>".
std::string match_prefix(std::string_view domain, const std::vector<KeyProperty>& properties);

struct ObjectName {
  std::string text;  // "domain:key=value,..." as the server spelled it
  std::string domain;
  std::vector<KeyProperty> properties;  // in the order of `text`; quoted values keep their quotes

  // jmx_exporter's "domain<k1=v1, k2=v2>" (LinkedHashMap.toString in angle brackets).
  std::string match_prefix() const;
  const std::string* property(std::string_view key) const;
};

// Parses a concrete name the way JmxMBeanPropertyCache splits its key property list.
// Throws ObjectNameError when there is no ':' or no property.
ObjectName parse_object_name(std::string_view text);

// An ObjectName that may be a pattern: '*' and '?' in the domain and in values,
// and a trailing ",*" (or a lone "*") for "any further properties".
class ObjectNamePattern {
 public:
  // Throws ObjectNameError naming what is malformed.
  explicit ObjectNamePattern(std::string_view text);

  bool matches(const ObjectName& name) const;
  const std::string& text() const { return text_; }
  // ObjectName.isPattern(): wildcards in the domain or a value, or ",*".
  bool is_pattern() const;
  // The domain when it has no wildcard.
  std::optional<std::string> literal_domain() const;

 private:
  std::string text_;
  std::string domain_;
  std::vector<KeyProperty> properties_;
  bool property_list_pattern_ = false;
};

// '*' any run, '?' any one character, as ObjectName.apply does for domains and values.
bool wildcard_match(std::string_view pattern, std::string_view text);

}  // namespace kse::jmx
