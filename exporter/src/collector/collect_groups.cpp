// Consumer groups: who coordinates them, their state, members and committed offsets, and
// the timestamps of the records at those offsets.
#include <algorithm>
#include <limits>
#include <set>

#include "collector/collector.h"
#include "kafka/consumer_protocol.h"
#include "kafka/generated/consumer_group_describe.h"
#include "kafka/generated/describe_groups.h"
#include "kafka/generated/describe_share_group_offsets.h"
#include "kafka/generated/fetch.h"
#include "kafka/generated/find_coordinator.h"
#include "kafka/generated/list_groups.h"
#include "kafka/generated/offset_fetch.h"
#include "kafka/generated/share_group_describe.h"
#include "kafka/protocol.h"
#include "kafka/wire/record_batch.h"

#include "cycle.h"
#include "kafka_calls.h"

namespace kse::collector {

using boost::asio::awaitable;
using model::CollectorId;

namespace {

// A member as every describe API names it; the assignment is each one's own.
template <typename Member>
model::GroupMember member_of(const Member& member) {
  model::GroupMember m;
  m.member_id = member.member_id;
  m.client_id = member.client_id;
  m.client_host = member.client_host;
  return m;
}

// A member whose assignment the broker made (consumer groups of KIP-848, share groups):
// it comes as topic partitions.
template <typename Member>
model::GroupMember assigned_member(const Member& member) {
  model::GroupMember m = member_of(member);
  for (const auto& topic : member.assignment.topic_partitions) {
    for (int32_t partition : topic.partitions) m.assignment.push_back({topic.topic_name, partition});
  }
  return m;
}

}  // namespace

template <typename Answer>
void Collector::coordinator_failed(Cycle& cycle, int32_t coordinator, const Answer& answer) {
  mark_failed(cycle, CollectorId::kGroups, "coordinator " + std::to_string(coordinator) + ": " + answer.error,
              answer.reason);
}

template <typename Group, typename Entry, typename Use>
void Collector::one_group(Cycle& cycle, const char* kind, const std::string& id, Group* group,
                          int16_t error_code, const Entry& entry, Use use) {
  mark_error_code(cycle, CollectorId::kGroups, error_code, [&] { return kind + (" " + id); });
  if (group != nullptr && error_code == 0) use(*group, entry);
}

template <typename Answer, typename Find, typename Use>
void Collector::each_group(Cycle& cycle, int32_t coordinator, const char* kind, Answer& answer, Find find,
                           Use use) {
  if (!answer) {
    coordinator_failed(cycle, coordinator, answer);
    return;
  }
  for (const auto& entry : answer->groups) {
    one_group(cycle, kind, entry.group_id, find(entry.group_id), entry.error_code, entry, use);
  }
}

awaitable<void> Collector::collect_groups(Cycle& cycle) {
  // Each broker lists the groups it coordinates; the union is every group.
  std::map<std::string, model::GroupState> found;
  auto list_on = [&, this](int32_t broker) -> awaitable<void> {
    auto answer = co_await ask(cycle, broker, kafka::ListGroupsRequest{});
    if (!answered(cycle, CollectorId::kGroups, broker, answer)) co_return;
    for (const auto& group : answer->groups) {
      if (!groups_.accepts(group.group_id)) continue;
      model::GroupState& state = found[group.group_id];
      state.group_id = group.group_id;
      state.protocol_type = group.protocol_type;
      state.state = group.group_state;
      state.group_type = group.group_type;
      state.coordinator = broker;
    }
  };
  std::vector<awaitable<void>> lists;
  for (int32_t broker : cycle.live_brokers) lists.push_back(list_on(broker));
  co_await when_all(std::move(lists));
  if (found.empty()) co_return;

  // FindCoordinator confirms the coordinator of every group (one request, or one per group
  // where the broker takes one key at a time).
  std::vector<std::string> keys;
  for (const auto& [id, group] : found) keys.push_back(id);
  auto coordinators = to_answer(co_await client_.find_coordinators(
      kafka::kGroupCoordinator, std::move(keys),
      std::max(cycle.budget(options_.request_timeout), std::chrono::milliseconds(1))));
  count(cycle, kAnyBroker, "FindCoordinator", coordinators.outcome);
  if (coordinators) {
    for (const auto& [key, node] : *coordinators) {
      auto it = found.find(key);
      if (it != found.end()) it->second.coordinator = node;
    }
  }
  // Share groups (KIP-932) have neither committed offsets nor a consumer group's members:
  // they have families of their own, described with their own APIs.
  std::map<int32_t, std::vector<std::string>> by_coordinator, shares_by_coordinator;
  for (auto& [id, group] : found) {
    if (group.group_type == "share") {
      model::ShareGroupState share;
      share.group_id = id;
      share.state = group.state;
      share.coordinator = group.coordinator;
      shares_by_coordinator[group.coordinator].push_back(id);
      cycle.snapshot.share_groups.push_back(std::move(share));
      continue;
    }
    by_coordinator[group.coordinator].push_back(id);
    cycle.snapshot.groups.push_back(std::move(group));
  }
  std::sort(cycle.snapshot.groups.begin(), cycle.snapshot.groups.end(),
            [](const auto& a, const auto& b) { return a.group_id < b.group_id; });
  std::vector<awaitable<void>> details;
  for (auto& [coordinator, ids] : by_coordinator) {
    details.push_back(collect_group_details(cycle, coordinator, std::move(ids)));
  }
  for (auto& [coordinator, ids] : shares_by_coordinator) {
    details.push_back(collect_share_group_details(cycle, coordinator, std::move(ids)));
  }
  co_await when_all(std::move(details));
}

// ShareGroupDescribe (state, members, assignments) and DescribeShareGroupOffsets (each
// share-partition's start offset and the lag the broker counts from it), both to the
// group's coordinator, together. An error code fails the groups collector, naming the group.
awaitable<void> Collector::collect_share_group_details(Cycle& cycle, int32_t coordinator,
                                                       std::vector<std::string> ids) {
  auto share_of = [&](const std::string& id) -> model::ShareGroupState* {
    for (auto& group : cycle.snapshot.share_groups) {
      if (group.group_id == id) return &group;
    }
    return nullptr;
  };
  auto describe = [&, this]() -> awaitable<void> {
    kafka::ShareGroupDescribeRequest request;
    request.group_ids = ids;
    auto answer = co_await ask(cycle, coordinator, std::move(request));
    each_group(cycle, coordinator, "share group", answer, share_of,
               [&](model::ShareGroupState& group, const auto& described) {
                 group.described = true;
                 group.state = described.group_state;
                 for (const auto& member : described.members)
                   group.members.push_back(assigned_member(member));
               });
  };
  auto offsets = [&, this]() -> awaitable<void> {
    kafka::DescribeShareGroupOffsetsRequest request;
    for (const auto& id : ids) {
      kafka::DescribeShareGroupOffsetsRequest::Group group;
      group.group_id = id;
      group.topics = std::nullopt;  // every share-partition the group has
      request.groups.push_back(std::move(group));
    }
    auto answer = co_await ask(cycle, coordinator, std::move(request));
    each_group(cycle, coordinator, "share group", answer, share_of,
               [&, this](model::ShareGroupState& group, const auto& fetched) {
                 group.offsets_known = true;
                 for (const auto& topic : fetched.topics) {
                   if (!topics_.accepts(topic.topic_name)) continue;
                   for (const auto& p : topic.partitions) {
                     mark_error_code(cycle, CollectorId::kGroups, p.error_code, [&] {
                       return "share group " + group.group_id + ", " + topic.topic_name + "-" +
                              std::to_string(p.partition_index);
                     });
                     if (p.error_code != 0 || p.start_offset < 0) continue;
                     auto& partition = group.partitions[{topic.topic_name, p.partition_index}];
                     partition.start_offset = p.start_offset;
                     if (p.lag >= 0) partition.lag = p.lag;
                   }
                 }
               });
  };
  std::vector<awaitable<void>> tasks;
  tasks.push_back(describe());
  tasks.push_back(offsets());
  co_await when_all(std::move(tasks));
}

awaitable<void> Collector::collect_group_details(Cycle& cycle, int32_t coordinator,
                                                 std::vector<std::string> ids) {
  auto group_of = [&](const std::string& id) -> model::GroupState* {
    auto& groups = cycle.snapshot.groups;
    auto it =
        std::lower_bound(groups.begin(), groups.end(), id,
                         [](const model::GroupState& g, const std::string& key) { return g.group_id < key; });
    return it != groups.end() && it->group_id == id ? &*it : nullptr;
  };

  // Groups of the new consumer protocol (KIP-848) are described by ConsumerGroupDescribe;
  // DescribeGroups knows only classic groups (it calls the others Dead, with no members).
  std::vector<std::string> classic, consumer;
  for (const auto& id : ids) {
    const model::GroupState* group = group_of(id);
    (group != nullptr && group->group_type == "consumer" ? consumer : classic).push_back(id);
  }

  auto describe = [&, this]() -> awaitable<void> {
    kafka::DescribeGroupsRequest request;
    request.groups = classic;
    auto answer = co_await ask(cycle, coordinator, std::move(request));
    each_group(cycle, coordinator, "group", answer, group_of,
               [&](model::GroupState& group, const auto& described) {
                 group.described = true;
                 group.state = described.group_state;
                 for (const auto& member : described.members) {
                   model::GroupMember m = member_of(member);
                   if (described.protocol_type == "consumer" && !member.member_assignment.empty()) {
                     try {
                       auto assignment = kafka::decode_consumer_assignment(member.member_assignment);
                       for (const auto& topic : assignment.assigned_partitions) {
                         for (int32_t partition : topic.partitions)
                           m.assignment.push_back({topic.topic, partition});
                       }
                     } catch (const std::exception&) {
                       // A foreign assignor's bytes: the member still counts, without partitions.
                     }
                   }
                   group.members.push_back(std::move(m));
                 }
               });
  };

  auto describe_consumer_groups = [&, this]() -> awaitable<void> {
    kafka::ConsumerGroupDescribeRequest request;
    request.group_ids = consumer;
    auto answer = co_await ask(cycle, coordinator, std::move(request));
    each_group(cycle, coordinator, "group", answer, group_of,
               [&](model::GroupState& group, const auto& described) {
                 group.described = true;
                 group.state = described.group_state;
                 group.protocol_type = "consumer";
                 for (const auto& member : described.members)
                   group.members.push_back(assigned_member(member));
               });
  };

  // The committed offsets of a group, from its part of either OffsetFetch answer (both name
  // their topics and partitions alike).
  auto use_offsets = [&, this](model::GroupState& group, const auto& fetched) {
    group.offsets_known = true;
    for (const auto& topic : fetched.topics) {
      if (!topics_.accepts(topic.name)) continue;
      for (const auto& p : topic.partitions) {
        mark_error_code(cycle, CollectorId::kGroups, p.error_code, [&] {
          return "group " + group.group_id + ", " + topic.name + "-" + std::to_string(p.partition_index);
        });
        if (p.error_code == 0 && p.committed_offset >= 0) {
          group.committed[{topic.name, p.partition_index}] = p.committed_offset;
        }
      }
    }
  };

  auto fetch_batched = [&, this]() -> awaitable<void> {
    kafka::OffsetFetchRequest request;
    for (const auto& id : ids) {
      kafka::OffsetFetchRequest::Group group;
      group.group_id = id;
      group.topics = std::nullopt;  // every partition the group committed
      request.groups.push_back(std::move(group));
    }
    request.require_stable = false;
    auto answer = co_await ask(cycle, coordinator, std::move(request));
    each_group(cycle, coordinator, "group", answer, group_of, use_offsets);
  };

  // Before Kafka 3.0 an OffsetFetch names one group, at the top level of request and answer.
  auto fetch_one = [&, this](std::string id) -> awaitable<void> {
    kafka::OffsetFetchRequest request;
    request.group_id = id;
    request.topics = std::nullopt;  // every partition the group committed
    request.require_stable = false;
    auto answer = co_await ask(cycle, coordinator, std::move(request));
    if (!answer) {
      coordinator_failed(cycle, coordinator, answer);
      co_return;
    }
    one_group(cycle, "group", id, group_of(id), answer->error_code, *answer, use_offsets);
  };

  // One request for every group where the coordinator takes many, else one per group, all in flight.
  auto fetch_offsets = [&]() -> awaitable<void> {
    auto version = co_await version_at<kafka::OffsetFetchRequest>(cycle, coordinator);
    if (!version) {
      coordinator_failed(cycle, coordinator, version);
    } else if (*version >= kafka::kFirstBatchedOffsetFetchVersion) {
      co_await fetch_batched();
    } else {
      std::vector<awaitable<void>> fetches;
      for (const auto& id : ids) fetches.push_back(fetch_one(id));
      co_await when_all(std::move(fetches));
    }
  };

  std::vector<awaitable<void>> tasks;
  if (!classic.empty()) tasks.push_back(describe());
  if (!consumer.empty()) tasks.push_back(describe_consumer_groups());
  tasks.push_back(fetch_offsets());
  co_await when_all(std::move(tasks));
}

}  // namespace kse::collector

