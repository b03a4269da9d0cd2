#pragma once

#include <cstdint>

#include "kafka/wire/codec.h"

// Conventions every message pair follows (generated/*.h, from tools/kafka-codegen):
//   struct XRequest {
//     static constexpr int16_t kApiKey, kMinVersion, kMaxVersion, kFirstFlexibleVersion;
//     static constexpr const char* kName;
//     using Response = XResponse;
//     void encode(Writer&, int16_t version) const;
//   };
//   struct XResponse { static XResponse decode(Reader&, int16_t version); };
// kMinVersion..kMaxVersion is the range this client implements; the version used
// on a connection is the highest one the broker also supports.
namespace kse::kafka {

template <typename Request>
constexpr bool is_flexible(int16_t version) {
  return version >= Request::kFirstFlexibleVersion;
}

}  // namespace kse::kafka
