#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "metrics/family.h"

// A producer's families described once, for building them and for their table in docs/
// (model for docs/metrics.md, client statistics for docs/client-metrics.md, the JMX
// bridge's status for docs/jmx-metrics.md; each doc has a test that keeps it equal).
namespace kse::metrics {

struct FamilySpec {
  std::string_view name;
  MetricType type;
  std::vector<std::string_view> labels;  // after the catalogue's leading labels
  std::string_view help;
  std::string_view owner;        // which port serves the series, for the docs
  std::string_view source = {};  // module that produces it, when not the catalogue's own
};

class Catalogue {
 public:
  // `leading_labels` start every family's labels; `summary_note` ends every summary's help
  // (what window its quantiles describe).
  explicit Catalogue(std::vector<FamilySpec> specs, std::vector<std::string_view> leading_labels = {},
                     std::string_view summary_note = {});

  std::vector<FamilySpec>::const_iterator begin() const { return specs_.begin(); }
  std::vector<FamilySpec>::const_iterator end() const { return specs_.end(); }

  // The spec for `name`; aborts on a name missing from the catalogue (a programming error).
  const FamilySpec& spec(std::string_view name) const;

  // The help text as served.
  std::string help(const FamilySpec& spec) const;

  // A family with the spec's name, help, type and labels, and no samples yet.
  Family make_family(const FamilySpec& spec) const;
  Family make_family(std::string_view name) const { return make_family(spec(name)); }

  // The Markdown table of the catalogue's doc: `name_column`, type, labels, owner, help.
  std::string markdown(std::string_view name_column) const;

 private:
  std::vector<FamilySpec> specs_;
  std::vector<std::string_view> leading_labels_;
  std::string_view summary_note_;
};

}  // namespace kse::metrics
