#pragma once

#include <optional>
#include <string>
#include <vector>

#include "kafka/message.h"

namespace kse::kafka {

struct SaslHandshakeResponse {
  int16_t error_code = 0;
  std::vector<std::string> mechanisms;

  static SaslHandshakeResponse decode(Reader& r, int16_t) {
    SaslHandshakeResponse out;
    out.error_code = r.field("ErrorCode").int16();
    out.mechanisms = read_string_array(r.field("Mechanisms"), false);
    return out;
  }
};

struct SaslHandshakeRequest {
  static constexpr int16_t kApiKey = 17;
  static constexpr int16_t kMinVersion = 1;
  static constexpr int16_t kMaxVersion = 1;
  static constexpr int16_t kFirstFlexibleVersion = 99;  // never flexible
  static constexpr const char* kName = "SaslHandshake";
  using Response = SaslHandshakeResponse;

  std::string mechanism;

  void encode(Writer& w, int16_t) const { w.string(mechanism, false); }
};

struct SaslAuthenticateResponse {
  int16_t error_code = 0;
  std::optional<std::string> error_message;
  std::vector<uint8_t> auth_bytes;
  int64_t session_lifetime_ms = 0;

  static SaslAuthenticateResponse decode(Reader& r, int16_t version) {
    const bool flexible = version >= 2;
    SaslAuthenticateResponse out;
    out.error_code = r.field("ErrorCode").int16();
    out.error_message = r.field("ErrorMessage").nullable_string(flexible);
    out.auth_bytes = r.field("AuthBytes").raw_bytes(flexible);
    if (version >= 1) out.session_lifetime_ms = r.field("SessionLifetimeMs").int64();
    if (flexible) r.skip_tags();
    return out;
  }
};

struct SaslAuthenticateRequest {
  static constexpr int16_t kApiKey = 36;
  static constexpr int16_t kMinVersion = 0;
  static constexpr int16_t kMaxVersion = 2;
  static constexpr int16_t kFirstFlexibleVersion = 2;
  static constexpr const char* kName = "SaslAuthenticate";
  using Response = SaslAuthenticateResponse;

  std::vector<uint8_t> auth_bytes;

  void encode(Writer& w, int16_t version) const {
    const bool flexible = version >= 2;
    w.raw_bytes(auth_bytes, flexible);
    if (flexible) w.tags();
  }
};

}  // namespace kse::kafka
