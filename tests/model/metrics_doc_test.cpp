#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "model/catalogue.h"
#include "support/test_support.h"

namespace kse::model {
namespace {

constexpr std::string_view kBegin = "<!-- BEGIN GENERATED: exporter families -->\n";
constexpr std::string_view kEnd = "<!-- END GENERATED: exporter families -->";

// docs/metrics.md carries the catalogue verbatim; regenerate it with
// `kafka-sidecar-exporter --print-metrics-doc` when a family changes.
TEST(MetricsDocTest, DocumentationMatchesTheCatalogue) {
  std::ifstream file(kse::test::source_dir() + "/docs/metrics.md");
  ASSERT_TRUE(file) << "docs/metrics.md is missing";
  std::stringstream buffer;
  buffer << file.rdbuf();
  const std::string doc = buffer.str();
  const auto begin = doc.find(kBegin);
  const auto end = doc.find(kEnd);
  ASSERT_NE(begin, std::string::npos) << "docs/metrics.md lacks the generated-section marker";
  ASSERT_NE(end, std::string::npos);
  const std::string documented = doc.substr(begin + kBegin.size(), end - begin - kBegin.size());
  EXPECT_EQ(documented, catalogue_markdown())
      << "docs/metrics.md disagrees with the code; regenerate the table";
}

TEST(MetricsDocTest, NamesFollowTheConventions) {
  for (const auto& s : catalogue()) {
    const std::string name(s.name);
    EXPECT_EQ(name.rfind("kafka_", 0), 0u) << name;
    const bool total = name.size() > 6 && name.substr(name.size() - 6) == "_total";
    EXPECT_EQ(total, s.type == metrics::MetricType::kCounter) << name;
    EXPECT_FALSE(s.help.empty()) << name;
  }
}

}  // namespace
}  // namespace kse::model
