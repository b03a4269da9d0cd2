#pragma once

#include <cstdint>
#include <optional>
#include <span>

// What the Kafka message specs do not describe: the record batches inside a Fetch answer
// (KIP-98 format, magic 2, and the older magic 1 message sets). Only timestamps are read.
namespace kse::kafka {

struct RecordTimestamp {
  int64_t timestamp_ms = -1;
  int64_t offset = -1;  // the record it belongs to: the first one at or after the asked offset
  // The record's own timestamp; false when it sits inside a compressed batch (or past the
  // bytes returned), where the batch's first timestamp stands for it (never younger).
  bool exact = false;
};

// The timestamp of the first record at or after `offset` in `records` (a Fetch answer's
// bytes, whose last batch may be cut short). Control batches (transaction markers) are
// skipped: no consumer is ever given them. Nothing when the bytes hold no such record
// header. Never reads outside `records`.
std::optional<RecordTimestamp> timestamp_at(std::span<const uint8_t> records, int64_t offset);

// Whether every batch in `records` from `offset` up to `end` (exclusive) is a control batch,
// whole: a consumer at `offset` then has no record left to read before `end`, although
// Kafka counts the markers as lag (a read_committed consumer that is caught up sits one
// marker behind the log end).
bool only_markers_before(std::span<const uint8_t> records, int64_t offset, int64_t end);

}  // namespace kse::kafka
