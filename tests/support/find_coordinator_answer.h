#pragma once

// FindCoordinator answered in the layout of the version asked, for the fake brokers of tests
// and the synthetic cluster of benchmarks.
#include <cstdint>

#include "kafka/generated/find_coordinator.h"
#include "kafka/protocol.h"

namespace kse::test {

// One coordinator per key from the batched versions on (KIP-699), the one key's fields at the
// top of the response before them. `place(key, out)` fills node_id, host, port, error_code
// (and error_message) of `out`: a batched entry, or the response itself.
template <typename Place>
kafka::FindCoordinatorResponse answer_find_coordinator(const kafka::FindCoordinatorRequest& request,
                                                       int16_t version, Place&& place) {
  kafka::FindCoordinatorResponse response;
  if (version >= kafka::kFirstBatchedFindCoordinatorVersion) {
    for (const auto& key : request.coordinator_keys) {
      auto& coordinator = response.coordinators.emplace_back();
      coordinator.key = key;
      place(key, coordinator);
    }
  } else {
    place(request.key, response);
  }
  return response;
}

}  // namespace kse::test