namespace kse::collector {

namespace {
// Per leader and cycle at most options_.record_reads_per_broker partitions are read, each
// this many first bytes at the offset; what is left over is read in the next cycles (the
// cache keeps what was read).
constexpr int32_t kRecordBytesPerPartition = 4096;
// A first batch larger than a partition's share comes back empty: the next read of that
// partition asks for twice as much, up to Kafka's default max.message.bytes and a bit.
constexpr int32_t kRecordBytesPerPartitionMax = 2 << 20;
constexpr int32_t kRecordBytesPerFetch = 4 << 20;
}  // namespace

// The age of the oldest unconsumed record is the age of the record at the committed offset:
// its timestamp, read with a small Fetch from the partition's leader.
awaitable<void> Collector::collect_record_times(Cycle& cycle) {
  std::set<std::pair<model::TopicPartition, int64_t>> in_use;
  std::map<int32_t, std::vector<RecordRead>> wanted;
  for (const auto& group : cycle.snapshot.groups) {
    for (const auto& [tp, committed] : group.committed) {
      const model::PartitionState* partition = cycle.partition(tp.topic, tp.partition);
      if (partition == nullptr || !partition->latest_offset || committed >= *partition->latest_offset)
        continue;
      const auto key = std::make_pair(tp, committed);
      if (!in_use.insert(key).second) continue;
      if (record_times_.count(key) || partition->leader < 0) continue;
      // Only transaction markers up to an unchanged log end: nothing to read again.
      if (auto markers = markers_only_until_.find(key);
          markers != markers_only_until_.end() && markers->second == *partition->latest_offset)
        continue;
      auto& list = wanted[partition->leader];
      // Below the log start (retention deleted it), the oldest unconsumed record is the first one left.
      const int64_t at = std::max(committed, partition->earliest_offset.value_or(committed));
      if (list.size() < options_.record_reads_per_broker) list.push_back({tp, committed, at});
    }
  }
  std::erase_if(record_times_, [&](const auto& entry) { return !in_use.count(entry.first); });
  std::erase_if(markers_only_until_, [&](const auto& entry) { return !in_use.count(entry.first); });
  auto partition_in_use = [&](const model::TopicPartition& tp) {
    auto it = in_use.lower_bound({tp, std::numeric_limits<int64_t>::min()});
    return it != in_use.end() && it->first == tp;
  };
  std::erase_if(record_fetch_bytes_, [&](const auto& entry) { return !partition_in_use(entry.first); });
  std::vector<awaitable<void>> fetches;
  for (auto& [leader, keys] : wanted) fetches.push_back(fetch_record_times(cycle, leader, std::move(keys)));
  co_await when_all(std::move(fetches));
  for (const auto& key : in_use) {
    auto it = record_times_.find(key);
    if (it != record_times_.end()) cycle.snapshot.record_timestamps.insert(*it);
    auto markers = markers_only_until_.find(key);
    const model::PartitionState* partition = cycle.partition(key.first.topic, key.first.partition);
    if (markers != markers_only_until_.end() && partition && markers->second == partition->latest_offset)
      cycle.snapshot.nothing_to_consume.insert(key);
  }
}

awaitable<void> Collector::fetch_record_times(Cycle& cycle, int32_t leader, std::vector<RecordRead> wanted) {
  kafka::FetchRequest request;
  request.max_bytes = kRecordBytesPerFetch;
  std::sort(wanted.begin(), wanted.end());
  for (const auto& read : wanted) {
    const auto& tp = read.partition;
    if (request.topics.empty() || request.topics.back().topic != tp.topic)
      request.topics.push_back({tp.topic, {}});
    auto& partitions = request.topics.back().partitions;
    // Two groups at two offsets of one partition: one Fetch asks each partition once.
    if (!partitions.empty() && partitions.back().partition == tp.partition) continue;
    auto& partition = partitions.emplace_back();
    partition.partition = tp.partition;
    partition.current_leader_epoch = -1;
    partition.fetch_offset = read.fetch_offset;
    auto size = record_fetch_bytes_.find(tp);
    partition.partition_max_bytes =
        size == record_fetch_bytes_.end() ? kRecordBytesPerPartition : size->second;
  }
  auto answer = co_await ask(cycle, leader, std::move(request));
  if (!answered(cycle, CollectorId::kRecordTimes, leader, answer)) co_return;
  for (const auto& topic : answer->responses) {
    for (const auto& p : topic.partitions) {
      mark_error_code(cycle, CollectorId::kRecordTimes, p.error_code,
                      [&] { return topic.topic + "-" + std::to_string(p.partition_index); });
      if (p.error_code != 0) continue;
      const model::TopicPartition tp{topic.topic, p.partition_index};
      ++record_reads_.partitions;
      record_reads_.bytes += p.records.size();
      auto first = std::lower_bound(wanted.begin(), wanted.end(), RecordRead{tp, -1, -1});
      if (first == wanted.end() || first->partition != tp) continue;
      if (auto found = kafka::timestamp_at(p.records, first->fetch_offset);
          found && found->timestamp_ms >= 0) {
        record_times_[{tp, first->committed}] = found->timestamp_ms;
      } else if (kafka::only_markers_before(p.records, first->fetch_offset, p.high_watermark)) {
        markers_only_until_[{tp, first->committed}] = p.high_watermark;
      } else if (p.records.empty() && p.high_watermark > first->fetch_offset) {
        auto& size = record_fetch_bytes_.try_emplace(tp, kRecordBytesPerPartition).first->second;
        size = std::min(size * 2, kRecordBytesPerPartitionMax);
      }
      // Other groups further on in the same partition: their records may be in the same bytes.
      for (auto read = std::next(first); read != wanted.end() && read->partition == tp; ++read) {
        if (auto found = kafka::timestamp_at(p.records, read->fetch_offset);
            found && found->timestamp_ms >= 0)
          record_times_[{tp, read->committed}] = found->timestamp_ms;
      }
    }
  }
}

}  // namespace kse::collector
