#include "kafka/wire/record_batch.h"

#include <string>

#include "kafka/wire/codec.h"

namespace kse::kafka {

namespace {

constexpr size_t kBatchHeaderBytes = 61;   // magic 2, up to and including the record count
constexpr size_t kLengthPrefixBytes = 12;  // baseOffset + batchLength
constexpr int16_t kCompressionMask = 0x07;
constexpr int16_t kLogAppendTime = 0x08;

// Walks the records of an uncompressed batch up to `offset`; nothing if the bytes end first.
std::optional<int64_t> record_timestamp(Reader& r, int32_t count, int64_t base_offset, int64_t base_timestamp,
                                        int64_t offset) {
  for (int32_t i = 0; i < count && r.remaining() > 0; ++i) {
    const int32_t length = r.varint();
    if (length < 0 || static_cast<size_t>(length) > r.remaining()) return std::nullopt;
    const size_t end = r.remaining() - static_cast<size_t>(length);
    r.int8();  // attributes
    const int64_t timestamp_delta = r.varlong();
    const int32_t offset_delta = r.varint();
    if (base_offset + offset_delta >= offset) return base_timestamp + timestamp_delta;
    while (r.remaining() > end) r.int8();
  }
  return std::nullopt;
}

}  // namespace

std::optional<RecordTimestamp> timestamp_at(std::span<const uint8_t> records, int64_t offset) {
  size_t position = 0;
  try {
    while (records.size() - position >= kLengthPrefixBytes + 5) {
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
      if (last_offset < offset) {
        position += whole;
        continue;
      }
      if (attributes & kLogAppendTime)
        return RecordTimestamp{max_timestamp, std::max(offset, base_offset), true};
      if (base_offset >= offset) return RecordTimestamp{base_timestamp, base_offset, true};
      if ((attributes & kCompressionMask) == 0) {
        if (auto exact = record_timestamp(r, count, base_offset, base_timestamp, offset)) {
          return RecordTimestamp{*exact, offset, true};
        }
      }
      return RecordTimestamp{base_timestamp, offset, false};
    }
  } catch (const DecodeError&) {
    // A batch cut short by the fetch size: what was read before it stands.
  }
  return std::nullopt;
}

}  // namespace kse::kafka
