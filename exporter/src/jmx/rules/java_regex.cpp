#include "jmx/rules/java_regex.h"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cstring>

namespace kse::jmx {

namespace {

bool is_hex(char c) { return std::isxdigit(static_cast<unsigned char>(c)) != 0; }

// Java's POSIX-style \p{Name} classes, as PCRE2 bracket classes.
const char* posix_class(std::string_view name) {
  static const std::array<std::pair<const char*, const char*>, 13> kNames = {{
      {"Lower", "lower"},
      {"Upper", "upper"},
      {"ASCII", "ascii"},
      {"Alpha", "alpha"},
      {"Digit", "digit"},
      {"Alnum", "alnum"},
      {"Punct", "punct"},
      {"Graph", "graph"},
      {"Print", "print"},
      {"Blank", "blank"},
      {"Cntrl", "cntrl"},
      {"XDigit", "xdigit"},
      {"Space", "space"},
  }};
  for (const auto& [java, pcre] : kNames) {
    if (name == java) return pcre;
  }
  return nullptr;
}

std::string pcre2_error(int code) {
  PCRE2_UCHAR message[256];
  pcre2_get_error_message(code, message, sizeof message);
  return reinterpret_cast<const char*>(message);
}

bool is_line_terminator_byte(unsigned char c) { return c == '\n' || c == '\r'; }

// Java's '.' stops at these; \u0085, \u2028 and \u2029 are multi-byte in UTF-8.
bool has_line_terminator(std::string_view text) {
  for (size_t i = 0; i < text.size(); ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (is_line_terminator_byte(c)) return true;
    if (c == 0xC2 && i + 1 < text.size() && static_cast<unsigned char>(text[i + 1]) == 0x85) {
      return true;
    }
    if (c == 0xE2 && i + 2 < text.size() && static_cast<unsigned char>(text[i + 1]) == 0x80 &&
        (static_cast<unsigned char>(text[i + 2]) == 0xA8 ||
         static_cast<unsigned char>(text[i + 2]) == 0xA9)) {
      return true;
    }
  }
  return false;
}

}  // namespace

std::string translate_java_regex(std::string_view in) {
  std::string out;
  out.reserve(in.size() + 8);
  int class_depth = 0;
  for (size_t i = 0; i < in.size(); ++i) {
    const char c = in[i];
    if (c == '\\' && i + 1 < in.size()) {
      const char n = in[i + 1];
      if (n == 'Q') {
        const size_t end = in.find("\\E", i + 2);
        const size_t stop = end == std::string_view::npos ? in.size() : end + 2;
        out.append(in.substr(i, stop - i));
        i = stop - 1;
        continue;
      }
      if (n == 'u' && i + 5 < in.size() && is_hex(in[i + 2]) && is_hex(in[i + 3]) && is_hex(in[i + 4]) &&
          is_hex(in[i + 5])) {
        out += "\\x{";
        out.append(in.substr(i + 2, 4));
        out += '}';
        i += 5;
        continue;
      }
      if ((n == 'p' || n == 'P') && i + 2 < in.size() && in[i + 2] == '{') {
        const size_t close = in.find('}', i + 3);
        if (close != std::string_view::npos) {
          const char* posix = posix_class(in.substr(i + 3, close - i - 3));
          if (posix != nullptr) {
            const bool negated = n == 'P';
            if (class_depth > 0) {
              out += negated ? "[:^" : "[:";
              out += posix;
              out += ":]";
            } else {
              out += negated ? "[^[:" : "[[:";
              out += posix;
              out += ":]]";
            }
            i = close;
            continue;
          }
        }
      }
      out += c;
      out += n;
      ++i;
      continue;
    }
    if (c == '[') {
      if (class_depth > 0) {
        throw RegexError("nested character classes ('[' inside '[...]') are not supported; escape it as \\[");
      }
      class_depth = 1;
      out += c;
      // A ']' right after '[' or '[^' is a literal in both dialects.
      if (i + 1 < in.size() && in[i + 1] == '^') {
        out += '^';
        ++i;
      }
      if (i + 1 < in.size() && in[i + 1] == ']') {
        out += "\\]";
        ++i;
      }
      continue;
    }
    if (c == ']' && class_depth > 0) {
      class_depth = 0;
      out += c;
      continue;
    }
    if (c == '&' && class_depth > 0 && i + 1 < in.size() && in[i + 1] == '&') {
      throw RegexError("character class intersection (&&) is not supported");
    }
    out += c;
  }
  return out;
}

std::vector<std::string> required_literals(std::string_view in) {
  std::vector<std::string> runs;
  std::string run;
  const auto flush = [&] {
    if (!run.empty()) runs.push_back(run);
    run.clear();
  };
  const auto quantified = [&](size_t next) {
    return next < in.size() && (in[next] == '?' || in[next] == '*' || in[next] == '+' || in[next] == '{');
  };
  int depth = 0;
  for (size_t i = 0; i < in.size(); ++i) {
    const char c = in[i];
    if (c == '\\') {
      if (i + 1 >= in.size()) return {};
      const char n = in[i + 1];
      // Escapes that take arguments (\uXXXX, \x{..}, \p{..}, \0oo, \cX, \k<..>, \N{..}).
      if (n == 'Q' || n == 'E' || n == 'u' || n == 'x' || n == 'p' || n == 'P' || n == '0' || n == 'c' ||
          n == 'k' || n == 'N') {
        return {};
      }
      ++i;
      if (depth > 0) continue;
      if (std::isalnum(static_cast<unsigned char>(n)) != 0 || quantified(i + 1)) {
        flush();  // a class like \w or \d, or a back-reference
      } else {
        run += n;
      }
      continue;
    }
    if (c == '[') {
      // Skip the class, escapes and a leading ']' included.
      size_t j = i + 1;
      if (j < in.size() && in[j] == '^') ++j;
      if (j < in.size() && in[j] == ']') ++j;
      while (j < in.size() && in[j] != ']') j += in[j] == '\\' ? 2 : 1;
      i = j;
      if (depth == 0) flush();
      continue;
    }
    if (c == '(') {
      if (i + 1 < in.size() && in[i + 1] == '?' && depth == 0 && i + 2 < in.size() && in[i + 2] != ':' &&
          in[i + 2] != '<' && in[i + 2] != '=' && in[i + 2] != '!' && in[i + 2] != '>') {
        return {};  // inline flags such as (?i) change what a literal matches
      }
      if (depth == 0) flush();
      ++depth;
      continue;
    }
    if (c == ')') {
      depth = std::max(0, depth - 1);
      continue;
    }
    if (depth > 0) continue;
    if (c == '|') return {};
    if (c == '.' || c == '^' || c == '$' || c == '?' || c == '*' || c == '+' || c == '{' || c == '}') {
      flush();
      continue;
    }
    if (quantified(i + 1)) {
      flush();
      continue;
    }
    run += c;
  }
  flush();
  return runs;
}

std::string_view Captures::group(std::string_view subject, size_t g) const {
  if (!has(g)) return {};
  return subject.substr(starts[g], ends[g] - starts[g]);
}

struct JavaRegex::Code {
  pcre2_code* full = nullptr;   // ^.*(?:P).*$
  pcre2_code* inner = nullptr;  // (?:P), anchored, for the prefix probe
  uint32_t capture_count = 0;
  bool probe_possible = true;
  std::vector<std::string> literals;
  // Code units that may start a match of P (over-approximated).
  std::array<bool, 256> can_start{};

