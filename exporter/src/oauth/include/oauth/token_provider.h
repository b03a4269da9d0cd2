#pragma once

#include <chrono>
#include <functional>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>

// Bearer tokens from an OpenID Connect token endpoint by the client credentials grant
// (RFC 6749 4.4, as Kafka's KIP-768 uses it), cached and fetched again before they expire.
namespace kse::oauth {

using WallClock = std::chrono::system_clock;

struct ClientCredentials {
  std::string token_endpoint_url;  // http:// or https://
  std::string client_id;
  std::string client_secret;     // client_secret_basic, or:
  std::string private_key_file;  // private_key_jwt (RFC 7523): an RSA key, read at each request
  std::string key_id;            // the `kid` of the assertion's header, when the provider wants one
  std::string scope;             // empty: none asked for
  std::string ca_file;           // https: the endpoint's CA (system store when empty)
  std::chrono::milliseconds timeout{5000};
  bool operator==(const ClientCredentials&) const = default;
};

struct AccessToken {
  std::string value;      // the token itself: never logged
  std::string principal;  // its `sub` claim, else the client id
  WallClock::time_point received_at;
  WallClock::time_point expires_at;
  // The claims an operator compares with the broker's expectations (issuer, audience,
  // subject, scope, expiry), never the token: "issuer 'x', audience 'kafka', ...".
  std::string claims;
};

class TokenError : public std::runtime_error {
 public:
  // `refused`: the endpoint answered and said no (or gave an unusable token), so trying
  // again at once will not help; otherwise it could not be reached.
  TokenError(const std::string& what, bool refused) : std::runtime_error(what), refused_(refused) {}
  bool refused() const { return refused_; }

 private:
  bool refused_;
};

// A token endpoint's answer to the client credentials grant, read at `now`. Throws TokenError
// phrased as "token endpoint URL: 401 invalid_client: client authentication failed".
AccessToken parse_token_response(const ClientCredentials& credentials, int status, const std::string& body,
                                 WallClock::time_point now);

// The form the token request posts: grant_type=client_credentials[&scope=...]; with a private
// key, also client_id and a client assertion signed at `now`. Throws TokenError (refused) when
// the key cannot be used.
std::string token_request_body(const ClientCredentials& credentials, WallClock::time_point now);

// private_key_jwt (RFC 7523 2.2): a JWT signed RS256 with the client's key, issuer and subject the
// client id, audience the token endpoint, valid for 5 minutes from `now`. Throws TokenError.
std::string client_assertion(const ClientCredentials& credentials, WallClock::time_point now);

// One token shared by every connection of the exporter and by the probe. Thread-safe.
class TokenProvider {
 public:
  using Now = std::function<WallClock::time_point()>;
  explicit TokenProvider(
      ClientCredentials credentials, Now now = [] { return WallClock::now(); });

  // The cached token until 80% of its lifetime has passed, else a new one: blocks for up
  // to the timeout. After a failure, the same error for a few seconds without asking again,
  // so a cluster's connections do not each hammer the endpoint. Throws TokenError.
  AccessToken token();
  // The cached token while it is fresh, without asking the endpoint.
  std::optional<AccessToken> cached_token();
  // The last token fetched, while it has not expired.
  std::optional<AccessToken> latest_token();
  // The broker refused `token`: the next token() asks for a new one.
  void forget(const AccessToken& token);
  const ClientCredentials& credentials() const { return credentials_; }
  // Tokens fetched so far, for the log and tests.
  uint64_t fetches() const;

 private:
  bool fresh(const AccessToken& token, WallClock::time_point now) const;

  const ClientCredentials credentials_;
  const Now now_;
  mutable std::mutex mutex_;  // held across a fetch: one request at a time
  std::optional<AccessToken> token_;
  std::optional<TokenError> failure_;
  WallClock::time_point retry_after_{};
  uint64_t fetches_ = 0;
};

}  // namespace kse::oauth
