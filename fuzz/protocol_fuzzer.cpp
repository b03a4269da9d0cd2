// Feeds arbitrary bytes to every response decoder at every version we implement.
// The first byte picks the decoder, the second the version; the rest is the frame.
// A decoder may only return a value or throw DecodeError.
#include <cstddef>
#include <cstdint>
#include <span>

#include "decoders.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 3) return 0;
  const auto selector = static_cast<uint8_t>(data[0] % (kse::fuzz::kDecoderCount + 1));
  kse::fuzz::decode(selector, data[1], std::span<const uint8_t>(data + 2, size - 2));
  return 0;
}
