#include "render/exposition.h"

#include <unordered_map>

#include <zlib.h>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cmath>
#include <stdexcept>

namespace kse::render {

void append_value(std::string& out, double value) {
  if (std::isnan(value)) {
    out += "NaN";
  } else if (std::isinf(value)) {
    out += value > 0 ? "+Inf" : "-Inf";
  } else if (value == std::trunc(value) && std::fabs(value) < 9007199254740992.0) {
    // Offsets, counts and ids: integer formatting is several times faster than shortest-double.
    char buffer[24];
    auto [end, ec] = std::to_chars(buffer, buffer + sizeof buffer, static_cast<int64_t>(value));
    out.append(buffer, end);
  } else {
    char buffer[32];
    auto [end, ec] = std::to_chars(buffer, buffer + sizeof buffer, value);
    out.append(buffer, end);
  }
}

void append_label_value(std::string& out, std::string_view value) {
  // Almost no label needs escaping: copy it whole when it does not. A plain loop: find_first_of
  // with a set of three calls memchr once per character.
  const bool plain =
      std::none_of(value.begin(), value.end(), [](char c) { return c == '\\' || c == '"' || c == '\n'; });
  if (plain) {
    out.append(value);
    return;
  }
  for (char c : value) {
    switch (c) {
      case '\\': out += "\\\\"; break;
      case '"': out += "\\\""; break;
      case '\n': out += "\\n"; break;
      default: out += c;
    }
  }
}

void append_help(std::string& out, std::string_view help) {
  for (char c : help) {
    switch (c) {
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      default: out += c;
    }
  }
}

namespace {

void append_header(std::string& out, const metrics::Family& family) {
  out += "# HELP ";
  out += family.name;
  out += ' ';
  append_help(out, family.help);
  out += "\n# TYPE ";
  out += family.name;
  out += ' ';
  out += metrics::type_name(family.type);
  out += '\n';
}

void append_sample(std::string& out, const metrics::Family& family, const metrics::Sample& sample) {
  out += family.name;
  out += sample.suffix;
  const size_t labels = std::min(family.label_names.size(), sample.label_values.size());
  if (labels > 0 || !sample.extra_labels.empty()) {
    out += '{';
    bool first = true;
    size_t i = 0;
    sample.label_values.each(
        [&](std::string_view value) {
          if (!first) out += ',';
          first = false;
          out += family.label_names[i++];
          out += "=\"";
          append_label_value(out, value);
          out += '"';
        },
        labels);
    for (const auto& label : sample.extra_labels) {
      if (!first) out += ',';
      first = false;
      out += label.name;
      out += "=\"";
      append_label_value(out, label.value);
      out += '"';
    }
    out += '}';
  }
  out += ' ';
  append_value(out, sample.value);
  out += '\n';
}

}  // namespace

namespace {

// Visits every sample of `family_sets` once, in page order: `header(slot, family)` before a
// family's first sample in a slot, `sample(slot, family, sample)` for each sample. Families of
// the same name from different sets (the probe's producer and consumer statistics, say) share
// one HELP/TYPE block per page: a second block is invalid.
template <typename Header, typename OnSample>
void for_each_in_slots(const std::vector<const std::vector<metrics::Family>*>& family_sets, size_t slot_count,
                       const std::function<size_t(int32_t owner)>& slot_of, Header&& header,
                       OnSample&& on_sample) {
  std::vector<std::vector<const metrics::Family*>> by_name;
  std::unordered_map<std::string_view, size_t> index_of;
  for (const auto* families : family_sets) {
    for (const auto& family : *families) {
      auto [it, added] = index_of.try_emplace(family.name, by_name.size());
      if (added) by_name.emplace_back();
      by_name[it->second].push_back(&family);
    }
  }
  std::vector<char> started(slot_count);
  for (const auto& same_name : by_name) {
    std::fill(started.begin(), started.end(), 0);
    for (const auto* family : same_name) {
      int32_t last_owner = INT32_MIN;
      size_t slot = 0;
      for (const auto& sample : family->samples) {
        if (sample.owner != last_owner) {
          slot = slot_of(sample.owner);
          last_owner = sample.owner;
        }
        if (slot >= slot_count) continue;
        if (!started[slot]) {
          header(slot, *same_name.front());
          started[slot] = 1;
        }
        on_sample(slot, *family, sample);
      }
    }
  }
}

}  // namespace

std::vector<std::string> render_slots(const std::vector<const std::vector<metrics::Family>*>& family_sets,
                                      size_t slot_count, const std::function<size_t(int32_t owner)>& slot_of,
                                      std::vector<size_t>* series_per_slot) {
  std::vector<std::string> out(slot_count);
  if (series_per_slot) series_per_slot->assign(slot_count, 0);
  for_each_in_slots(
      family_sets, slot_count, slot_of,
      [&](size_t slot, const metrics::Family& family) { append_header(out[slot], family); },
      [&](size_t slot, const metrics::Family& family, const metrics::Sample& sample) {
        append_sample(out[slot], family, sample);
        if (series_per_slot) ++(*series_per_slot)[slot];
      });
  return out;
}

namespace {

// Raw deflate of a text handed over in pieces: the text itself is never held whole.
class DeflateStream {
 public:
  DeflateStream() {
    if (deflateInit2(&stream_, 1, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY) != Z_OK) {
      throw std::runtime_error("zlib deflateInit2 failed");
    }
  }
  ~DeflateStream() { deflateEnd(&stream_); }
  DeflateStream(const DeflateStream&) = delete;
  DeflateStream& operator=(const DeflateStream&) = delete;

