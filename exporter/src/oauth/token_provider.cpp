#include "oauth/token_provider.h"

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <simdjson.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <memory>

#include "common/base64.h"
#include "http_client/http_post.h"

namespace kse::oauth {

namespace {

// After a failed fetch the same error is given for this long without asking again.
constexpr auto kRetryAfterFailure = std::chrono::seconds(5);
// Bodies quoted in errors are cut here: an endpoint's HTML error page says little more.
constexpr size_t kQuotedBody = 200;

std::string form_encode(const std::string& text) {
  std::string out;
  for (unsigned char c : text) {
    if (std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~') {
      out += static_cast<char>(c);
    } else {
      char escaped[4];
      std::snprintf(escaped, sizeof escaped, "%%%02X", c);
      out += escaped;
    }
  }
  return out;
}

std::string utc_text(WallClock::time_point at) {
  const std::time_t seconds = WallClock::to_time_t(at);
  std::tm parts{};
  gmtime_r(&seconds, &parts);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &parts);
  return text;
}

std::string printable(std::string_view text) {
  std::string out(text.substr(0, kQuotedBody));
  for (char& c : out) {
    if (c == '\n' || c == '\r' || c == '\t') c = ' ';
  }
  return out + (text.size() > kQuotedBody ? "..." : "");
}

std::optional<std::string> base64url_decode(std::string_view text) {
  std::string padded(text);
  for (char& c : padded) {
    if (c == '-') c = '+';
    if (c == '_') c = '/';
  }
  while (padded.size() % 4 != 0) padded += '=';
  return common::base64_decode(padded);
}

std::string string_field(simdjson::dom::element object, const char* key) {
  std::string_view value;
  if (object.at_key(key).get(value)) return "";
  return std::string(value);
}

std::optional<int64_t> number_field(simdjson::dom::element object, const char* key) {
  auto field = object.at_key(key);
  if (field.error()) return std::nullopt;
  if (int64_t value = 0; !field.get(value)) return value;
  if (double value = 0; !field.get(value)) return static_cast<int64_t>(value);
  // Some endpoints send expires_in as a string.
  if (std::string_view text; !field.get(text)) {
    try {
      return std::stoll(std::string(text));
    } catch (const std::exception&) {
    }
  }
  return std::nullopt;
}

// The payload of a JWT, or nothing for an opaque token.
std::optional<std::string> jwt_payload(const std::string& token) {
  const size_t first = token.find('.');
  const size_t second = first == std::string::npos ? first : token.find('.', first + 1);
  if (second == std::string::npos) return std::nullopt;
  return base64url_decode(std::string_view(token).substr(first + 1, second - first - 1));
}

struct Claims {
  std::string issuer;
  std::string audience;
  std::string subject;
  std::string scope;
  std::optional<int64_t> expires;
};

std::optional<Claims> read_claims(const std::string& token) {
  auto payload = jwt_payload(token);
  if (!payload) return std::nullopt;
  simdjson::dom::parser parser;
  simdjson::dom::element root;
  if (parser.parse(*payload).get(root) || root.type() != simdjson::dom::element_type::OBJECT) {
    return std::nullopt;
  }
  Claims claims;
  claims.issuer = string_field(root, "iss");
  claims.subject = string_field(root, "sub");
  claims.scope = string_field(root, "scope");
  claims.expires = number_field(root, "exp");
  if (simdjson::dom::array audiences; !root.at_key("aud").get(audiences)) {
    for (auto audience : audiences) {
      std::string_view text;
      if (!audience.get(text)) claims.audience += (claims.audience.empty() ? "" : ",") + std::string(text);
    }
  } else {
    claims.audience = string_field(root, "aud");
  }
  return claims;
}

std::string base64url_encode(std::string_view bytes) {
  std::string out = common::base64_encode(std::string(bytes));
  while (!out.empty() && out.back() == '=') out.pop_back();
  for (char& c : out) {
    if (c == '+') c = '-';
    if (c == '/') c = '_';
  }
  return out;
}

std::string json_string(std::string_view text) {
  std::string out = "\"";
  for (char c : text) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (static_cast<unsigned char>(c) < 0x20) {
      char escaped[8];
      std::snprintf(escaped, sizeof escaped, "\\u%04x", static_cast<unsigned>(c));
      out += escaped;
    } else {
      out += c;
    }
  }
  return out + "\"";
}

