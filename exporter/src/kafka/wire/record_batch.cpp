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

// What both searches read of a batch's header. A magic 1 entry is one message: its offset
// is both first and last, its timestamp the batch's. Magic 0 has no timestamp.
struct Batch {
  int64_t base_offset = 0;
  int64_t last_offset = 0;
  int8_t magic = 0;
  int16_t attributes = 0;
  int64_t base_timestamp = 0;
  int64_t max_timestamp = 0;
  int32_t count = 1;
  size_t size = 0;  // the whole batch, length prefix included
};

enum class WalkEnd { kBytesEnded, kStopped, kMalformed };

// Visits the batches of `records` in order: `visit(batch, reader)`, the reader at the
// batch's first record (magic 2), returns false to stop. A batch whose header is cut short
// by the fetch size ends the walk; bytes that are no batch, or a record cut short that
// `visit` tried to read, make it malformed.
template <typename Visit>
WalkEnd walk_batches(std::span<const uint8_t> records, Visit&& visit) {
  size_t position = 0;
  try {
    // A skipped batch cut short by the fetch size moves `position` past the end: stop there.
    while (position < records.size() && records.size() - position >= kLengthPrefixBytes + 5) {
      Reader r(records.subspan(position), "record batch");
      Batch batch;
      batch.base_offset = r.int64();
      const int32_t batch_length = r.int32();
      if (batch_length <= 0) return WalkEnd::kMalformed;
      batch.size = kLengthPrefixBytes + static_cast<size_t>(batch_length);
      r.int32();  // partitionLeaderEpoch (magic 2) or crc (magic 0 and 1)
      batch.magic = r.int8();
      if (batch.magic == 1) {
        r.int8();  // attributes
        batch.base_timestamp = batch.max_timestamp = r.int64();
        batch.last_offset = batch.base_offset;
      } else if (batch.magic == 2) {
        if (records.size() - position < kBatchHeaderBytes) return WalkEnd::kBytesEnded;
        r.int32();  // crc
        batch.attributes = r.int16();
        batch.last_offset = batch.base_offset + r.int32();
        batch.base_timestamp = r.int64();
        batch.max_timestamp = r.int64();
        r.int64();  // producerId
        r.int16();  // producerEpoch
        r.int32();  // baseSequence
        batch.count = r.int32();
      } else if (batch.magic != 0) {
        return WalkEnd::kMalformed;
      }
      if (!visit(batch, r)) return WalkEnd::kStopped;
      position += batch.size;
    }
  } catch (const DecodeError&) {
    return WalkEnd::kMalformed;
  }
  return WalkEnd::kBytesEnded;
}

}  // namespace

std::optional<RecordTimestamp> timestamp_at(std::span<const uint8_t> records, int64_t offset) {
  std::optional<RecordTimestamp> found;
  walk_batches(records, [&](const Batch& batch, Reader& r) {
    if (batch.magic == 0) return false;
    if (batch.magic == 1) {
      if (batch.base_offset >= offset) found = RecordTimestamp{batch.base_timestamp, batch.base_offset, true};
      return !found;
    }
    // Below the offset, a transaction marker, or emptied by compaction (kept for its
    // producer's state): no record a consumer at `offset` is given.
    if (batch.last_offset < offset || (batch.attributes & kControlBatch) || batch.count == 0) return true;
    const int64_t first = std::max(offset, batch.base_offset);
    if (batch.attributes & kLogAppendTime) {
      found = RecordTimestamp{batch.max_timestamp, first, true};
    } else if ((batch.attributes & kCompressionMask) == 0) {
      Walk walk = first_record_from(r, batch.count, batch.base_offset, batch.base_timestamp, offset);
      if (walk.whole) return true;
      // Cut short by the fetch size: the batch's first timestamp stands for the record.
      found = walk.found ? *walk.found : RecordTimestamp{batch.base_timestamp, first, false};
    } else {
      // Compressed: the batch's first timestamp stands for its records (never younger).
      found = RecordTimestamp{batch.base_timestamp, first, batch.base_offset >= offset};
    }
    return false;
  });
  return found;
}

bool only_markers_before(std::span<const uint8_t> records, int64_t offset, int64_t end) {
  int64_t covered = offset;  // every offset below this is a marker or below `offset`
  bool data = false;         // a record (or a batch of another magic) before `end`
  const WalkEnd walked = walk_batches(records, [&](const Batch& batch, Reader&) {
    if (covered >= end) return false;
    if (batch.magic != 2) {
      data = true;
      return false;
    }
    if (batch.last_offset < offset) return true;
    // A gap before this batch (compaction) holds no record; a data batch ends the search.
    if (!(batch.attributes & kControlBatch)) {
      data = true;
      return false;
    }
    covered = batch.last_offset + 1;
    return true;
  });
  return walked != WalkEnd::kMalformed && !data && covered >= end;
}

}  // namespace kse::kafka