  // Compresses `text` onto `out`; Z_SYNC_FLUSH at the end leaves the stream at a byte boundary.
  void write(std::string_view text, int flush, std::string& out) {
    stream_.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(text.data()));
    stream_.avail_in = static_cast<uInt>(text.size());
    for (;;) {
      // Doubling for a page written in pieces; a small text (a page's tail) gets a small buffer.
      if (out.capacity() - out.size() < 4096)
        out.reserve(out.size() + std::max(out.size(), text.size() / 2 + 4096));
      const size_t before = out.size();
      out.resize(out.capacity());
      stream_.next_out = reinterpret_cast<Bytef*>(out.data() + before);
      stream_.avail_out = static_cast<uInt>(out.size() - before);
      const int result = deflate(&stream_, flush);
      out.resize(out.size() - stream_.avail_out);
      if (result == Z_STREAM_ERROR) throw std::runtime_error("zlib deflate failed");
      // Done when the input is used up and deflate had room left (nothing pending).
      if (stream_.avail_in == 0 && stream_.avail_out > 0) return;
    }
  }

 private:
  z_stream stream_{};
};

// RFC 1952 header: magic, deflate, no flags, no mtime, fast, unknown OS.
constexpr std::string_view kGzipHeader("\x1f\x8b\x08\x00\x00\x00\x00\x00\x04\xff", 10);

}  // namespace

GzipSlots render_slots_gzip(const std::vector<const std::vector<metrics::Family>*>& family_sets,
                            size_t slot_count, const std::function<size_t(int32_t owner)>& slot_of) {
  // Each slot's text goes through a small buffer straight into its deflate stream.
  constexpr size_t kChunk = 64 * 1024;
  struct Slot {
    std::string text;
    DeflateStream deflate;
  };
  std::vector<Slot> slots(slot_count);
  GzipSlots out;
  out.gzip.resize(slot_count);
  out.series.assign(slot_count, 0);
  const auto drain = [&out, &slots](size_t index, int flush) {
    const auto start = std::chrono::steady_clock::now();
    std::string& text = slots[index].text;
    GzipHead& gzip = out.gzip[index];
    gzip.crc = static_cast<uint32_t>(
        crc32(gzip.crc, reinterpret_cast<const Bytef*>(text.data()), static_cast<uInt>(text.size())));
    gzip.length += text.size();
    slots[index].deflate.write(text, flush, gzip.bytes);
    text.clear();
    out.deflate_seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  };
  for (size_t index = 0; index < slot_count; ++index) {
    slots[index].text.reserve(kChunk + 4096);
    out.gzip[index].bytes.assign(kGzipHeader);
  }
  for_each_in_slots(
      family_sets, slot_count, slot_of,
      [&](size_t index, const metrics::Family& family) { append_header(slots[index].text, family); },
      [&](size_t index, const metrics::Family& family, const metrics::Sample& sample) {
        append_sample(slots[index].text, family, sample);
        ++out.series[index];
        if (slots[index].text.size() >= kChunk) drain(index, Z_NO_FLUSH);
      });
  for (size_t index = 0; index < slot_count; ++index) {
    drain(index, Z_SYNC_FLUSH);
    out.gzip[index].bytes.shrink_to_fit();
  }
  return out;
}

