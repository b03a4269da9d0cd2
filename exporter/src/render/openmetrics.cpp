#include "render/openmetrics.h"

namespace kse::render {
namespace {

constexpr std::string_view kHelp = "# HELP ";
constexpr std::string_view kType = "# TYPE ";
constexpr std::string_view kTotal = "_total";

bool ends_with(std::string_view text, std::string_view suffix) {
  return text.size() >= suffix.size() && text.substr(text.size() - suffix.size()) == suffix;
}

// Calls `line` for each line of `text` without its newline.
template <typename Line>
void for_each_line(std::string_view text, Line line) {
  while (!text.empty()) {
    const size_t end = text.find('\n');
    line(text.substr(0, end));
    if (end == std::string_view::npos) break;
    text.remove_prefix(end + 1);
  }
}

}  // namespace

std::string openmetrics_from_text(std::string_view text) {
  std::string out;
  out.reserve(text.size() + text.size() / 16 + 8);
  std::string_view pending_help;  // HELP comes before TYPE, which decides the family name
  for_each_line(text, [&](std::string_view line) {
    if (line.starts_with(kHelp)) {
      pending_help = line;
      return;
    }
    if (line.starts_with(kType)) {
      std::string_view rest = line.substr(kType.size());
      const size_t space = rest.find(' ');
      std::string_view name = rest.substr(0, space);
      std::string_view type = space == std::string_view::npos ? "" : rest.substr(space + 1);
      std::string_view family = name;
      if (type == "counter" && ends_with(family, kTotal)) {
        family.remove_suffix(kTotal.size());
      } else if (type == "counter") {
        // An OpenMetrics counter's samples end in _total, which would rename the series
        // Prometheus stores (the JMX exporter's `..._bytesinpersec` counters, say) and
        // leave the dashboards and rules built on the 0.0.4 names empty: such a
        // family goes out as unknown, under its own name.
        type = "unknown";
      }
      if (type == "untyped") type = "unknown";
      if (!pending_help.empty()) {
        std::string_view help = pending_help.substr(kHelp.size());
        const size_t name_end = help.find(' ');
        help = help.substr(name_end == std::string_view::npos ? help.size() : name_end + 1);
        out += kHelp;
        out += family;
        out += ' ';
        for (char c : help) {
          if (c == '"') out += '\\';
          out += c;
        }
        out += '\n';
        pending_help = {};
      }
      out += kType;
      out += family;
      out += ' ';
      out += type;
      out += '\n';
      return;
    }
    if (line.empty() || line.front() == '#') return;
    out += line;
    out += '\n';
  });
  out += "# EOF\n";
  return out;
}

std::string filter_families(std::string_view text, const std::set<std::string, std::less<>>& names) {
  std::string out;
  bool keep = false;
  for_each_line(text, [&](std::string_view line) {
    if (line.starts_with(kHelp)) {
      std::string_view rest = line.substr(kHelp.size());
      keep = names.find(rest.substr(0, rest.find(' '))) != names.end();
    }
    if (keep) {
      out += line;
      out += '\n';
    }
  });
  return out;
}

}  // namespace kse::render
