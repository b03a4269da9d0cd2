#include "oauth/token_provider.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <openssl/evp.h>
#include <openssl/pem.h>

#include <cstdio>
#include <filesystem>
#include <memory>

#include "common/base64.h"

namespace kse::oauth {
namespace {

using std::chrono::seconds;

// A token endpoint on a loopback port: answers each POST with what `answer` returns for it.
class TinyTokenEndpoint {
 public:
  using Answer = std::function<std::pair<int, std::string>(const std::string& request)>;

  explicit TinyTokenEndpoint(Answer answer) : answer_(std::move(answer)) {
    listener_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t length = sizeof address;
    if (::bind(listener_, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 ||
        ::listen(listener_, 8) != 0 ||
        ::getsockname(listener_, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
      throw std::runtime_error("cannot listen on a loopback port");
    }
    port_ = ntohs(address.sin_port);
    thread_ = std::thread([this] { serve(); });
  }
  ~TinyTokenEndpoint() {
    stopping_ = true;
    thread_.join();
    ::close(listener_);
  }

  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_) + "/token"; }
  std::vector<std::string> requests() {
    std::lock_guard lock(mutex_);
    return requests_;
  }

 private:
  void serve() {
    while (!stopping_) {
      pollfd ready{listener_, POLLIN, 0};
      if (::poll(&ready, 1, 50) <= 0) continue;
      const int client = ::accept(listener_, nullptr, nullptr);
      if (client < 0) continue;
      std::string request;
      char buffer[4096];
      // Headers, then as many body bytes as Content-Length says.
      for (;;) {
        const ssize_t got = ::recv(client, buffer, sizeof buffer, 0);
        if (got <= 0) break;
        request.append(buffer, static_cast<size_t>(got));
        const size_t end = request.find("\r\n\r\n");
        if (end == std::string::npos) continue;
        const size_t field = request.find("Content-Length: ");
        const size_t body = field == std::string::npos ? 0 : std::stoul(request.substr(field + 16));
        if (request.size() >= end + 4 + body) break;
      }
      {
        std::lock_guard lock(mutex_);
        requests_.push_back(request);
      }
      const auto [status, body] = answer_(request);
      const std::string response =
          "HTTP/1.1 " + std::to_string(status) +
          " X\r\nContent-Type: application/json\r\nContent-Length: " + std::to_string(body.size()) +
          "\r\nConnection: close\r\n\r\n" + body;
      ::send(client, response.data(), response.size(), MSG_NOSIGNAL);
      ::close(client);
    }
  }

