#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "kafka/wire/codec.h"

// The classic consumer protocol's assignment: the MemberAssignment bytes of a
// DescribeGroups member whose group's protocol type is "consumer". Never flexible.
// Hand-written: it is a payload inside a message, not a request or response.
namespace kse::kafka {

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
  out.assigned_partitions = read_array<ConsumerAssignment::TopicPartitions>(
      r.field("AssignedPartitions"), false, 6, [](Reader& in) {
        ConsumerAssignment::TopicPartitions t;
        t.topic = in.field("AssignedPartitions.Topic").string(false);
        t.partitions = read_int32_array(in.field("AssignedPartitions.Partitions"), false);
        return t;
      });
  return out;  // UserData follows; not needed
}

}  // namespace kse::kafka
