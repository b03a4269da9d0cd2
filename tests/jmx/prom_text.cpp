#include "prom_text.h"

#include <cmath>
#include <cstdlib>
#include <sstream>

namespace kse::jmx::test {

namespace {

std::string key_of(const std::string& name, const std::map<std::string, std::string>& labels) {
  std::string key = name + "{";
  bool first = true;
  for (const auto& [n, v] : labels) {
    key += (first ? "" : ",") + n + "=\"" + v + "\"";
    first = false;
  }
  return key + "}";
}

double parse_value(const std::string& text) {
  if (text == "NaN") return std::nan("");
  if (text == "+Inf") return HUGE_VAL;
  if (text == "-Inf") return -HUGE_VAL;
  return std::strtod(text.c_str(), nullptr);
}

}  // namespace

SeriesSet parse_exposition(const std::string& text) {
  SeriesSet set;
  std::istringstream stream(text);
  std::string line;
  while (std::getline(stream, line)) {
    if (line.empty()) continue;
    if (line.rfind("# HELP ", 0) == 0) {
      const size_t space = line.find(' ', 7);
      set.help[line.substr(7, space - 7)] = space == std::string::npos ? "" : line.substr(space + 1);
      continue;
    }
    if (line.rfind("# TYPE ", 0) == 0) {
      const size_t space = line.find(' ', 7);
      set.type[line.substr(7, space - 7)] = line.substr(space + 1);
      continue;
    }
    if (line[0] == '#') continue;
    size_t i = line.find_first_of("{ ");
    const std::string name = line.substr(0, i);
    std::map<std::string, std::string> labels;
    if (i != std::string::npos && line[i] == '{') {
      ++i;
      while (i < line.size() && line[i] != '}') {
        if (line[i] == ',') {
          ++i;
          continue;
        }
        const size_t eq = line.find('=', i);
        const std::string label = line.substr(i, eq - i);
        std::string value;
        size_t j = eq + 2;  // past ="
        for (; j < line.size() && line[j] != '"'; ++j) {
          if (line[j] == '\\' && j + 1 < line.size()) {
            ++j;
            value += line[j] == 'n' ? '\n' : line[j];
          } else {
            value += line[j];
          }
        }
        labels[label] = value;
        i = j + 1;
      }
      ++i;
    }
    while (i < line.size() && line[i] == ' ') ++i;
    const size_t end = line.find(' ', i);
    set.values[key_of(name, labels)] = parse_value(line.substr(i, end - i));
  }
  return set;
}

SeriesSet series_of(const std::vector<metrics::Family>& families) {
  SeriesSet set;
  for (const metrics::Family& f : families) {
    set.help[f.name] = f.help;
    set.type[f.name] = metrics::type_name(f.type);
    for (const metrics::Sample& s : f.samples) {
      std::map<std::string, std::string> labels;
      for (size_t i = 0; i < f.label_names.size() && i < s.label_values.size(); ++i) {
        labels[f.label_names[i]] = s.label_values[i];
      }
      for (const metrics::Label& l : s.extra_labels) labels[l.name] = l.value;
      set.values[key_of(f.name + s.suffix, labels)] = s.value;
    }
  }
  return set;
}

std::string name_of(const std::string& key) { return key.substr(0, key.find('{')); }

}  // namespace kse::jmx::test
