#pragma once

#include <memory>
#include <stdexcept>
#include <string>

// SASL GSSAPI (RFC 4752) with MIT Kerberos: the client's side of a Kerberos login to a
// broker, from a keytab, into a credential cache of its own that no one else sees.
namespace kse::kafka {

// A failed step, phrased for an operator ("the KDC ... is unreachable", "principal ...
// is not known to the KDC") and followed by the GSS-API status text.
class GssapiError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// RFC 4752 section 3.1: the client's answer to the server's (unwrapped) 4-byte offer:
// no security layer, maximum message size 0, then `authzid`. Throws GssapiError when
// the offer is not 4 bytes or does not allow "no security layer".
std::string gssapi_security_layer_reply(const std::string& offer, const std::string& authzid);

// One login. Its calls block (they ask the KDC): run them off the event loop.
class GssapiClient {
 public:
  // `service`@`host` is the broker's principal (kafka/broker.example.com@REALM);
  // `principal`'s key comes from `keytab`.
  GssapiClient(std::string service, std::string host, std::string principal, std::string keytab);
  ~GssapiClient();
  GssapiClient(const GssapiClient&) = delete;
  GssapiClient& operator=(const GssapiClient&) = delete;

  // The next token for the broker; `server_token` is empty on the first call.
  std::string step(const std::string& server_token);
  // The security context is complete: the broker's next message is its layer offer.
  bool established() const;
  // The wrapped answer to the broker's wrapped security-layer offer.
  std::string security_layer(const std::string& wrapped_offer);

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace kse::kafka
