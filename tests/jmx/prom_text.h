#pragma once

#include <map>
#include <string>
#include <vector>

#include "metrics/family.h"

// Series as a set of comparable keys, from Prometheus text (a JMX exporter
// agent's page) or from our families.
namespace kse::jmx::test {

struct SeriesSet {
  // "name{a=\"x\",b=\"y\"}" with labels sorted by name -> value.
  std::map<std::string, double> values;
  std::map<std::string, std::string> help;  // family name -> HELP text
  std::map<std::string, std::string> type;  // family name -> TYPE
};

// Parses the text exposition format 0.0.4 (labels may end with a trailing comma).
SeriesSet parse_exposition(const std::string& text);

SeriesSet series_of(const std::vector<metrics::Family>& families);

// The metric name of a series key.
std::string name_of(const std::string& key);

}  // namespace kse::jmx::test
