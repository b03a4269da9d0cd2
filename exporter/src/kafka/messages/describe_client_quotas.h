#pragma once

#include <optional>
#include <string>
#include <vector>

#include "kafka/message.h"

namespace kse::kafka {

struct DescribeClientQuotasResponse {
  struct EntityPart {
    std::string entity_type;                 // user, client-id, ip
    std::optional<std::string> entity_name;  // null = the default entity
  };
  struct Value {
    std::string key;
    double value = 0;
  };
  struct Entry {
    std::vector<EntityPart> entity;
    std::vector<Value> values;
  };
  int32_t throttle_time_ms = 0;
  int16_t error_code = 0;
  std::optional<std::string> error_message;
  std::optional<std::vector<Entry>> entries;

  static DescribeClientQuotasResponse decode(Reader& r, int16_t) {
    DescribeClientQuotasResponse out;
    out.throttle_time_ms = r.field("ThrottleTimeMs").int32();
    out.error_code = r.field("ErrorCode").int16();
    out.error_message = r.field("ErrorMessage").nullable_string(true);
    const int32_t n = r.field("Entries").array_length(true, 3);
    if (n >= 0) {
      out.entries.emplace();
      for (int32_t i = 0; i < n; ++i) {
        Entry e;
        e.entity = read_array<EntityPart>(r.field("Entries.Entity"), true, 3, [](Reader& in) {
          EntityPart part;
          part.entity_type = in.field("Entries.Entity.EntityType").string(true);
          part.entity_name = in.field("Entries.Entity.EntityName").nullable_string(true);
          in.skip_tags();
          return part;
        });
        e.values = read_array<Value>(r.field("Entries.Values"), true, 10, [](Reader& in) {
          Value v;
          v.key = in.field("Entries.Values.Key").string(true);
          v.value = in.field("Entries.Values.Value").float64();
          in.skip_tags();
          return v;
        });
        r.skip_tags();
        out.entries->push_back(std::move(e));
      }
    }
    r.skip_tags();
    return out;
  }
};

struct DescribeClientQuotasRequest {
  static constexpr int16_t kApiKey = 48;
  static constexpr int16_t kMinVersion = 1;
  static constexpr int16_t kMaxVersion = 1;
  static constexpr int16_t kFirstFlexibleVersion = 1;
  static constexpr const char* kName = "DescribeClientQuotas";
  using Response = DescribeClientQuotasResponse;

  struct Component {
    std::string entity_type;
    int8_t match_type = 2;  // 0 exact, 1 default, 2 any
    std::optional<std::string> match;
  };
  std::vector<Component> components;  // empty and not strict = every quota
  bool strict = false;

  void encode(Writer& w, int16_t) const {
    w.array_length(components.size(), true);
    for (const auto& c : components) {
      w.string(c.entity_type, true);
      w.int8(c.match_type);
      w.nullable_string(c.match, true);
      w.tags();
    }
    w.boolean(strict);
    w.tags();
  }
};

}  // namespace kse::kafka
