#include "common/courier_position.h"

#include <fmt/format.h>
#include <simdjson.h>

#include <algorithm>

namespace kse::workload {

Courier::Courier(int64_t id, std::mt19937_64& random) : id_(id) {
  std::uniform_real_distribution<double> offset(0.0, 1.0);
  latitude_ = 45.0 + offset(random);
  longitude_ = 2.0 + offset(random);
}

std::string Courier::next_message(int64_t timestamp_ms, std::mt19937_64& random) {
  std::string message = encode_position(next_index_, timestamp_ms, id_, latitude_, longitude_);
  ++next_index_;
  std::uniform_real_distribution<double> step(-0.5, 0.5);
  // Clamped so that a courier running for hours stays on the map.
  latitude_ = std::clamp(latitude_ + step(random), -90.0, 90.0);
  longitude_ = std::clamp(longitude_ + step(random), -180.0, 180.0);
  return message;
}

std::string encode_position(int64_t index, int64_t timestamp_ms, int64_t courier_id, double latitude,
                            double longitude) {
  return fmt::format(
      R"({{"index":{},"timestamp":{},"courier":{{"id":{},"currentPosition":{{"latitude":{:.6f},"longitude":{:.6f}}}}}}})",
      index, timestamp_ms, courier_id, latitude, longitude);
}

std::optional<PositionIdentity> parse_position_identity(std::string_view value) {
  // One parser per thread: parsing allocates its buffers once.
  thread_local simdjson::dom::parser parser;
  simdjson::dom::element document;
  if (parser.parse(value.data(), value.size(), true).get(document) != simdjson::SUCCESS) {
    return std::nullopt;
  }
  int64_t index = 0;
  if (document["index"].get_int64().get(index) != simdjson::SUCCESS) return std::nullopt;
  simdjson::dom::element id;
  if (document["courier"]["id"].get(id) != simdjson::SUCCESS) return std::nullopt;
  PositionIdentity identity;
  identity.index = index;
  int64_t numeric_id = 0;
  std::string_view text_id;
  if (id.get_int64().get(numeric_id) == simdjson::SUCCESS) {
    identity.courier_id = std::to_string(numeric_id);
  } else if (id.get_string().get(text_id) == simdjson::SUCCESS) {
    identity.courier_id = std::string(text_id);
  } else {
    return std::nullopt;
  }
  return identity;
}

}  // namespace kse::workload
