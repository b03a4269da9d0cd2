#pragma once

#include <string>
#include <vector>

#include "kafka/message.h"

namespace kse::kafka {

struct ListGroupsResponse {
  struct Group {
    std::string group_id;
    std::string protocol_type;
    std::string group_state;
    std::string group_type;
  };
  int32_t throttle_time_ms = 0;
  int16_t error_code = 0;
  std::vector<Group> groups;

  static ListGroupsResponse decode(Reader& r, int16_t version) {
    ListGroupsResponse out;
    out.throttle_time_ms = r.field("ThrottleTimeMs").int32();
    out.error_code = r.field("ErrorCode").int16();
    out.groups = read_array<Group>(r.field("Groups"), true, 3, [&](Reader& in) {
      Group g;
      g.group_id = in.field("Groups.GroupId").string(true);
      g.protocol_type = in.field("Groups.ProtocolType").string(true);
      if (version >= 4) g.group_state = in.field("Groups.GroupState").string(true);
      if (version >= 5) g.group_type = in.field("Groups.GroupType").string(true);
      in.skip_tags();
      return g;
    });
    r.skip_tags();
    return out;
  }
};

struct ListGroupsRequest {
  static constexpr int16_t kApiKey = 16;
  static constexpr int16_t kMinVersion = 3;
  static constexpr int16_t kMaxVersion = 5;
  static constexpr int16_t kFirstFlexibleVersion = 3;
  static constexpr const char* kName = "ListGroups";
  using Response = ListGroupsResponse;

  std::vector<std::string> states_filter;
  std::vector<std::string> types_filter;

  void encode(Writer& w, int16_t version) const {
    if (version >= 4) write_string_array(w, states_filter, true);
    if (version >= 5) write_string_array(w, types_filter, true);
    w.tags();
  }
};

}  // namespace kse::kafka
