#include <gtest/gtest.h>

#include "kafka/wire/codec.h"

namespace kse::kafka {
namespace {

using Bytes = std::vector<uint8_t>;

TEST(WireTest, UnsignedVarintGoldenBytes) {
  for (auto [value, bytes] :
       std::vector<std::pair<uint32_t, Bytes>>{{0, {0x00}},
                                               {127, {0x7f}},
                                               {128, {0x80, 0x01}},
                                               {300, {0xac, 0x02}},
                                               {0xffffffff, {0xff, 0xff, 0xff, 0xff, 0x0f}}}) {
    Writer w;
    w.uvarint(value);
    EXPECT_EQ(w.bytes(), bytes) << value;
    Reader r(bytes, "test");
    EXPECT_EQ(r.uvarint(), value);
    EXPECT_EQ(r.remaining(), 0u);
  }
}

TEST(WireTest, ZigZagVarintAndVarlong) {
  Writer w;
  w.varint(-1);
  w.varint(1);
  w.varlong(-64);
  EXPECT_EQ(w.bytes(), (Bytes{0x01, 0x02, 0x7f}));
  Reader r(w.bytes(), "test");
  EXPECT_EQ(r.varint(), -1);
  EXPECT_EQ(r.varint(), 1);
  EXPECT_EQ(r.varlong(), -64);
}

TEST(WireTest, StringsClassicAndCompact) {
  Writer w;
  w.string("abc", false);
  w.string("abc", true);
  w.nullable_string(std::nullopt, false);
  w.nullable_string(std::nullopt, true);
  EXPECT_EQ(w.bytes(), (Bytes{0x00, 0x03, 'a', 'b', 'c', 0x04, 'a', 'b', 'c', 0xff, 0xff, 0x00}));
  Reader r(w.bytes(), "test");
  EXPECT_EQ(r.string(false), "abc");
  EXPECT_EQ(r.string(true), "abc");
  EXPECT_FALSE(r.nullable_string(false).has_value());
  EXPECT_FALSE(r.nullable_string(true).has_value());
}

TEST(WireTest, ArraysAndTags) {
  Writer w;
  write_int32_array(w, {1, 2}, true);
  w.null_array(false);
  // Two unknown tags, skipped by their size.
  w.uvarint(2);
  w.uvarint(0);
  w.uvarint(3);
  w.int8(1);
  w.int8(2);
  w.int8(3);
  w.uvarint(5);
  w.uvarint(0);
  w.int8(9);
  Reader r(w.bytes(), "test");
  EXPECT_EQ(read_int32_array(r, true), (std::vector<int32_t>{1, 2}));
  EXPECT_EQ(r.array_length(false), -1);
  r.skip_tags();
  EXPECT_EQ(r.int8(), 9);
}

TEST(WireTest, ErrorsNameTheMessageAndField) {
  Bytes truncated = {0x00, 0x05, 'a'};
  Reader r(truncated, "Metadata v12 response");
  try {
    r.field("Topics.Name").string(false);
    FAIL();
  } catch (const DecodeError& error) {
    EXPECT_STREQ(error.what(), "Metadata v12 response: field Topics.Name: needs 5 bytes, 1 left");
  }
}

TEST(WireTest, LyingArrayLengthFailsWithoutAllocating) {
  Bytes lying = {0x7f, 0xff, 0xff, 0xff, 0x00};
  Reader r(lying, "ListOffsets v7 response");
  try {
    r.field("Topics").array_length(false, 4);
    FAIL();
  } catch (const DecodeError& error) {
    EXPECT_STREQ(error.what(),
                 "ListOffsets v7 response: field Topics: array length 2147483647 exceeds remaining 1 bytes");
  }
  Bytes overlong = {0xff, 0xff, 0xff, 0xff, 0xff, 0x01};
  Reader v(overlong, "x");
  EXPECT_THROW(v.uvarint(), DecodeError);
  Bytes negative = {0xff, 0xfe};
  Reader n(negative, "x");
  EXPECT_THROW(n.nullable_string(false), DecodeError);
}

}  // namespace
}  // namespace kse::kafka
