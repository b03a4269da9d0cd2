#include "model/filters.h"

#include <gtest/gtest.h>

namespace kse::model {
namespace {

TEST(NameFilterTest, IncludeAndExcludeMatchWholeNames) {
  NameFilter filter("position.*|testing", "^__.*|.*-tx");
  EXPECT_TRUE(filter.accepts("position"));
  EXPECT_TRUE(filter.accepts("position_distance"));
  EXPECT_TRUE(filter.accepts("testing"));
  EXPECT_FALSE(filter.accepts("testing2"));
  EXPECT_FALSE(filter.accepts("position-tx"));
  EXPECT_FALSE(filter.accepts("__consumer_offsets"));
}

TEST(NameFilterTest, DefaultsAcceptEverything) {
  NameFilter filter(".*", "^$");
  EXPECT_TRUE(filter.accepts("__consumer_offsets"));
  EXPECT_TRUE(filter.accepts("x"));
}

TEST(NameFilterTest, BadPatternIsAClearError) {
  try {
    NameFilter filter("([", "^$");
    FAIL();
  } catch (const std::invalid_argument& error) {
    EXPECT_NE(std::string(error.what()).find("invalid regular expression '(['"), std::string::npos);
  }
}

}  // namespace
}  // namespace kse::model