// RS256 over `input` with the PEM RSA key in `path`.
std::string rs256(const std::string& path, const std::string& input) {
  const std::string where = "private key " + path + ": ";
  std::unique_ptr<FILE, int (*)(FILE*)> file(std::fopen(path.c_str(), "r"), &std::fclose);
  if (!file) throw TokenError(where + std::strerror(errno), true);
  std::unique_ptr<EVP_PKEY, void (*)(EVP_PKEY*)> key(
      PEM_read_PrivateKey(file.get(), nullptr, nullptr, nullptr), &EVP_PKEY_free);
  if (!key) throw TokenError(where + "no PEM private key without a pass phrase", true);
  if (EVP_PKEY_base_id(key.get()) != EVP_PKEY_RSA) {
    throw TokenError(where + "not an RSA key (the client assertion is signed RS256)", true);
  }
  std::unique_ptr<EVP_MD_CTX, void (*)(EVP_MD_CTX*)> context(EVP_MD_CTX_new(), &EVP_MD_CTX_free);
  size_t length = 0;
  if (!context || EVP_DigestSignInit(context.get(), nullptr, EVP_sha256(), nullptr, key.get()) != 1 ||
      EVP_DigestSign(context.get(), nullptr, &length, reinterpret_cast<const unsigned char*>(input.data()),
                     input.size()) != 1) {
    throw TokenError(where + "cannot sign with it", true);
  }
  std::string signature(length, '\0');
  if (EVP_DigestSign(context.get(), reinterpret_cast<unsigned char*>(signature.data()), &length,
                     reinterpret_cast<const unsigned char*>(input.data()), input.size()) != 1) {
    throw TokenError(where + "cannot sign with it", true);
  }
  signature.resize(length);
  return signature;
}

}  // namespace

std::string client_assertion(const ClientCredentials& credentials, WallClock::time_point now) {
  const int64_t issued = std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch()).count();
  unsigned char random[16];
  RAND_bytes(random, sizeof random);
  std::string header = R"({"alg":"RS256","typ":"JWT")";
  if (!credentials.key_id.empty()) header += ",\"kid\":" + json_string(credentials.key_id);
  header += "}";
  const std::string claims =
      "{\"iss\":" + json_string(credentials.client_id) + ",\"sub\":" + json_string(credentials.client_id) +
      ",\"aud\":" + json_string(credentials.token_endpoint_url) + ",\"iat\":" + std::to_string(issued) +
      ",\"exp\":" + std::to_string(issued + 300) + ",\"jti\":" +
      json_string(base64url_encode(std::string_view(reinterpret_cast<const char*>(random), sizeof random))) +
      "}";
  const std::string signed_part = base64url_encode(header) + "." + base64url_encode(claims);
  return signed_part + "." + base64url_encode(rs256(credentials.private_key_file, signed_part));
}

std::string token_request_body(const ClientCredentials& credentials, WallClock::time_point now) {
  std::string body = "grant_type=client_credentials";
  if (!credentials.scope.empty()) body += "&scope=" + form_encode(credentials.scope);
  if (!credentials.private_key_file.empty()) {
    body += "&client_id=" + form_encode(credentials.client_id) + "&client_assertion_type=" +
            form_encode("urn:ietf:params:oauth:client-assertion-type:jwt-bearer") +
            "&client_assertion=" + form_encode(client_assertion(credentials, now));
  }
  return body;
}

AccessToken parse_token_response(const ClientCredentials& credentials, int status, const std::string& body,
                                 WallClock::time_point now) {
  const std::string where = "token endpoint " + credentials.token_endpoint_url + ": ";
  simdjson::dom::parser parser;
  simdjson::dom::element root;
  const bool json = !parser.parse(body).get(root) && root.type() == simdjson::dom::element_type::OBJECT;
  if (status != 200) {
    // RFC 6749 5.2: {"error": "invalid_client", "error_description": "..."}
    const std::string error = json ? string_field(root, "error") : "";
    if (error.empty())
      throw TokenError(where + "HTTP " + std::to_string(status) + ": " + printable(body), true);
    const std::string description = string_field(root, "error_description");
    throw TokenError(
        where + std::to_string(status) + " " + error + (description.empty() ? "" : ": " + description), true);
  }
  if (!json) throw TokenError(where + "the answer is no JSON object: " + printable(body), true);
  AccessToken token;
  token.value = string_field(root, "access_token");
  if (token.value.empty()) throw TokenError(where + "the answer has no access_token", true);
  const std::string type = string_field(root, "token_type");
  if (!type.empty() && type != "Bearer" && type != "bearer") {
    throw TokenError(where + "token_type '" + type + "', not Bearer", true);
  }
  token.received_at = now;
  const auto claims = read_claims(token.value);
  const auto expires_in = number_field(root, "expires_in");
  // The broker checks the token's own expiry: it comes first.
  if (claims && claims->expires) {
    token.expires_at = WallClock::time_point(std::chrono::seconds(*claims->expires));
  } else if (expires_in) {
    token.expires_at = now + std::chrono::seconds(*expires_in);
  } else {
    throw TokenError(where + "the token has neither an exp claim nor an expires_in", true);
  }
  token.principal = claims && !claims->subject.empty() ? claims->subject : credentials.client_id;
  if (claims) {
    token.claims = "issuer '" + claims->issuer + "', audience '" + claims->audience + "', subject '" +
                   claims->subject + "', scope '" + claims->scope + "', expiry " + utc_text(token.expires_at);
  } else {
    token.claims = "an opaque token, expiry " + utc_text(token.expires_at);
  }
  if (token.expires_at <= now) {
    const auto ago = std::chrono::duration_cast<std::chrono::seconds>(now - token.expires_at);
    throw TokenError(where + "the token issued to '" + credentials.client_id + "' had expired " +
                         std::to_string(ago.count()) + " s before it arrived (" + token.claims +
                         "); check the identity provider's token lifetime and both hosts' clocks",
                     true);
  }
  return token;
}

