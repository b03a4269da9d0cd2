#pragma once

#include <optional>
#include <string>
#include <vector>

#include "kafka/message.h"

namespace kse::kafka {

struct DescribeGroupsResponse {
  struct Member {
    std::string member_id;
    std::optional<std::string> group_instance_id;
    std::string client_id;
    std::string client_host;
    std::vector<uint8_t> member_metadata;
    std::vector<uint8_t> member_assignment;
  };
  struct Group {
    int16_t error_code = 0;
    std::string group_id;
    std::string group_state;
    std::string protocol_type;
    std::string protocol_data;
    std::vector<Member> members;
    int32_t authorized_operations = INT32_MIN;
  };
  int32_t throttle_time_ms = 0;
  std::vector<Group> groups;

  static DescribeGroupsResponse decode(Reader& r, int16_t) {
    DescribeGroupsResponse out;
    out.throttle_time_ms = r.field("ThrottleTimeMs").int32();
    out.groups = read_array<Group>(r.field("Groups"), true, 12, [](Reader& in) {
      Group g;
      g.error_code = in.field("Groups.ErrorCode").int16();
      g.group_id = in.field("Groups.GroupId").string(true);
      g.group_state = in.field("Groups.GroupState").string(true);
      g.protocol_type = in.field("Groups.ProtocolType").string(true);
      g.protocol_data = in.field("Groups.ProtocolData").string(true);
      g.members = read_array<Member>(in.field("Groups.Members"), true, 7, [](Reader& m) {
        Member member;
        member.member_id = m.field("Groups.Members.MemberId").string(true);
        member.group_instance_id = m.field("Groups.Members.GroupInstanceId").nullable_string(true);
        member.client_id = m.field("Groups.Members.ClientId").string(true);
        member.client_host = m.field("Groups.Members.ClientHost").string(true);
        member.member_metadata = m.field("Groups.Members.MemberMetadata").raw_bytes(true);
        member.member_assignment = m.field("Groups.Members.MemberAssignment").raw_bytes(true);
        m.skip_tags();
        return member;
      });
      g.authorized_operations = in.field("Groups.AuthorizedOperations").int32();
      in.skip_tags();
      return g;
    });
    r.skip_tags();
    return out;
  }
};

struct DescribeGroupsRequest {
  static constexpr int16_t kApiKey = 15;
  static constexpr int16_t kMinVersion = 5;
  static constexpr int16_t kMaxVersion = 5;
  static constexpr int16_t kFirstFlexibleVersion = 5;
  static constexpr const char* kName = "DescribeGroups";
  using Response = DescribeGroupsResponse;

  std::vector<std::string> groups;
  bool include_authorized_operations = false;

  void encode(Writer& w, int16_t) const {
    write_string_array(w, groups, true);
    w.boolean(include_authorized_operations);
    w.tags();
  }
};

// The classic consumer protocol's assignment (MemberAssignment bytes), never flexible.
struct ConsumerAssignment {
  struct TopicPartitions {
    std::string topic;
    std::vector<int32_t> partitions;
  };
  int16_t version = 0;
  std::vector<TopicPartitions> assigned_partitions;
};

inline ConsumerAssignment decode_consumer_assignment(const std::vector<uint8_t>& bytes) {
  Reader r(bytes, "ConsumerProtocolAssignment");
  ConsumerAssignment out;
  out.version = r.field("Version").int16();
  out.assigned_partitions =
      read_array<ConsumerAssignment::TopicPartitions>(r.field("AssignedPartitions"), false, 6, [](Reader& in) {
        ConsumerAssignment::TopicPartitions t;
        t.topic = in.field("AssignedPartitions.Topic").string(false);
        t.partitions = read_int32_array(in.field("AssignedPartitions.Partitions"), false);
        return t;
      });
  return out;  // UserData follows; not needed
}

}  // namespace kse::kafka