  Answer answer_;
  int listener_ = -1;
  int port_ = 0;
  std::atomic<bool> stopping_{false};
  std::thread thread_;
  std::mutex mutex_;
  std::vector<std::string> requests_;
};

std::string base64url(const std::string& text) {
  std::string out = common::base64_encode(text);
  while (!out.empty() && out.back() == '=') out.pop_back();
  for (char& c : out) {
    if (c == '+') c = '-';
    if (c == '/') c = '_';
  }
  return out;
}

// An (unsigned) JWT with these claims: the client reads claims, the broker checks signatures.
std::string jwt(const std::string& claims) {
  return base64url(R"({"alg":"RS256","kid":"k"})") + "." + base64url(claims) + ".c2lnbmF0dXJl";
}

std::string token_answer(const std::string& token, int expires_in) {
  return R"({"access_token":")" + token + R"(","token_type":"Bearer","expires_in":)" +
         std::to_string(expires_in) + "}";
}

// A wall clock the test moves by hand, starting on a whole second.
struct FakeClock {
  std::atomic<int64_t> now{1'900'000'000};
  WallClock::time_point operator()() const { return WallClock::time_point(seconds(now.load())); }
};

ClientCredentials credentials(const std::string& url) {
  ClientCredentials credentials;
  credentials.token_endpoint_url = url;
  credentials.client_id = "kse-exporter";
  credentials.client_secret = "s:cret";
  credentials.scope = "kafka read";
  credentials.timeout = std::chrono::milliseconds(2000);
  return credentials;
}

TEST(TokenProviderTest, FetchesWithClientCredentialsAndRenewsAtEightyPercent) {
  FakeClock clock;
  TinyTokenEndpoint endpoint([&clock](const std::string&) {
    const int64_t now = clock.now.load();
    return std::pair{200,
                     token_answer(jwt(R"({"sub":"kse-exporter","aud":"kafka","iss":"http://idp","exp":)" +
                                      std::to_string(now + 100) + "}"),
                                  100)};
  });
  TokenProvider provider(credentials(endpoint.url()), std::ref(clock));
  const AccessToken first = provider.token();
  EXPECT_EQ(first.principal, "kse-exporter");
  EXPECT_EQ(first.expires_at - first.received_at, seconds(100));
  EXPECT_NE(first.claims.find("audience 'kafka'"), std::string::npos) << first.claims;
  ASSERT_EQ(endpoint.requests().size(), 1u);
  const std::string request = endpoint.requests()[0];
  EXPECT_EQ(request.rfind("POST /token HTTP/1.1\r\n", 0), 0u) << request;
  // RFC 6749 2.3.1: id and secret form-encoded, then basic auth.
  EXPECT_NE(request.find("Authorization: Basic " + common::base64_encode("kse-exporter:s%3Acret")),
            std::string::npos)
      << request;
  EXPECT_NE(request.find("Content-Type: application/x-www-form-urlencoded"), std::string::npos) << request;
  EXPECT_TRUE(request.ends_with("\r\n\r\ngrant_type=client_credentials&scope=kafka%20read")) << request;

  clock.now += 79;
  EXPECT_EQ(provider.token().value, first.value);
  EXPECT_EQ(endpoint.requests().size(), 1u);
  clock.now += 2;
  EXPECT_FALSE(provider.cached_token().has_value());
  const AccessToken second = provider.token();
  EXPECT_NE(second.value, first.value);
  EXPECT_EQ(endpoint.requests().size(), 2u);
  EXPECT_EQ(provider.fetches(), 2u);
}

TEST(TokenProviderTest, ARefusalNamesTheEndpointStatusAndOAuthErrorButNotTheSecret) {
  TinyTokenEndpoint endpoint([](const std::string&) {
    return std::pair{
        401, std::string(R"({"error":"invalid_client","error_description":"client authentication failed"})")};
  });
  FakeClock clock;
  TokenProvider provider(credentials(endpoint.url()), std::ref(clock));
  try {
    provider.token();
    FAIL() << "no error";
  } catch (const TokenError& error) {
    EXPECT_TRUE(error.refused());
    EXPECT_EQ(std::string(error.what()),
              "token endpoint " + endpoint.url() + ": 401 invalid_client: client authentication failed");
    EXPECT_EQ(std::string(error.what()).find("s:cret"), std::string::npos);
  }
  // The same answer for a few seconds without asking again, then a new request.
  EXPECT_THROW(provider.token(), TokenError);
  EXPECT_EQ(endpoint.requests().size(), 1u);
  clock.now += 6;
  EXPECT_THROW(provider.token(), TokenError);
  EXPECT_EQ(endpoint.requests().size(), 2u);
}

TEST(TokenProviderTest, AnExpiredTokenIsRefusedWithItsAge) {
  FakeClock clock;
  TinyTokenEndpoint endpoint([&clock](const std::string&) {
    return std::pair{
        200, token_answer(jwt(R"({"sub":"kse-expired","exp":)" + std::to_string(clock.now - 3600) + "}"), 0)};
  });
  TokenProvider provider(credentials(endpoint.url()), std::ref(clock));
  try {
    provider.token();
    FAIL() << "no error";
  } catch (const TokenError& error) {
    EXPECT_TRUE(error.refused());
    EXPECT_NE(std::string(error.what()).find("had expired 3600 s before it arrived"), std::string::npos)
        << error.what();
  }
}

TEST(TokenProviderTest, AnUnreachableEndpointIsNoRefusal) {
  int port = 0;
  {
    TinyTokenEndpoint closed([](const std::string&) { return std::pair{500, std::string()}; });
    port = std::stoi(closed.url().substr(std::string("http://127.0.0.1:").size()));
  }
  const std::string url = "http://127.0.0.1:" + std::to_string(port) + "/token";
  TokenProvider provider(credentials(url));
  try {
    provider.token();
    FAIL() << "no error";
  } catch (const TokenError& error) {
    EXPECT_FALSE(error.refused());
    EXPECT_EQ(std::string(error.what()).rfind("token endpoint " + url + ": connecting to 127.0.0.1:", 0), 0u)
        << error.what();
  }
}

TEST(TokenProviderTest, ARenewalThatFailsKeepsTheTokenThatStillServes) {
  FakeClock clock;
  std::atomic<bool> refuse{false};
  TinyTokenEndpoint endpoint([&](const std::string&) {
    if (refuse) return std::pair{503, std::string("<html>busy</html>")};
    return std::pair{200,
                     token_answer(jwt(R"({"sub":"a","exp":)" + std::to_string(clock.now + 100) + "}"), 100)};
  });
  TokenProvider provider(credentials(endpoint.url()), std::ref(clock));
  const AccessToken first = provider.token();
  refuse = true;
  clock.now += 90;
  EXPECT_EQ(provider.token().value, first.value);
  clock.now += 11;
  try {
    provider.token();
    FAIL() << "no error";
  } catch (const TokenError& error) {
    EXPECT_EQ(std::string(error.what()),
              "token endpoint " + endpoint.url() + ": HTTP 503: <html>busy</html>");
  }
}

TEST(TokenProviderTest, AnOpaqueTokenLastsItsExpiresIn) {
  const auto now = WallClock::time_point(seconds(1'900'000'000));
  const AccessToken token =
      parse_token_response(credentials("http://idp/token"), 200, token_answer("opaque", 300), now);
  EXPECT_EQ(token.expires_at, now + seconds(300));
  EXPECT_EQ(token.principal, "kse-exporter");
  EXPECT_THROW(
      parse_token_response(credentials("http://idp/token"), 200, R"({"access_token":"opaque"})", now),
      TokenError);
  EXPECT_THROW(parse_token_response(credentials("http://idp/token"), 200, "not json", now), TokenError);
}

using Key = std::unique_ptr<EVP_PKEY, void (*)(EVP_PKEY*)>;

// A new key written as PEM (mode 0600) to a file of the test's own.
std::string write_key(const Key& key, const std::string& name) {
  const std::string path = testing::TempDir() + "/" + name + "-" + std::to_string(::getpid()) + ".pem";
  std::unique_ptr<FILE, int (*)(FILE*)> file(std::fopen(path.c_str(), "w"), &std::fclose);
  PEM_write_PrivateKey(file.get(), key.get(), nullptr, nullptr, 0, nullptr, nullptr);
  std::filesystem::permissions(path,
                               std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
  return path;
}

std::string base64url_decoded(std::string text) {
  for (char& c : text) {
    if (c == '-') c = '+';
    if (c == '_') c = '/';
  }
  while (text.size() % 4 != 0) text += '=';
  return common::base64_decode(text).value_or("(not base64)");
}

// private_key_jwt (RFC 7523): no basic auth; the form carries the client id and a JWT that the
// client's public key verifies, naming the client as issuer and subject and the endpoint as audience.
TEST(TokenProviderTest, APrivateKeySignsTheClientAssertionInsteadOfASecret) {
  Key key(EVP_RSA_gen(2048), &EVP_PKEY_free);
  ASSERT_TRUE(key);
  FakeClock clock;
  TinyTokenEndpoint endpoint([&clock](const std::string&) {
    return std::pair{
        200, token_answer(jwt(R"({"sub":"kse-jwt","exp":)" + std::to_string(clock.now + 100) + "}"), 100)};
  });
  ClientCredentials signed_in = credentials(endpoint.url());
  signed_in.client_id = "kse-jwt";
  signed_in.client_secret.clear();
  signed_in.private_key_file = write_key(key, "client-key");
  signed_in.key_id = "key-2";
  TokenProvider provider(signed_in, std::ref(clock));
  EXPECT_EQ(provider.token().principal, "kse-jwt");
  const std::string request = endpoint.requests().at(0);
  EXPECT_EQ(request.find("Authorization:"), std::string::npos) << request;
  const std::string marker = "&client_assertion=";
  const size_t at = request.find(marker);
  ASSERT_NE(at, std::string::npos) << request;
  EXPECT_NE(request.find("&client_id=kse-jwt&client_assertion_type=urn%3Aietf%3Aparams%3Aoauth%3Aclient-"
                         "assertion-type%3Ajwt-bearer"),
            std::string::npos)
      << request;
  const std::string assertion = request.substr(at + marker.size());
  const size_t first = assertion.find('.');
  const size_t second = assertion.rfind('.');
  ASSERT_NE(first, second) << assertion;
  const std::string header = base64url_decoded(assertion.substr(0, first));
  const std::string claims = base64url_decoded(assertion.substr(first + 1, second - first - 1));
  const std::string signature = base64url_decoded(assertion.substr(second + 1));
  EXPECT_EQ(header, R"({"alg":"RS256","typ":"JWT","kid":"key-2"})");
  const std::string issued = std::to_string(clock.now.load());
  EXPECT_EQ(claims.rfind(R"({"iss":"kse-jwt","sub":"kse-jwt","aud":")" + endpoint.url() + R"(","iat":)" +
                             issued + R"(,"exp":)" + std::to_string(clock.now.load() + 300) + R"(,"jti":")",
                         0),
            0u)
      << claims;
  std::unique_ptr<EVP_MD_CTX, void (*)(EVP_MD_CTX*)> verify(EVP_MD_CTX_new(), &EVP_MD_CTX_free);
  const std::string signed_part = assertion.substr(0, second);
  ASSERT_EQ(EVP_DigestVerifyInit(verify.get(), nullptr, EVP_sha256(), nullptr, key.get()), 1);
  EXPECT_EQ(EVP_DigestVerify(verify.get(), reinterpret_cast<const unsigned char*>(signature.data()),
                             signature.size(), reinterpret_cast<const unsigned char*>(signed_part.data()),
                             signed_part.size()),
            1)
      << "the client's public key does not verify the assertion";
  std::remove(signed_in.private_key_file.c_str());
}

TEST(TokenProviderTest, AKeyThatCannotSignIsRefusedBeforeAnyRequest) {
  TinyTokenEndpoint endpoint([](const std::string&) { return std::pair{500, std::string("{}")}; });
  Key ec(EVP_EC_gen("P-256"), &EVP_PKEY_free);
  ClientCredentials signed_in = credentials(endpoint.url());
  signed_in.client_secret.clear();
  signed_in.private_key_file = write_key(ec, "ec-key");
  TokenProvider provider(signed_in);
  try {
    provider.token();
    FAIL() << "an EC key signed an RS256 assertion";
  } catch (const TokenError& error) {
    EXPECT_NE(std::string(error.what()).find("not an RSA key"), std::string::npos) << error.what();
  }
  std::remove(signed_in.private_key_file.c_str());
  signed_in.private_key_file = testing::TempDir() + "/no-such-key.pem";
  TokenProvider missing(signed_in);
  EXPECT_THROW(missing.token(), TokenError);
  EXPECT_TRUE(endpoint.requests().empty());
}

}  // namespace
}  // namespace kse::oauth
