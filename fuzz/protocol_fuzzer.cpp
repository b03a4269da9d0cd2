// Feeds arbitrary bytes to every response decoder at every version we implement.
// The first byte picks the decoder and version; the rest is the frame. A decoder
// may only return a value or throw DecodeError.
#include <cstddef>
#include <cstdint>
#include <span>

#include "kafka/messages/api_versions.h"
#include "kafka/messages/describe_client_quotas.h"
#include "kafka/messages/describe_cluster.h"
#include "kafka/messages/describe_configs.h"
#include "kafka/messages/describe_groups.h"
#include "kafka/messages/describe_log_dirs.h"
#include "kafka/messages/describe_producers.h"
#include "kafka/messages/describe_quorum.h"
#include "kafka/messages/describe_transactions.h"
#include "kafka/messages/find_coordinator.h"
#include "kafka/messages/list_groups.h"
#include "kafka/messages/list_offsets.h"
#include "kafka/messages/elect_leaders.h"
#include "kafka/messages/list_partition_reassignments.h"
#include "kafka/messages/list_transactions.h"
#include "kafka/messages/metadata.h"
#include "kafka/messages/offset_fetch.h"
#include "kafka/messages/sasl.h"
#include "kafka/protocol.h"

namespace {

using namespace kse::kafka;

template <typename Request>
void decode_all_versions(std::span<const uint8_t> frame, uint8_t selector) {
  const int16_t span = Request::kMaxVersion - Request::kMinVersion + 1;
  const int16_t version = static_cast<int16_t>(Request::kMinVersion + selector % span);
  try {
    decode_response<Request>(frame, version);
  } catch (const DecodeError&) {
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 2) return 0;
  const uint8_t selector = data[0];
  std::span<const uint8_t> frame(data + 1, size - 1);
  switch (selector % 16) {
    case 0: decode_all_versions<ApiVersionsRequest>(frame, selector / 16); break;
    case 1: decode_all_versions<MetadataRequest>(frame, selector / 16); break;
    case 2: decode_all_versions<ListOffsetsRequest>(frame, selector / 16); break;
    case 3: decode_all_versions<FindCoordinatorRequest>(frame, selector / 16); break;
    case 4: decode_all_versions<ListGroupsRequest>(frame, selector / 16); break;
    case 5: decode_all_versions<DescribeGroupsRequest>(frame, selector / 16); break;
    case 6: decode_all_versions<OffsetFetchRequest>(frame, selector / 16); break;
    case 7: decode_all_versions<DescribeConfigsRequest>(frame, selector / 16); break;
    case 8: decode_all_versions<DescribeLogDirsRequest>(frame, selector / 16); break;
    case 9: decode_all_versions<DescribeQuorumRequest>(frame, selector / 16); break;
    case 10: decode_all_versions<ListPartitionReassignmentsRequest>(frame, selector / 16); break;
    case 11: decode_all_versions<ListTransactionsRequest>(frame, selector / 16); break;
    case 12: decode_all_versions<DescribeTransactionsRequest>(frame, selector / 16); break;
    case 13: decode_all_versions<DescribeClientQuotasRequest>(frame, selector / 16); break;
    case 14: decode_all_versions<SaslHandshakeRequest>(frame, selector / 16); break;
    case 15:
      decode_all_versions<SaslAuthenticateRequest>(frame, selector / 16);
      decode_all_versions<DescribeClusterRequest>(frame, selector / 16);
      decode_all_versions<DescribeProducersRequest>(frame, selector / 16);
      decode_all_versions<ElectLeadersRequest>(frame, selector / 16);
      try {
        decode_consumer_assignment(std::vector<uint8_t>(frame.begin(), frame.end()));
      } catch (const DecodeError&) {
      }
      break;
  }
  return 0;
}
