#include <gtest/gtest.h>

#include "config/config.h"
#include "support/test_support.h"

namespace kse::config {
namespace {

// docs/configuration.md carries the schema's key table verbatim; regenerate it with
// `kafka-sidecar-exporter --print-config-reference` when a key changes.
TEST(ConfigDocTest, DocumentationMatchesTheSchema) {
  const auto documented = kse::test::generated_section("docs/configuration.md", "configuration keys");
  ASSERT_TRUE(documented) << "docs/configuration.md lacks the generated section";
  EXPECT_EQ(*documented, reference_markdown())
      << "docs/configuration.md disagrees with the code; regenerate the key table";
}

}  // namespace
}  // namespace kse::config
