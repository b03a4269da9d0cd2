// docs/jmx-metrics.md lists the bridge's status families as the bridge serves them.
#include <gtest/gtest.h>

#include "jmx/jolokia/bridge.h"
#include "support/test_support.h"

namespace kse::jmx {
namespace {

TEST(JmxMetricsDoc, StatusTableMatchesTheBridge) {
  const auto documented = kse::test::generated_section("docs/jmx-metrics.md", "bridge status families");
  ASSERT_TRUE(documented) << "docs/jmx-metrics.md lacks the generated section";
  EXPECT_EQ(*documented, bridge_status_catalogue().markdown("family"))
      << "docs/jmx-metrics.md disagrees with bridge_status_catalogue(); regenerate the table";
}

// What a broker whose agent never answered serves is what the catalogue says.
TEST(JmxMetricsDoc, ServedStatusFamiliesAreThoseOfTheCatalogue) {
  BridgeConfig config;
  config.broker_id = 5;
  config.url = "http://127.0.0.1:1/jolokia/";
  JolokiaBridge bridge(config, RuleSet::load_text("", "t"));
  bridge.collect_once();
  size_t served = 0;
  for (const metrics::Family& family : bridge.families()) {
    const metrics::FamilySpec& spec = bridge_status_catalogue().spec(family.name);
    EXPECT_EQ(family.help, spec.help) << family.name;
    EXPECT_EQ(family.type, spec.type) << family.name;
    EXPECT_EQ(family.label_names.size(), spec.labels.size()) << family.name;
    ++served;
  }
  // jmx_scrape_cached_beans only after a good cycle.
  EXPECT_EQ(served, 6u);
}

}  // namespace
}  // namespace kse::jmx
