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

TEST(RecordBatchTest, TransactionMarkersAreNotRecordsAConsumerWaitsFor) {
  // A committed transaction (20..21), its marker (22), an aborted one (23) and its marker (24).
  const auto data = batch(20, 3'000, {{0, 0, "t1"}, {10, 1, "t2"}});
  const auto commit = batch(22, 3'500, {{0, 0, "marker"}}, 0x20 | 0x10);
  const auto aborted = batch(23, 4'000, {{0, 0, "lost"}}, 0x10);
  const auto abort = batch(24, 4'500, {{0, 0, "marker"}}, 0x20 | 0x10);
  const auto log = concat(concat(concat(data, commit), aborted), abort);
  // At a marker the next record a consumer can be given is the one after it.
  EXPECT_EQ(timestamp_at(log, 22)->timestamp_ms, 4'000);
  EXPECT_EQ(timestamp_at(log, 22)->offset, 23);
  EXPECT_FALSE(timestamp_at(log, 24).has_value());
  // A consumer at the last marker has nothing left to read before the log end (25).
  EXPECT_TRUE(only_markers_before(log, 24, 25));
  EXPECT_TRUE(only_markers_before(concat(commit, abort), 22, 25));
  // An aborted batch is still a record a read_uncommitted consumer is given, and Kafka's lag counts it.
  EXPECT_FALSE(only_markers_before(log, 22, 25));
  // Markers that stop short of the end, or no bytes at all, prove nothing.
  EXPECT_FALSE(only_markers_before(commit, 22, 25));
  EXPECT_FALSE(only_markers_before({}, 22, 25));
  // A compacted gap before the marker holds no record.
  EXPECT_TRUE(only_markers_before(abort, 23, 25));
}

TEST(RecordBatchTest, CompactedBatchesGiveTheFirstRecordLeft) {
  // 0..9 emptied by the cleaner (its header kept for the producer's state), then 10..12 of
  // which 10 was cleaned too, then 13.
  auto emptied = batch(0, 1'000, {{0, 9, "gone"}});
  emptied[57] = emptied[58] = emptied[59] = emptied[60] = 0;  // record count 0
  emptied.resize(61);
  const int32_t length = 61 - 12;
  emptied[8] = static_cast<uint8_t>(length >> 24);
  emptied[9] = static_cast<uint8_t>(length >> 16);
  emptied[10] = static_cast<uint8_t>(length >> 8);
  emptied[11] = static_cast<uint8_t>(length);
  const auto partly = batch(10, 5'000, {{100, 1, "k1"}, {200, 2, "k2"}});
  const auto last = batch(13, 9'000, {{0, 0, "k3"}});
  const auto log = concat(concat(emptied, partly), last);
  EXPECT_EQ(timestamp_at(log, 3)->offset, 11);
  EXPECT_EQ(timestamp_at(log, 3)->timestamp_ms, 5'100);
  EXPECT_TRUE(timestamp_at(log, 3)->exact);
  EXPECT_EQ(timestamp_at(log, 12)->timestamp_ms, 5'200);
  // A batch whose records after the offset were all cleaned: the next batch holds the answer.
  auto shortened = batch(20, 6'000, {{0, 0, "a"}});
  shortened[26] = 5;  // lastOffsetDelta (bytes 23..26) 5: offsets 21..25 were cleaned away
  const auto after = batch(26, 7'000, {{0, 0, "b"}});
  EXPECT_EQ(timestamp_at(concat(shortened, after), 22)->timestamp_ms, 7'000);
  EXPECT_EQ(timestamp_at(concat(shortened, after), 22)->offset, 26);
}

TEST(RecordBatchTest, ASkippedBatchCutShortEndsTheSearch) {
  // A Fetch answer whose last batch, a marker or one below the offset, is cut by the size
  // asked: skipping it must not read past the bytes (or wrap around their length).
  const auto data = batch(20, 3'000, {{0, 0, "t1"}, {10, 1, "t2"}});
  const auto marker = batch(22, 3'500, {{0, 0, "marker"}}, 0x20 | 0x10);
  for (size_t cut = 61; cut < marker.size(); ++cut) {
    auto bytes = data;
    bytes.insert(bytes.end(), marker.begin(), marker.begin() + static_cast<std::ptrdiff_t>(cut));
    EXPECT_FALSE(timestamp_at(bytes, 22).has_value()) << cut;
    EXPECT_FALSE(only_markers_before(bytes, 20, 23)) << cut;
    EXPECT_TRUE(only_markers_before(bytes, 22, 23)) << cut;  // the header says what it holds
    auto below = batch(10, 1'000, {{0, 0, "old"}});
    below.resize(cut < below.size() ? cut : below.size() - 1);
    EXPECT_FALSE(timestamp_at(below, 20).has_value()) << cut;
  }
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
