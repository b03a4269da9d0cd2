#include "kafka/wire/record_batch.h"

#include <gtest/gtest.h>

#include <vector>

#include "kafka/generated/fetch.h"
#include "kafka/wire/codec.h"

namespace kse::kafka {
namespace {

struct TestRecord {
  int64_t timestamp_delta;
  int32_t offset_delta;
  std::string value;
};

// A magic 2 batch as a broker stores it (the CRC is not checked by the reader).
std::vector<uint8_t> batch(int64_t base_offset, int64_t base_timestamp,
                           const std::vector<TestRecord>& records, int16_t attributes = 0) {
  Writer body;
  for (const auto& record : records) {
    Writer one;
    one.int8(0);
    one.varlong(record.timestamp_delta);
    one.varint(record.offset_delta);
    one.varint(-1);  // null key
    one.varint(static_cast<int32_t>(record.value.size()));
    for (char c : record.value) one.int8(static_cast<int8_t>(c));
    one.varint(0);  // no headers
    body.varint(static_cast<int32_t>(one.bytes().size()));
    body.bytes().insert(body.bytes().end(), one.bytes().begin(), one.bytes().end());
  }
  int64_t max_timestamp = base_timestamp;
  for (const auto& record : records)
    max_timestamp = std::max(max_timestamp, base_timestamp + record.timestamp_delta);
  Writer w;
  w.int64(base_offset);
  w.int32(static_cast<int32_t>(49 + body.bytes().size()));  // from partitionLeaderEpoch to the end
  w.int32(0);                                               // partitionLeaderEpoch
  w.int8(2);                                                // magic
  w.int32(0);                                               // crc
  w.int16(attributes);
  w.int32(records.back().offset_delta);
  w.int64(base_timestamp);
  w.int64(max_timestamp);
  w.int64(-1);
  w.int16(-1);
  w.int32(-1);
  w.int32(static_cast<int32_t>(records.size()));
  w.bytes().insert(w.bytes().end(), body.bytes().begin(), body.bytes().end());
  return w.bytes();
}

std::vector<uint8_t> concat(std::vector<uint8_t> a, const std::vector<uint8_t>& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

TEST(RecordBatchTest, TheRecordAtTheOffsetGivesItsOwnTimestamp) {
  const auto bytes = concat(batch(100, 1'000'000, {{0, 0, "a"}, {250, 1, "b"}, {900, 2, "c"}}),
                            batch(103, 1'005'000, {{0, 0, "d"}, {40, 1, "e"}}));
  auto at = [&](int64_t offset) { return timestamp_at(bytes, offset); };
  EXPECT_EQ(at(100)->timestamp_ms, 1'000'000);
  EXPECT_EQ(at(101)->timestamp_ms, 1'000'250);
  EXPECT_TRUE(at(101)->exact);
  EXPECT_EQ(at(102)->timestamp_ms, 1'000'900);
  EXPECT_EQ(at(104)->timestamp_ms, 1'005'040);
  EXPECT_EQ(at(104)->offset, 104);
  // Before the first batch (compacted or deleted): the first record there is the oldest.
  EXPECT_EQ(at(90)->timestamp_ms, 1'000'000);
  EXPECT_EQ(at(90)->offset, 100);
  EXPECT_FALSE(at(105).has_value());
}

TEST(RecordBatchTest, CompressedAndLogAppendTimeBatches) {
  // Compressed (gzip): the records cannot be read, the first timestamp stands for them.
  const auto gzip = batch(10, 2'000, {{0, 0, "x"}, {70, 1, "y"}}, 1);
  EXPECT_EQ(timestamp_at(gzip, 11)->timestamp_ms, 2'000);
  EXPECT_FALSE(timestamp_at(gzip, 11)->exact);
  // LogAppendTime: every record carries the batch's max timestamp.
  const auto append = batch(10, 2'000, {{0, 0, "x"}, {70, 1, "y"}}, 0x08);
  EXPECT_EQ(timestamp_at(append, 10)->timestamp_ms, 2'070);
}

TEST(RecordBatchTest, ACutShortOrGarbledAnswerNeverReadsPastItsBytes) {
  const auto whole = batch(100, 1'000'000, {{0, 0, "aaaaaaaaaaaaaaaaaaaaaaaaaaa"}, {250, 1, "b"}});
  // Cut inside the second record: the header still says when the batch started.
  for (size_t cut = 0; cut < whole.size(); ++cut) {
    std::vector<uint8_t> part(whole.begin(), whole.begin() + static_cast<std::ptrdiff_t>(cut));
    auto found = timestamp_at(part, 101);
    if (cut < 61) {
      EXPECT_FALSE(found.has_value()) << cut;
    } else {
      ASSERT_TRUE(found.has_value()) << cut;
      EXPECT_TRUE(found->timestamp_ms == 1'000'000 || found->timestamp_ms == 1'000'250) << cut;
    }
  }
  std::vector<uint8_t> garbage(200, 0xff);
  EXPECT_FALSE(timestamp_at(garbage, 0).has_value());
  EXPECT_FALSE(timestamp_at({}, 0).has_value());
}

TEST(RecordBatchTest, FetchEncodesTheVersionsGates) {
  FetchRequest request;
  request.topics.push_back({"position", {{3, -1, 42, -1, 4096}}});
  Writer v4, v11;
  request.encode(v4, 4);
  request.encode(v11, 11);
  // v11 adds session id and epoch (8), leader epoch (4), log start offset (8), forgotten
  // topics (4) and the rack id (2).
  EXPECT_EQ(v11.bytes().size(), v4.bytes().size() + 26);
}

}  // namespace
}  // namespace kse::kafka
