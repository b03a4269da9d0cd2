#include "kafka/wire/codec.h"

#include <bit>
#include <cstring>

namespace kse::kafka {

void Writer::float64(double v) { put_be(std::bit_cast<uint64_t>(v), 8); }

void Writer::uvarint(uint32_t v) {
  while (v >= 0x80) {
    bytes_.push_back(static_cast<uint8_t>(v | 0x80));
    v >>= 7;
  }
  bytes_.push_back(static_cast<uint8_t>(v));
}

void Writer::varlong(int64_t v) {
  uint64_t z = (static_cast<uint64_t>(v) << 1) ^ static_cast<uint64_t>(v >> 63);
  while (z >= 0x80) {
    bytes_.push_back(static_cast<uint8_t>(z | 0x80));
    z >>= 7;
  }
  bytes_.push_back(static_cast<uint8_t>(z));
}

void Writer::string(std::string_view v, bool flexible) {
  if (flexible) {
    uvarint(static_cast<uint32_t>(v.size() + 1));
  } else {
    int16(static_cast<int16_t>(v.size()));
  }
  bytes_.insert(bytes_.end(), v.begin(), v.end());
}

void Writer::nullable_string(const std::optional<std::string>& v, bool flexible) {
  if (v) {
    string(*v, flexible);
  } else if (flexible) {
    uvarint(0);
  } else {
    int16(-1);
  }
}

void Writer::raw_bytes(std::span<const uint8_t> v, bool flexible) {
  if (flexible) {
    uvarint(static_cast<uint32_t>(v.size() + 1));
  } else {
    int32(static_cast<int32_t>(v.size()));
  }
  bytes_.insert(bytes_.end(), v.begin(), v.end());
}

void Writer::array_length(size_t n, bool flexible) {
  if (flexible) {
    uvarint(static_cast<uint32_t>(n + 1));
  } else {
    int32(static_cast<int32_t>(n));
  }
}

void Writer::null_array(bool flexible) {
  if (flexible) {
    uvarint(0);
  } else {
    int32(-1);
  }
}

void Reader::fail(const std::string& what) const {
  throw DecodeError(context_ + ": field " + field_ + ": " + what);
}

void Reader::fail_short(size_t n) const {
  fail("needs " + std::to_string(n) + " bytes, " + std::to_string(remaining()) + " left");
}

Uuid Reader::uuid() {
  Uuid out;
  std::memcpy(out.data(), take(16), 16);
  return out;
}

double Reader::float64() { return std::bit_cast<double>(read_be<uint64_t>()); }

uint32_t Reader::uvarint_slow() {
  uint32_t value = 0;
  for (int shift = 0; shift <= 28; shift += 7) {
    const uint8_t b = *take(1);
    value |= static_cast<uint32_t>(b & 0x7f) << shift;
    if ((b & 0x80) == 0) return value;
  }
  fail("unsigned varint longer than 5 bytes");
}

int32_t Reader::varint() {
  const uint32_t z = uvarint();
  return static_cast<int32_t>((z >> 1) ^ (~(z & 1) + 1));
}

int64_t Reader::varlong() {
  uint64_t value = 0;
  for (int shift = 0; shift <= 63; shift += 7) {
    const uint8_t b = *take(1);
    value |= static_cast<uint64_t>(b & 0x7f) << shift;
    if ((b & 0x80) == 0) return static_cast<int64_t>((value >> 1) ^ (~(value & 1) + 1));
  }
  fail("varlong longer than 10 bytes");
}

std::optional<std::string> Reader::nullable_string(bool flexible) {
  int64_t length;
  if (flexible) {
    length = static_cast<int64_t>(uvarint()) - 1;
  } else {
    length = int16();
  }
  if (length < 0) {
    if (length < -1) fail("negative string length " + std::to_string(length));
    return std::nullopt;
  }
  const auto* bytes = take(static_cast<size_t>(length));
  return std::string(reinterpret_cast<const char*>(bytes), static_cast<size_t>(length));
}

std::string Reader::string(bool flexible) {
  auto value = nullable_string(flexible);
  if (!value) fail("null where a string is required");
  return std::move(*value);
}

std::vector<uint8_t> Reader::raw_bytes(bool flexible) {
  int64_t length = flexible ? static_cast<int64_t>(uvarint()) - 1 : int32();
  if (length < 0) return {};
  const auto* bytes = take(static_cast<size_t>(length));
  return std::vector<uint8_t>(bytes, bytes + length);
}

int32_t Reader::array_length(bool flexible, size_t min_element_size) {
  int64_t n = flexible ? static_cast<int64_t>(uvarint()) - 1 : int32();
  if (n < -1) fail("negative array length " + std::to_string(n));
  if (n > 0 && static_cast<uint64_t>(n) * std::max<size_t>(min_element_size, 1) > remaining()) {
    fail("array length " + std::to_string(n) + " exceeds remaining " + std::to_string(remaining()) +
         " bytes");
  }
  return static_cast<int32_t>(n);
}

void Reader::skip_tags() {
  const char* saved = field_;
  field_ = "_tagged_fields";
  const uint32_t count = uvarint();
  if (count > remaining()) fail("tag count " + std::to_string(count) + " exceeds the frame");
  for (uint32_t i = 0; i < count; ++i) {
    uvarint();  // tag
    take(uvarint());
  }
  field_ = saved;
}

std::vector<int32_t> read_int32_array(Reader& r, bool flexible) {
  return read_array<int32_t>(r, flexible, 4, [](Reader& in) { return in.int32(); });
}

void read_broker_ids(Reader& r, bool flexible, BrokerIds& out) {
  const int32_t n = r.array_length(flexible, 4);
  out.resize(static_cast<size_t>(std::max(n, 0)), boost::container::default_init);
  for (auto& id : out) id = r.int32();
}

void write_int32_array(Writer& w, const std::vector<int32_t>& values, bool flexible) {
  w.array_length(values.size(), flexible);
  for (int32_t v : values) w.int32(v);
}

void write_string_array(Writer& w, const std::vector<std::string>& values, bool flexible) {
  w.array_length(values.size(), flexible);
  for (const auto& v : values) w.string(v, flexible);
}

std::vector<std::string> read_string_array(Reader& r, bool flexible) {
  return read_array<std::string>(r, flexible, 1, [flexible](Reader& in) { return in.string(flexible); });
}

}  // namespace kse::kafka
