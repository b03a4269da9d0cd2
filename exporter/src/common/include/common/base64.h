#pragma once

#include <optional>
#include <string>
#include <string_view>

// Base64 (RFC 4648, with padding) for HTTP basic auth and SASL/SCRAM.
namespace kse::common {

std::string base64_encode(std::string_view bytes);
// Nothing when `text` is not padded base64.
std::optional<std::string> base64_decode(std::string_view text);

}  // namespace kse::common