TokenProvider::TokenProvider(ClientCredentials credentials, Now now)
    : credentials_(std::move(credentials)), now_(std::move(now)) {}

bool TokenProvider::fresh(const AccessToken& token, WallClock::time_point now) const {
  // Renewed at 80% of its lifetime, so a new connection never presents one about to expire.
  return now < token.received_at + (token.expires_at - token.received_at) * 4 / 5;
}

std::optional<AccessToken> TokenProvider::cached_token() {
  std::lock_guard lock(mutex_);
  if (token_ && fresh(*token_, now_())) return token_;
  return std::nullopt;
}

std::optional<AccessToken> TokenProvider::latest_token() {
  std::lock_guard lock(mutex_);
  if (token_ && now_() < token_->expires_at) return token_;
  return std::nullopt;
}

void TokenProvider::forget(const AccessToken& token) {
  std::lock_guard lock(mutex_);
  if (token_ && token_->value == token.value) token_.reset();
}

uint64_t TokenProvider::fetches() const {
  std::lock_guard lock(mutex_);
  return fetches_;
}

AccessToken TokenProvider::token() {
  std::lock_guard lock(mutex_);
  const auto now = now_();
  if (token_ && fresh(*token_, now)) return *token_;
  // Past 80% of its lifetime a token still serves while a new one cannot be had.
  const bool usable = token_ && now < token_->expires_at;
  if (failure_ && now < retry_after_) {
    if (usable) return *token_;
    throw TokenError(failure_->what(), failure_->refused());  // a copy of its own for each caller
  }
  try {
    http_client::HttpOptions options;
    options.connect_timeout = credentials_.timeout;
    options.read_timeout = credentials_.timeout;
    options.max_body_bytes = 1u << 20;
    options.ca_file = credentials_.ca_file;
    options.content_type = "application/x-www-form-urlencoded";
    // RFC 6749 2.3.1: both are form-encoded inside the basic credentials; with a private key the
    // signed assertion in the form authenticates the client instead.
    if (credentials_.private_key_file.empty()) {
      options.username = form_encode(credentials_.client_id);
      options.password = form_encode(credentials_.client_secret);
    }
    const std::string body = token_request_body(credentials_, now);
    http_client::HttpResponse response;
    try {
      response =
          http_client::http_post(http_client::parse_http_url(credentials_.token_endpoint_url), body, options);
    } catch (const http_client::HttpError& error) {
      throw TokenError("token endpoint " + credentials_.token_endpoint_url + ": " + error.what(), false);
    }
    AccessToken fresh_token = parse_token_response(credentials_, response.status, response.body, now_());
    ++fetches_;
    spdlog::info(
        "OAUTHBEARER: token {} for client '{}' from {}: valid {} s ({})", fetches_, credentials_.client_id,
        credentials_.token_endpoint_url,
        std::chrono::duration_cast<std::chrono::seconds>(fresh_token.expires_at - fresh_token.received_at)
            .count(),
        fresh_token.claims);
    token_ = std::move(fresh_token);
    failure_.reset();
    return *token_;
  } catch (const TokenError& error) {
    failure_ = error;
    retry_after_ = now_() + kRetryAfterFailure;
    if (usable) {
      spdlog::warn("OAUTHBEARER: renewing the token failed, the current one serves until {}: {}",
                   utc_text(token_->expires_at), error.what());
      return *token_;
    }
    token_.reset();
    throw;
  }
}

}  // namespace kse::oauth
