#include "metrics/catalogue.h"

#include <cstdio>
#include <cstdlib>

namespace kse::metrics {

Catalogue::Catalogue(std::vector<FamilySpec> specs, std::vector<std::string_view> leading_labels,
                     std::string_view summary_note)
    : specs_(std::move(specs)), leading_labels_(std::move(leading_labels)), summary_note_(summary_note) {}

const FamilySpec& Catalogue::spec(std::string_view name) const {
  for (const auto& candidate : specs_) {
    if (candidate.name == name) return candidate;
  }
  std::fprintf(stderr, "metric family %.*s is missing from the catalogue\n", static_cast<int>(name.size()),
               name.data());
  std::abort();
}

std::string Catalogue::help(const FamilySpec& spec) const {
  std::string help(spec.help);
  if (spec.type == MetricType::kSummary) help += summary_note_;
  return help;
}

Family Catalogue::make_family(const FamilySpec& spec) const {
  Family family;
  family.name = std::string(spec.name);
  family.help = help(spec);
  family.type = spec.type;
  family.label_names.reserve(leading_labels_.size() + spec.labels.size());
  for (auto label : leading_labels_) family.label_names.emplace_back(label);
  for (auto label : spec.labels) family.label_names.emplace_back(label);
  return family;
}

std::string Catalogue::markdown(std::string_view name_column) const {
  std::string out = "| " + std::string(name_column) +
                    " | type | labels | owner | help |\n| --- | --- | --- | --- | --- |\n";
  for (const auto& spec : specs_) {
    std::string labels;
    for (auto label : leading_labels_) labels += (labels.empty() ? "" : ", ") + std::string(label);
    for (auto label : spec.labels) labels += (labels.empty() ? "" : ", ") + std::string(label);
    out += "| `" + std::string(spec.name) + "` | " + type_name(spec.type) + " | " + labels + " | " +
           std::string(spec.owner) + " | " + help(spec) + " |\n";
  }
  return out;
}

}  // namespace kse::metrics
