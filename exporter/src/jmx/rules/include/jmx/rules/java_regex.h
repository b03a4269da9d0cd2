#pragma once

#include <cstddef>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

// java.util.regex behaviour on PCRE2 (JIT): the rules files are written for
// Java's regex dialect and Matcher.replaceAll, so both are reproduced here.
namespace kse::jmx {

class RegexError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Rewrites the Java-only constructs PCRE2 reads differently (\uXXXX, \p{Lower}...).
// Throws RegexError for constructs PCRE2 has no equivalent of (class intersection).
std::string translate_java_regex(std::string_view java_pattern);

// Start and end of each capture group of one match; npos when the group did not take part.
struct Captures {
  std::vector<size_t> starts;
  std::vector<size_t> ends;
  bool has(size_t group) const { return group < starts.size() && starts[group] != std::string::npos; }
  std::string_view group(std::string_view subject, size_t group) const;
};

// One compiled rule pattern. Not thread-safe: each user holds its own copy
// (copies share the compiled code, each has its own match data).
class JavaRegex {
 public:
  enum class Probe { kNoMatch, kMatch, kDependsOnSuffix };

  // Compiles `^.*(?:pattern).*$`, the way jmx_exporter wraps rule patterns.
  // Throws RegexError with PCRE2's message and the offset.
  explicit JavaRegex(std::string_view java_pattern);
  JavaRegex(const JavaRegex& other);
  JavaRegex& operator=(const JavaRegex&) = delete;
  ~JavaRegex();

  // Matcher.matches() on the whole subject.
  bool matches(std::string_view subject, Captures* captures) const;

  // What matches() answers on `prefix + X` for any X drawn from `suffix_alphabet`
  // (a string of the characters X may contain), decided without knowing X:
  // kMatch (with the same captures for every X), kNoMatch, or kDependsOnSuffix.
  Probe probe_prefix(std::string_view prefix, std::string_view suffix_alphabet, Captures* captures) const;

  // False when the subject lacks a literal every match of the pattern contains.
  bool may_match(std::string_view subject) const;

  size_t group_count() const;
  // Group number of a named group, or -1.
  int named_group(std::string_view name) const;

 private:
  struct Code;
  std::shared_ptr<const Code> code_;
  struct MatchData;
  std::unique_ptr<MatchData> data_;
};

// Literal runs every match of a Java pattern contains (empty when unsure: alternation,
// inline flags, quoting).
std::vector<std::string> required_literals(std::string_view java_pattern);

// Matcher.replaceAll(replacement) for a subject the regex matched whole:
// "$n" (longest valid group number), "${name}", "\x" escapes.
// Throws RegexError where Java throws (missing group, dangling '$' or '\').
std::string java_replace(const JavaRegex& regex, std::string_view subject, const Captures& captures,
                         std::string_view replacement);

// Checks a replacement template against the regex's groups without a subject.
// Returns the problem, or nullopt when Java would accept it.
std::optional<std::string> check_replacement(const JavaRegex& regex, std::string_view replacement);

}  // namespace kse::jmx
