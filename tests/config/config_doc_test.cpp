#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "config/config.h"
#include "support/test_support.h"

namespace kse::config {
namespace {

constexpr std::string_view kBegin = "<!-- BEGIN GENERATED: configuration keys -->\n";
constexpr std::string_view kEnd = "<!-- END GENERATED: configuration keys -->";

// docs/configuration.md carries the schema's key table verbatim; regenerate it with
// `kafka-sidecar-exporter --print-config-reference` when a key changes.
TEST(ConfigDocTest, DocumentationMatchesTheSchema) {
  std::ifstream file(kse::test::source_dir() + "/docs/configuration.md");
  ASSERT_TRUE(file) << "docs/configuration.md is missing";
  std::stringstream buffer;
  buffer << file.rdbuf();
  const std::string doc = buffer.str();
  const auto begin = doc.find(kBegin);
  const auto end = doc.find(kEnd);
  ASSERT_NE(begin, std::string::npos) << "docs/configuration.md lacks the generated-section marker";
  ASSERT_NE(end, std::string::npos);
  const std::string documented = doc.substr(begin + kBegin.size(), end - begin - kBegin.size());
  EXPECT_EQ(documented, reference_markdown())
      << "docs/configuration.md disagrees with the code; regenerate the key table";
}

}  // namespace
}  // namespace kse::config
