#include <gtest/gtest.h>

#include "model/catalogue.h"
#include "support/test_support.h"

namespace kse::model {
namespace {

// docs/metrics.md carries the catalogue verbatim; regenerate it with
// `kafka-sidecar-exporter --print-metrics-doc` when a family changes.
TEST(MetricsDocTest, DocumentationMatchesTheCatalogue) {
  const auto documented = kse::test::generated_section("docs/metrics.md", "exporter families");
  ASSERT_TRUE(documented) << "docs/metrics.md lacks the generated section";
  EXPECT_EQ(*documented, catalogue_markdown())
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
