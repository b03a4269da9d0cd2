#pragma once

// The response decoders the fuzzer drives: the generated list of every API we speak,
// shared with the golden tests, which write every golden frame into the seed corpus
// with the two bytes that pick its decoder and version here.
#include <cstdint>
#include <span>
#include <tuple>
#include <type_traits>

#include "kafka/consumer_protocol.h"
#include "kafka/generated/all_apis.h"
#include "kafka/protocol.h"

namespace kse::fuzz {

// Every API of tools/kafka-codegen/apis.txt, in its order (a seed's first byte indexes it).
using FuzzedRequests = kafka::AllRequests;

constexpr uint8_t kDecoderCount = std::tuple_size_v<FuzzedRequests>;
// The selector after the last response decoder: the consumer assignment inside DescribeGroups.
constexpr uint8_t kConsumerAssignment = kDecoderCount;

template <typename Request, size_t I = 0>
constexpr uint8_t decoder_index() {
  static_assert(I < kDecoderCount, "not a fuzzed request");
  if constexpr (std::is_same_v<Request, std::tuple_element_t<I, FuzzedRequests>>) {
    return static_cast<uint8_t>(I);
  } else {
    return decoder_index<Request, I + 1>();
  }
}

// Decodes `frame` with decoder `selector` at the version `version_offset` picks;
// only a value or a DecodeError may come out.
template <size_t I = 0>
void decode(uint8_t selector, uint8_t version_offset, std::span<const uint8_t> frame) {
  if constexpr (I < kDecoderCount) {
    if (selector != I) return decode<I + 1>(selector, version_offset, frame);
    using Request = std::tuple_element_t<I, FuzzedRequests>;
    const int span = Request::kMaxVersion - Request::kMinVersion + 1;
    const auto version = static_cast<int16_t>(Request::kMinVersion + version_offset % span);
    try {
      kafka::decode_response<Request>(frame, version);
    } catch (const kafka::DecodeError&) {
    }
  } else {
    try {
      kafka::decode_consumer_assignment(std::vector<uint8_t>(frame.begin(), frame.end()));
    } catch (const kafka::DecodeError&) {
    }
  }
}

}  // namespace kse::fuzz
