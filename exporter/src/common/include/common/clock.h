#pragma once

#include <chrono>

// Unix time in seconds, as Prometheus samples and Kafka timestamps count it.
namespace kse::common {

inline double unix_seconds(std::chrono::system_clock::time_point time) {
  return std::chrono::duration<double>(time.time_since_epoch()).count();
}

inline double unix_now() { return unix_seconds(std::chrono::system_clock::now()); }

}  // namespace kse::common
