#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "metrics/family.h"

// Families -> Prometheus text exposition format 0.0.4, split by port in one pass.
namespace kse::render {

// A /metrics body compressed is gzip_head + gzip: the head is rendered and compressed once
// per cycle and shared, the rest (probe series) more often. Only the gzip of the head is
// kept; page_text gives the whole text.
struct RenderedPage {
  std::string text;                              // the text after the head
  std::shared_ptr<const std::string> gzip_head;  // may be null: then text is the whole body
  std::string gzip;                              // the whole body, gzip-compressed
  size_t series = 0;
  std::chrono::system_clock::time_point rendered_at{};
};

// Appends `value` as Prometheus spells it: shortest round-trip, NaN, +Inf, -Inf.
void append_value(std::string& out, double value);
// Appends a label value with backslash, double quote and newline escaped.
void append_label_value(std::string& out, std::string_view value);
// Appends HELP text with backslash and newline escaped.
void append_help(std::string& out, std::string_view help);

// Renders every family into `slot_count` texts: each sample goes to slot
// `slot_of(sample.owner)`; a family's HELP and TYPE lines appear in a slot only
// when it has samples there.
std::vector<std::string> render_slots(const std::vector<const std::vector<metrics::Family>*>& family_sets,
                                      size_t slot_count, const std::function<size_t(int32_t owner)>& slot_of,
                                      std::vector<size_t>* series_per_slot = nullptr);

std::string render_text(const std::vector<metrics::Family>& families);

// gzip (RFC 1952) of `text` at a fast compression level.
std::string gzip_compress(std::string_view text);

// One gzip member in two parts compressed separately: gzip_head(a).bytes +
// gzip_tail(head, b) is the gzip of a + b, so a tail that changes often is the
// only part compressed again.
struct GzipHead {
  std::string bytes;  // gzip header + raw deflate of the text, flushed to a byte boundary
  uint32_t crc = 0;
  uint64_t length = 0;
};
GzipHead gzip_head(std::string_view text);
std::string gzip_tail(const GzipHead& head, std::string_view text);

// Every family rendered into `slot_count` gzip heads (see GzipHead) as render_slots would
// render them into texts, without ever holding a whole text: each slot's text is deflated
// in pieces as it is written.
struct GzipSlots {
  std::vector<GzipHead> gzip;
  std::vector<size_t> series;  // per slot
  double deflate_seconds = 0;  // of the render's time, what deflate and crc took
};
GzipSlots render_slots_gzip(const std::vector<const std::vector<metrics::Family>*>& family_sets,
                            size_t slot_count, const std::function<size_t(int32_t owner)>& slot_of);

// The text of one gzip member; std::runtime_error when `gzip` is not one.
std::string gunzip(std::string_view gzip);

// The whole text of `page`: its gzip body expanded, or its text where it has no head.
std::string page_text(const RenderedPage& page);

}  // namespace kse::render
