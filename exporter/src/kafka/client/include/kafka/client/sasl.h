#pragma once

#include <optional>
#include <string>

// SASL mechanisms spoken inside SaslAuthenticate: PLAIN (RFC 4616), SCRAM
// (RFC 5802 / 7677) with SHA-256 or SHA-512, and OAUTHBEARER's client message (RFC 7628).
namespace kse::kafka {

std::string plain_token(const std::string& username, const std::string& password);

// OAUTHBEARER (RFC 7628, KIP-255): the client's initial response carrying a bearer token,
// "n,,\x01auth=Bearer <token>\x01\x01".
std::string oauthbearer_initial_response(const std::string& token);
// What a client sends after the broker's error challenge, so the broker ends the exchange.
inline constexpr char kOAuthBearerErrorAcknowledgement[] = "\x01";

class ScramClient {
 public:
  // `mechanism` is SCRAM-SHA-256 or SCRAM-SHA-512; `nonce` empty = random.
  ScramClient(std::string mechanism, std::string username, std::string password, std::string nonce = "");

  std::string client_first();
  // The client-final message for the server-first one; throws std::runtime_error
  // with the reason when the server's message is malformed or unsafe.
  std::string client_final(const std::string& server_first);
  // Checks the server's signature (mutual authentication); throws on mismatch.
  void verify_server_final(const std::string& server_final) const;

 private:
  std::string mechanism_;
  std::string username_;
  std::string password_;
  std::string nonce_;
  std::string client_first_bare_;
  std::string auth_message_;
  std::string salted_password_;
};

}  // namespace kse::kafka
