#pragma once

#include <cstdint>
#include <optional>
#include <random>
#include <string>
#include <string_view>

// The seed's courier message: key = courier id, value =
// {"index":i,"timestamp":ms,"courier":{"id":c,"currentPosition":{"latitude":..,"longitude":..}}}.
namespace kse::workload {

class Courier {
 public:
  // Starts near latitude 45-46, longitude 2-3, as the seed's couriers do.
  Courier(int64_t id, std::mt19937_64& random);

  int64_t id() const { return id_; }
  int64_t next_index() const { return next_index_; }
  std::string key() const { return std::to_string(id_); }

  // The JSON value of the next position; moves the courier by up to 0.5 degree each way.
  std::string next_message(int64_t timestamp_ms, std::mt19937_64& random);

 private:
  int64_t id_;
  int64_t next_index_ = 0;
  double latitude_;
  double longitude_;
};

std::string encode_position(int64_t index, int64_t timestamp_ms, int64_t courier_id, double latitude,
                            double longitude);

// What duplicate detection needs from a message.
struct PositionIdentity {
  std::string courier_id;
  int64_t index = 0;
};

// Reads courier.id (number or string) and index from a message value; nullopt when
// the value is not a courier position.
std::optional<PositionIdentity> parse_position_identity(std::string_view value);

}  // namespace kse::workload
