#pragma once

#include <string>
#include <vector>

#include "kafka/message.h"

namespace kse::kafka {

struct ApiVersionsResponse {
  struct ApiKey {
    int16_t api_key = 0;
    int16_t min_version = 0;
    int16_t max_version = 0;
  };
  int16_t error_code = 0;
  std::vector<ApiKey> api_keys;
  int32_t throttle_time_ms = 0;

  static ApiVersionsResponse decode(Reader& r, int16_t version) {
    ApiVersionsResponse out;
    out.error_code = r.field("ErrorCode").int16();
    // KIP-511: a broker that does not know our version answers in the v0 layout.
    if (out.error_code == 35) version = 0;
    const bool flexible = version >= 3;
    out.api_keys = read_array<ApiKey>(r.field("ApiKeys"), flexible, 6, [&](Reader& in) {
      ApiKey key;
      key.api_key = in.field("ApiKeys.ApiKey").int16();
      key.min_version = in.field("ApiKeys.MinVersion").int16();
      key.max_version = in.field("ApiKeys.MaxVersion").int16();
      if (flexible) in.skip_tags();
      return key;
    });
    if (version >= 1) out.throttle_time_ms = r.field("ThrottleTimeMs").int32();
    if (flexible) r.skip_tags();
    return out;
  }
};

struct ApiVersionsRequest {
  static constexpr int16_t kApiKey = 18;
  static constexpr int16_t kMinVersion = 0;
  static constexpr int16_t kMaxVersion = 3;
  static constexpr int16_t kFirstFlexibleVersion = 3;
  static constexpr const char* kName = "ApiVersions";
  using Response = ApiVersionsResponse;

  std::string client_software_name = "kafka-sidecar-exporter";
  std::string client_software_version = "0.1.0";

  void encode(Writer& w, int16_t version) const {
    if (version >= 3) {
      w.string(client_software_name, true);
      w.string(client_software_version, true);
      w.tags();
    }
  }
};

}  // namespace kse::kafka
