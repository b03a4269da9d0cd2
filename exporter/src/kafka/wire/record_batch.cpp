#include "kafka/wire/record_batch.h"

#include <string>

#include "kafka/wire/codec.h"

namespace kse::kafka {

namespace {

constexpr size_t kBatchHeaderBytes = 61;   // magic 2, up to and including the record count
constexpr size_t kLengthPrefixBytes = 12;  // baseOffset + batchLength
constexpr int16_t kCompressionMask = 0x07;
constexpr int16_t kLogAppendTime = 0x08;
constexpr int16_t kControlBatch = 0x20;  // a transaction marker, never given to a consumer

// The first record of an uncompressed batch at or after `offset`: found, or the whole batch
// read without one (compaction removed them), or the bytes ended first.
struct Walk {
  std::optional<RecordTimestamp> found;
  bool whole = false;
};

Walk first_record_from(Reader& r, int32_t count, int64_t base_offset, int64_t base_timestamp,
                       int64_t offset) {
  for (int32_t i = 0; i < count; ++i) {
    if (r.remaining() == 0) return {};
    const int32_t length = r.varint();
    if (length < 0 || static_cast<size_t>(length) > r.remaining()) return {};
    const size_t end = r.remaining() - static_cast<size_t>(length);
    r.int8();  // attributes
    const int64_t timestamp_delta = r.varlong();
    const int64_t record_offset = base_offset + r.varint();
    if (record_offset >= offset)
      return {RecordTimestamp{base_timestamp + timestamp_delta, record_offset, true}};
    while (r.remaining() > end) r.int8();
  }
  return {std::nullopt, true};
}

}  // namespace

std::optional<RecordTimestamp> timestamp_at(std::span<const uint8_t> records, int64_t offset) {
  size_t position = 0;
  try {
    // A skipped batch cut short by the fetch size moves `position` past the end: stop there.
    while (position < records.size() && records.size() - position >= kLengthPrefixBytes + 5) {
      Reader r(records.subspan(position), "record batch");
      const int64_t base_offset = r.int64();
      const int32_t batch_length = r.int32();
      if (batch_length <= 0) return std::nullopt;
      r.int32();  // partitionLeaderEpoch (magic 2) or crc (magic 0 and 1)
      const int8_t magic = r.int8();
      const size_t whole = kLengthPrefixBytes + static_cast<size_t>(batch_length);
      if (magic < 2) {
        // A magic 1 message set entry: crc, magic, attributes, timestamp. Magic 0 has none.
        if (magic == 0) return std::nullopt;
        r.int8();  // attributes
        const int64_t timestamp = r.int64();
        if (base_offset >= offset) return RecordTimestamp{timestamp, base_offset, true};
        position += whole;
        continue;
      }
      if (records.size() - position < kBatchHeaderBytes) return std::nullopt;
      r.uint16();
      r.uint16();  // crc
      const int16_t attributes = r.int16();
      const int32_t last_offset_delta = r.int32();
      const int64_t base_timestamp = r.int64();
      const int64_t max_timestamp = r.int64();
      r.int64();  // producerId
      r.int16();  // producerEpoch
      r.int32();  // baseSequence
      const int32_t count = r.int32();
      const int64_t last_offset = base_offset + last_offset_delta;
      // Below the offset, a transaction marker, or emptied by compaction (kept for its
      // producer's state): no record a consumer at `offset` is given.
      if (last_offset < offset || (attributes & kControlBatch) || count == 0) {
        position += whole;
        continue;
      }
      const int64_t first = std::max(offset, base_offset);
      if (attributes & kLogAppendTime) return RecordTimestamp{max_timestamp, first, true};
      if ((attributes & kCompressionMask) == 0) {
        Walk walk = first_record_from(r, count, base_offset, base_timestamp, offset);
        if (walk.found) return walk.found;
        if (walk.whole) {
          position += whole;
          continue;
        }
        return RecordTimestamp{base_timestamp, first, false};  // cut short by the fetch size
      }
      // Compressed: the batch's first timestamp stands for its records (never younger).
      return RecordTimestamp{base_timestamp, first, base_offset >= offset};
    }
  } catch (const DecodeError&) {
    // A batch cut short by the fetch size: what was read before it stands.
  }
  return std::nullopt;
}

bool only_markers_before(std::span<const uint8_t> records, int64_t offset, int64_t end) {
  size_t position = 0;
  int64_t covered = offset;  // every offset below this is a marker or below `offset`
  try {
    while (covered < end && position < records.size() && records.size() - position >= kBatchHeaderBytes) {
      Reader r(records.subspan(position), "record batch");
      const int64_t base_offset = r.int64();
      const int32_t batch_length = r.int32();
      r.int32();
      if (batch_length <= 0 || r.int8() != 2) return false;
      r.int32();  // crc
      const int16_t attributes = r.int16();
      const int64_t last_offset = base_offset + r.int32();
      position += kLengthPrefixBytes + static_cast<size_t>(batch_length);
      if (last_offset < offset) continue;
      // A gap before this batch (compaction) holds no record; a data batch ends the search.
      if (!(attributes & kControlBatch)) return false;
      covered = last_offset + 1;
    }
  } catch (const DecodeError&) {
    return false;
  }
  return covered >= end;
}

}  // namespace kse::kafka
