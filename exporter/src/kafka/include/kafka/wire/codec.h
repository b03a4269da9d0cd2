#pragma once

#include <algorithm>
#include <array>
#include <boost/container/small_vector.hpp>
#include <cstdint>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

// Kafka's primitive encodings. Every read is bounds-checked and a failure names
// the message and field, e.g. "Metadata v12 response: field Topics.Partitions: ...".
namespace kse::kafka {

class DecodeError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

using Uuid = std::array<uint8_t, 16>;

class Writer {
 public:
  void int8(int8_t v) { bytes_.push_back(static_cast<uint8_t>(v)); }
  void int16(int16_t v) { put_be(static_cast<uint16_t>(v), 2); }
  void uint16(uint16_t v) { put_be(v, 2); }
  void int32(int32_t v) { put_be(static_cast<uint32_t>(v), 4); }
  void int64(int64_t v) { put_be(static_cast<uint64_t>(v), 8); }
  void boolean(bool v) { int8(v ? 1 : 0); }
  void uuid(const Uuid& v) { bytes_.insert(bytes_.end(), v.begin(), v.end()); }
  void float64(double v);
  void uvarint(uint32_t v);
  void varint(int32_t v) { uvarint((static_cast<uint32_t>(v) << 1) ^ static_cast<uint32_t>(v >> 31)); }
  void varlong(int64_t v);
  void string(std::string_view v, bool flexible);
  void nullable_string(const std::optional<std::string>& v, bool flexible);
  void raw_bytes(std::span<const uint8_t> v, bool flexible);
  void array_length(size_t n, bool flexible);
  void null_array(bool flexible);
  // An empty tagged-field section (flexible versions only).
  void tags() { uvarint(0); }

  std::vector<uint8_t>& bytes() { return bytes_; }

 private:
  void put_be(uint64_t v, int width) {
    for (int i = width - 1; i >= 0; --i) bytes_.push_back(static_cast<uint8_t>(v >> (8 * i)));
  }
  std::vector<uint8_t> bytes_;
};

class Reader {
 public:
  Reader(std::span<const uint8_t> data, std::string context) : data_(data), context_(std::move(context)) {}

  // Names the field being read, for error messages.
  Reader& field(const char* name) {
    field_ = name;
    return *this;
  }

  // The fixed-width reads are inline: a large Metadata response is millions of them.
  int8_t int8() { return static_cast<int8_t>(*take(1)); }
  int16_t int16() { return static_cast<int16_t>(read_be<uint16_t>()); }
  int32_t int32() { return static_cast<int32_t>(read_be<uint32_t>()); }
  int64_t int64() { return static_cast<int64_t>(read_be<uint64_t>()); }
  uint16_t uint16() { return read_be<uint16_t>(); }
  bool boolean() { return int8() != 0; }
  Uuid uuid();
  double float64();
  uint32_t uvarint() {
    // One-byte varints (small lengths, empty tag sections) are nearly all of them.
    if (position_ < data_.size() && data_[position_] < 0x80) return data_[position_++];
    return uvarint_slow();
  }
  int32_t varint();
  int64_t varlong();
  std::string string(bool flexible);
  std::optional<std::string> nullable_string(bool flexible);
  std::vector<uint8_t> raw_bytes(bool flexible);
  // Element count, or -1 for a null array. Rejects counts that could not fit in the
  // bytes left, so a lying length never makes us allocate.
  int32_t array_length(bool flexible, size_t min_element_size = 1);
  // Skips a tagged-field section (unknown tags are skipped by their size).
  void skip_tags();
  // Skips `n` bytes (a tagged field we do not know).
  void skip(size_t n) { take(n); }

  size_t remaining() const { return data_.size() - position_; }
  [[noreturn]] void fail(const std::string& what) const;

 private:
  const uint8_t* take(size_t n) {
    if (n > remaining()) [[unlikely]]
      fail_short(n);
    const uint8_t* out = data_.data() + position_;
    position_ += n;
    return out;
  }
  template <typename T>
  T read_be() {
    const uint8_t* bytes = take(sizeof(T));
    T v = 0;
    for (size_t i = 0; i < sizeof(T); ++i) v = static_cast<T>((v << 8) | bytes[i]);
    return v;
  }
  [[noreturn]] void fail_short(size_t n) const;
  uint32_t uvarint_slow();

  std::span<const uint8_t> data_;
  size_t position_ = 0;
  std::string context_;
  const char* field_ = "?";
};

// Room reserved before an array's elements are read: never more bytes than are left in
// the frame, so a count that lies costs no memory; the vector grows as elements decode.
template <typename T>
size_t initial_capacity(const Reader& r, int32_t count) {
  return std::min(static_cast<size_t>(count), std::max<size_t>(r.remaining() / sizeof(T), 1));
}

// Reads an array of `min_size`-byte-or-more elements with `read_one(reader)`.
template <typename T, typename F>
std::vector<T> read_array(Reader& r, bool flexible, size_t min_size, F read_one) {
  const int32_t n = r.array_length(flexible, min_size);
  std::vector<T> out;
  if (n <= 0) return out;
  out.reserve(initial_capacity<T>(r, n));
  for (int32_t i = 0; i < n; ++i) out.push_back(read_one(r));
  return out;
}

// The same, filling each element in place (for large arrays of big structs).
template <typename T, typename F>
std::vector<T> read_array_in_place(Reader& r, bool flexible, size_t min_size, F read_into) {
  const int32_t n = r.array_length(flexible, min_size);
  std::vector<T> out;
  if (n <= 0) return out;
  out.reserve(initial_capacity<T>(r, n));
  for (int32_t i = 0; i < n; ++i) read_into(r, out.emplace_back());
  return out;
}

std::vector<int32_t> read_int32_array(Reader& r, bool flexible);

// Broker ids of one partition (replicas, ISR, offline replicas), inline up to 4 so
// that decoding a 100,000-partition Metadata response allocates nothing per partition.
class BrokerIds : public boost::container::small_vector<int32_t, 4> {
 public:
  using small_vector::small_vector;
  operator std::vector<int32_t>() const { return {begin(), end()}; }
  friend bool operator==(const BrokerIds& a, const std::vector<int32_t>& b) {
    return std::equal(a.begin(), a.end(), b.begin(), b.end());
  }
};
void read_broker_ids(Reader& r, bool flexible, BrokerIds& out);
void write_int32_array(Writer& w, const std::vector<int32_t>& values, bool flexible);
void write_string_array(Writer& w, const std::vector<std::string>& values, bool flexible);
std::vector<std::string> read_string_array(Reader& r, bool flexible);

}  // namespace kse::kafka
