// The courier message format of the seed's workshop 2 and duplicate detection.
#include "common/courier_position.h"

#include <gtest/gtest.h>

#include <random>
#include <set>

#include "common/duplicate_detector.h"

namespace kse::workload {
namespace {

TEST(CourierPositionTest, EncodesTheSeedsMessageLayout) {
  EXPECT_EQ(
      encode_position(3, 1700000000123, 42, 45.5, 2.25),
      R"({"index":3,"timestamp":1700000000123,"courier":{"id":42,"currentPosition":{"latitude":45.500000,"longitude":2.250000}}})");
}

TEST(CourierPositionTest, ReadsCourierAndIndexFromNumericOrTextIds) {
  auto numeric = parse_position_identity(
      R"({"index":7,"timestamp":1,"courier":{"id":12,"currentPosition":{"latitude":45.1,"longitude":2.1}}})");
  ASSERT_TRUE(numeric);
  EXPECT_EQ(numeric->courier_id, "12");
  EXPECT_EQ(numeric->index, 7);
  auto text = parse_position_identity(R"({"index":0,"courier":{"id":"courier-3"}})");
  ASSERT_TRUE(text);
  EXPECT_EQ(text->courier_id, "courier-3");
  EXPECT_EQ(text->index, 0);
}

TEST(CourierPositionTest, RejectsWhatIsNotAPosition) {
  for (const char* value : {"", "not json", "{", "[]", R"({"index":1})", R"({"courier":{"id":1}})",
                            R"({"index":"1","courier":{"id":1}})", R"({"index":1,"courier":{"id":[1]}})",
                            R"({"index":1,"courier":{"id":1}} trailing)"}) {
    EXPECT_FALSE(parse_position_identity(value)) << value;
  }
}

TEST(CourierPositionTest, CouriersStartInTheSeedsAreaAndMoveAtMostHalfADegree) {
  std::mt19937_64 random(1);
  Courier courier(5, random);
  double previous_latitude = 0;
  double previous_longitude = 0;
  for (int step = 0; step < 100; ++step) {
    auto value = courier.next_message(1000 + step, random);
    auto identity = parse_position_identity(value);
    ASSERT_TRUE(identity) << value;
    EXPECT_EQ(identity->courier_id, "5");
    EXPECT_EQ(identity->index, step);
    const double latitude = std::stod(value.substr(value.find("latitude\":") + 10));
    const double longitude = std::stod(value.substr(value.find("longitude\":") + 11));
    if (step == 0) {
      EXPECT_GE(latitude, 45.0);
      EXPECT_LE(latitude, 46.0);
      EXPECT_GE(longitude, 2.0);
      EXPECT_LE(longitude, 3.0);
    } else {
      EXPECT_LE(std::abs(latitude - previous_latitude), 0.5 + 1e-6);
      EXPECT_LE(std::abs(longitude - previous_longitude), 0.5 + 1e-6);
    }
    previous_latitude = latitude;
    previous_longitude = longitude;
  }
  EXPECT_EQ(courier.key(), "5");
}

TEST(DuplicateDetectorTest, CountsPairsSeenAgainWhateverTheirIndex) {
  DuplicateDetector detector;
  EXPECT_FALSE(detector.seen_before("1", 0));
  EXPECT_FALSE(detector.seen_before("2", 0));
  EXPECT_TRUE(detector.seen_before("1", 0));
  EXPECT_FALSE(detector.seen_before("1", 5000000000));
  EXPECT_TRUE(detector.seen_before("1", 5000000000));
  EXPECT_FALSE(detector.seen_before("1", -1));
  EXPECT_TRUE(detector.seen_before("1", -1));
  EXPECT_EQ(detector.duplicates(), 3u);
  EXPECT_EQ(detector.distinct(), 4u);
}

}  // namespace
}  // namespace kse::workload