  ~Code() {
    pcre2_code_free(full);
    pcre2_code_free(inner);
  }
};

struct JavaRegex::MatchData {
  pcre2_match_data* full = nullptr;
  pcre2_match_data* inner = nullptr;
  ~MatchData() {
    pcre2_match_data_free(full);
    pcre2_match_data_free(inner);
  }
};

namespace {

pcre2_code* compile(const std::string& text, uint32_t extra_options, const std::string& shown) {
  pcre2_compile_context* context = pcre2_compile_context_create(nullptr);
  pcre2_set_newline(context, PCRE2_NEWLINE_ANY);
  int error_code = 0;
  PCRE2_SIZE offset = 0;
  pcre2_code* code =
      pcre2_compile(reinterpret_cast<PCRE2_SPTR>(text.data()), text.size(),
                    PCRE2_UTF | PCRE2_MATCH_INVALID_UTF | extra_options, &error_code, &offset, context);
  pcre2_compile_context_free(context);
  if (code == nullptr) {
    throw RegexError("invalid regular expression '" + shown + "': " + pcre2_error(error_code));
  }
  return code;
}

void fill_captures(pcre2_match_data* data, uint32_t capture_count, Captures* captures) {
  if (captures == nullptr) return;
  const PCRE2_SIZE* ovector = pcre2_get_ovector_pointer(data);
  const uint32_t pairs = pcre2_get_ovector_count(data);
  captures->starts.assign(capture_count + 1, std::string::npos);
  captures->ends.assign(capture_count + 1, std::string::npos);
  for (uint32_t g = 0; g <= capture_count && g < pairs; ++g) {
    if (ovector[2 * g] == PCRE2_UNSET) continue;
    captures->starts[g] = ovector[2 * g];
    captures->ends[g] = ovector[2 * g + 1];
  }
}

}  // namespace

JavaRegex::JavaRegex(std::string_view java_pattern) {
  const std::string translated = translate_java_regex(java_pattern);
  const std::string shown(java_pattern);
  auto code = std::make_shared<Code>();
  // End-anchored like Matcher.matches(): "$" alone would also stop before a final newline.
  code->full = compile("^.*(?:" + translated + ").*$", PCRE2_ENDANCHORED, shown);
  code->literals = required_literals(java_pattern);
  pcre2_jit_compile(code->full, PCRE2_JIT_COMPLETE);
  code->inner = compile("(?:" + translated + ")", PCRE2_ANCHORED, shown);
  pcre2_jit_compile(code->inner, PCRE2_JIT_COMPLETE | PCRE2_JIT_PARTIAL_HARD);
  pcre2_pattern_info(code->full, PCRE2_INFO_CAPTURECOUNT, &code->capture_count);

  uint32_t min_length = 0;
  uint32_t max_lookbehind = 0;
  uint32_t first_type = 0;
  pcre2_pattern_info(code->inner, PCRE2_INFO_MINLENGTH, &min_length);
  pcre2_pattern_info(code->inner, PCRE2_INFO_MAXLOOKBEHIND, &max_lookbehind);
  pcre2_pattern_info(code->inner, PCRE2_INFO_FIRSTCODETYPE, &first_type);
  // Lookbehinds and empty matches could see or sit in the unknown suffix.
  code->probe_possible = min_length > 0 && max_lookbehind == 0;
  if (first_type == 1) {
    uint32_t unit = 0;
    pcre2_pattern_info(code->inner, PCRE2_INFO_FIRSTCODEUNIT, &unit);
    if (unit < 256) {
      // Either case: PCRE2 reports a caseless first unit in one case only.
      code->can_start[unit] = true;
      code->can_start[static_cast<unsigned char>(std::tolower(static_cast<int>(unit)))] = true;
      code->can_start[static_cast<unsigned char>(std::toupper(static_cast<int>(unit)))] = true;
    } else {
      code->can_start.fill(true);
    }
  } else {
    const uint8_t* bitmap = nullptr;
    pcre2_pattern_info(code->inner, PCRE2_INFO_FIRSTBITMAP, &bitmap);
    if (first_type == 0 && bitmap != nullptr) {
      for (int c = 0; c < 256; ++c) code->can_start[c] = (bitmap[c / 8] & (1u << (c % 8))) != 0;
    } else {
      code->can_start.fill(true);
    }
  }
  code_ = std::move(code);
  data_ = std::make_unique<MatchData>();
  data_->full = pcre2_match_data_create_from_pattern(code_->full, nullptr);
  data_->inner = pcre2_match_data_create_from_pattern(code_->inner, nullptr);
}

JavaRegex::JavaRegex(const JavaRegex& other) : code_(other.code_) {
  data_ = std::make_unique<MatchData>();
  data_->full = pcre2_match_data_create_from_pattern(code_->full, nullptr);
  data_->inner = pcre2_match_data_create_from_pattern(code_->inner, nullptr);
}

JavaRegex::~JavaRegex() = default;

size_t JavaRegex::group_count() const { return code_->capture_count; }

int JavaRegex::named_group(std::string_view name) const {
  const std::string text(name);
  const int number =
      pcre2_substring_number_from_name(code_->full, reinterpret_cast<PCRE2_SPTR>(text.c_str()));
  return number > 0 ? number : -1;
}

bool JavaRegex::may_match(std::string_view subject) const {
  for (const std::string& literal : code_->literals) {
    if (subject.find(literal) == std::string_view::npos) return false;
  }
  return true;
}

bool JavaRegex::matches(std::string_view subject, Captures* captures) const {
  if (!may_match(subject)) return false;
  const int rc = pcre2_match(code_->full, reinterpret_cast<PCRE2_SPTR>(subject.data()), subject.size(), 0, 0,
                             data_->full, nullptr);
  if (rc < 0) return false;
  fill_captures(data_->full, code_->capture_count, captures);
  return true;
}

JavaRegex::Probe JavaRegex::probe_prefix(std::string_view prefix, std::string_view suffix_alphabet,
                                         Captures* captures) const {
  // A literal missing from the prefix that cannot end inside the suffix rules out a match.
  for (const std::string& literal : code_->literals) {
    if (prefix.find(literal) != std::string_view::npos) continue;
    bool may_straddle = false;
    for (size_t tail = 1; tail <= literal.size() && !may_straddle; ++tail) {
      if (suffix_alphabet.find(literal[literal.size() - tail]) == std::string_view::npos) break;
      const std::string_view head(literal.data(), literal.size() - tail);
      may_straddle = prefix.size() >= head.size() && prefix.substr(prefix.size() - head.size()) == head;
    }
    if (!may_straddle) return Probe::kNoMatch;
  }
  if (!code_->probe_possible || has_line_terminator(prefix)) return Probe::kDependsOnSuffix;
  for (const char c : suffix_alphabet) {
    if (code_->can_start[static_cast<unsigned char>(c)] || c == '\n' || c == '\r') {
      return Probe::kDependsOnSuffix;
    }
  }
  // The leading greedy ".*" tries start positions from the right: so does this loop.
  for (size_t p = prefix.size(); p-- > 0;) {
    const auto unit = static_cast<unsigned char>(prefix[p]);
    if ((unit & 0xC0) == 0x80 || !code_->can_start[unit]) continue;
    const int rc = pcre2_match(code_->inner, reinterpret_cast<PCRE2_SPTR>(prefix.data()), prefix.size(), p,
                               PCRE2_PARTIAL_HARD, data_->inner, nullptr);
    if (rc == PCRE2_ERROR_PARTIAL) return Probe::kDependsOnSuffix;
    if (rc >= 0) {
      fill_captures(data_->inner, code_->capture_count, captures);
      return Probe::kMatch;
    }
    if (rc != PCRE2_ERROR_NOMATCH) return Probe::kDependsOnSuffix;
  }
  return Probe::kNoMatch;
}

namespace {

// Walks a Java replacement template; `on_group` gets each group number, `on_text` literal text.
template <typename OnText, typename OnGroup>
void walk_replacement(const JavaRegex& regex, std::string_view replacement, OnText on_text,
                      OnGroup on_group) {
  size_t cursor = 0;
  while (cursor < replacement.size()) {
    const char c = replacement[cursor];
    if (c == '\\') {
      ++cursor;
      if (cursor == replacement.size()) {
        throw RegexError("character to be escaped is missing at the end of '" + std::string(replacement) +
                         "'");
      }
      on_text(std::string_view(&replacement[cursor], 1));
      ++cursor;
    } else if (c == '$') {
      ++cursor;
      if (cursor == replacement.size()) {
        throw RegexError("illegal group reference: group index is missing in '" + std::string(replacement) +
                         "'");
      }
      size_t group = 0;
      if (replacement[cursor] == '{') {
        ++cursor;
        const size_t begin = cursor;
        while (cursor < replacement.size() &&
               std::isalnum(static_cast<unsigned char>(replacement[cursor])) != 0) {
          ++cursor;
        }
        if (cursor == begin || cursor == replacement.size() || replacement[cursor] != '}') {
          throw RegexError("named capturing group is missing trailing '}' or is empty in '" +
                           std::string(replacement) + "'");
        }
        const std::string_view name = replacement.substr(begin, cursor - begin);
        ++cursor;
        const int number = regex.named_group(name);
        if (number < 0) {
          throw RegexError("no group with name {" + std::string(name) + "} in '" + std::string(replacement) +
                           "'");
        }
        group = static_cast<size_t>(number);
      } else {
        const char d = replacement[cursor];
        if (d < '0' || d > '9') {
          throw RegexError("illegal group reference in '" + std::string(replacement) + "'");
        }
        group = static_cast<size_t>(d - '0');
        ++cursor;
        // Java takes further digits while they still name an existing group.
        while (cursor < replacement.size() && replacement[cursor] >= '0' && replacement[cursor] <= '9') {
          const size_t longer = group * 10 + static_cast<size_t>(replacement[cursor] - '0');
          if (longer > regex.group_count()) break;
          group = longer;
          ++cursor;
        }
        if (group > regex.group_count()) {
          throw RegexError("no group " + std::to_string(group) + " in '" + std::string(replacement) +
                           "' (the pattern has " + std::to_string(regex.group_count()) + ")");
        }
      }
      on_group(group);
    } else {
      const size_t next = replacement.find_first_of("\\$", cursor);
      const size_t stop = next == std::string_view::npos ? replacement.size() : next;
      on_text(replacement.substr(cursor, stop - cursor));
      cursor = stop;
    }
  }
}

}  // namespace

std::string java_replace(const JavaRegex& regex, std::string_view subject, const Captures& captures,
                         std::string_view replacement) {
  std::string out;
  out.reserve(replacement.size() + 16);
  walk_replacement(
      regex, replacement, [&](std::string_view text) { out.append(text); },
      [&](size_t group) { out.append(captures.group(subject, group)); });
  return out;
}

std::optional<std::string> check_replacement(const JavaRegex& regex, std::string_view replacement) {
  try {
    walk_replacement(
        regex, replacement, [](std::string_view) {}, [](size_t) {});
  } catch (const RegexError& error) {
    return std::string(error.what());
  }
  return std::nullopt;
}

}  // namespace kse::jmx