std::string render_text(const std::vector<metrics::Family>& families) {
  return render_slots({&families}, 1, [](int32_t) { return size_t{0}; }).front();
}

std::string gzip_compress(std::string_view text) {
  z_stream stream{};
  if (deflateInit2(&stream, 1, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK) {
    throw std::runtime_error("zlib deflateInit2 failed");
  }
  std::string out(deflateBound(&stream, text.size()), '\0');
  stream.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(text.data()));
  stream.avail_in = static_cast<uInt>(text.size());
  stream.next_out = reinterpret_cast<Bytef*>(out.data());
  stream.avail_out = static_cast<uInt>(out.size());
  const int result = deflate(&stream, Z_FINISH);
  deflateEnd(&stream);
  if (result != Z_STREAM_END) throw std::runtime_error("zlib deflate failed");
  out.resize(stream.total_out);
  return out;
}

namespace {

// Raw deflate (no header) of `text`, ended with `flush`: Z_SYNC_FLUSH leaves the
// stream open at a byte boundary, Z_FINISH closes it.
std::string raw_deflate(std::string_view text, int flush) {
  std::string out;
  DeflateStream().write(text, flush, out);
  return out;
}

void append_le32(std::string& out, uint32_t value) {
  for (int i = 0; i < 4; ++i) out.push_back(static_cast<char>((value >> (8 * i)) & 0xff));
}

}  // namespace

GzipHead gzip_head(std::string_view text) {
  GzipHead head;
  head.bytes.assign(kGzipHeader);
  head.bytes += raw_deflate(text, Z_SYNC_FLUSH);
  head.crc = static_cast<uint32_t>(
      crc32(0, reinterpret_cast<const Bytef*>(text.data()), static_cast<uInt>(text.size())));
  head.length = text.size();
  return head;
}

std::string gzip_tail(const GzipHead& head, std::string_view text) {
  std::string out = raw_deflate(text, Z_FINISH);
  const auto tail_crc = crc32(0, reinterpret_cast<const Bytef*>(text.data()), static_cast<uInt>(text.size()));
  const auto crc = crc32_combine(head.crc, tail_crc, static_cast<z_off_t>(text.size()));
  append_le32(out, static_cast<uint32_t>(crc));
  append_le32(out, static_cast<uint32_t>((head.length + text.size()) & 0xffffffffu));
  return out;
}

std::string gunzip(std::string_view gzip) {
  z_stream stream{};
  if (inflateInit2(&stream, 15 + 16) != Z_OK) throw std::runtime_error("zlib inflateInit2 failed");
  stream.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(gzip.data()));
  stream.avail_in = static_cast<uInt>(gzip.size());
  // Straight into the result, never a buffer on the stack: this runs on the HTTP server's
  // threads, whose stacks are small.
  std::string out(std::max<size_t>(gzip.size() * 4, 4096), '\0');
  int result = Z_OK;
  while (result == Z_OK) {
    if (stream.total_out == out.size()) out.resize(out.size() * 2);
    stream.next_out = reinterpret_cast<Bytef*>(out.data() + stream.total_out);
    stream.avail_out = static_cast<uInt>(out.size() - stream.total_out);
    result = inflate(&stream, Z_NO_FLUSH);
  }
  out.resize(stream.total_out);
  inflateEnd(&stream);
  if (result != Z_STREAM_END) throw std::runtime_error("not a whole gzip member");
  return out;
}

std::string page_text(const RenderedPage& page) {
  if (page.gzip_head) return gunzip(*page.gzip_head + page.gzip);
  return page.text;
}

}  // namespace kse::render
