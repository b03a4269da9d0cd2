#pragma once

#include <optional>
#include <string>
#include <vector>

#include "kafka/message.h"

namespace kse::kafka {

struct FindCoordinatorResponse {
  struct Coordinator {
    std::string key;
    int32_t node_id = -1;
    std::string host;
    int32_t port = 0;
    int16_t error_code = 0;
    std::optional<std::string> error_message;
  };
  int32_t throttle_time_ms = 0;
  std::vector<Coordinator> coordinators;

  static FindCoordinatorResponse decode(Reader& r, int16_t) {
    FindCoordinatorResponse out;
    out.throttle_time_ms = r.field("ThrottleTimeMs").int32();
    out.coordinators = read_array<Coordinator>(r.field("Coordinators"), true, 14, [](Reader& in) {
      Coordinator c;
      c.key = in.field("Coordinators.Key").string(true);
      c.node_id = in.field("Coordinators.NodeId").int32();
      c.host = in.field("Coordinators.Host").string(true);
      c.port = in.field("Coordinators.Port").int32();
      c.error_code = in.field("Coordinators.ErrorCode").int16();
      c.error_message = in.field("Coordinators.ErrorMessage").nullable_string(true);
      in.skip_tags();
      return c;
    });
    r.skip_tags();
    return out;
  }
};

// Batched lookup (KIP-699, v4+): one request for every group or transactional id.
struct FindCoordinatorRequest {
  static constexpr int16_t kApiKey = 10;
  static constexpr int16_t kMinVersion = 4;
  static constexpr int16_t kMaxVersion = 5;
  static constexpr int16_t kFirstFlexibleVersion = 3;
  static constexpr const char* kName = "FindCoordinator";
  using Response = FindCoordinatorResponse;
  static constexpr int8_t kGroup = 0;
  static constexpr int8_t kTransaction = 1;

  int8_t key_type = kGroup;
  std::vector<std::string> coordinator_keys;

  void encode(Writer& w, int16_t) const {
    w.int8(key_type);
    write_string_array(w, coordinator_keys, true);
    w.tags();
  }
};

}  // namespace kse::kafka
