#include <gtest/gtest.h>

#include "kafka/client/gssapi.h"

namespace kse::kafka {
namespace {

// RFC 4752 section 3.1: the first byte offers layers (bit 1: none), then 3 bytes of size.
TEST(GssapiTest, SecurityLayerReplyChoosesNoLayerAndNamesTheAuthorizationId) {
  const std::string offer{'\x07', '\x00', '\x10', '\x00'};  // none, integrity, privacy; 4 KiB
  EXPECT_EQ(gssapi_security_layer_reply(offer, "kse-exporter@KSE.TEST"),
            std::string("\x01\x00\x00\x00", 4) + "kse-exporter@KSE.TEST");
  EXPECT_EQ(gssapi_security_layer_reply(std::string("\x01\xff\xff\xff", 4), ""),
            std::string("\x01\x00\x00\x00", 4));
}

TEST(GssapiTest, SecurityLayerOfferWithoutNoLayerOrOfAnotherSizeIsRefused) {
  try {
    gssapi_security_layer_reply(std::string("\x06\x00\x10\x00", 4), "kse-exporter@KSE.TEST");
    FAIL() << "an offer of integrity or privacy only was accepted";
  } catch (const GssapiError& error) {
    EXPECT_NE(std::string(error.what()).find("requires a SASL security layer"), std::string::npos)
        << error.what();
  }
  EXPECT_THROW(gssapi_security_layer_reply(std::string("\x01\x00\x00", 3), "x"), GssapiError);
  EXPECT_THROW(gssapi_security_layer_reply(std::string("\x01\x00\x00\x00\x00", 5), "x"), GssapiError);
}

// The login's errors are phrased for an operator; a keytab that is not there is one that
// needs no KDC to find.
TEST(GssapiTest, MissingKeytabIsNamedInTheError) {
  GssapiClient client("kafka", "127.0.0.1", "kse-exporter@KSE.TEST", "/nonexistent/kse-exporter.keytab");
  try {
    client.step("");
    FAIL() << "a login without a keytab succeeded";
  } catch (const GssapiError& error) {
    EXPECT_NE(std::string(error.what()).find("/nonexistent/kse-exporter.keytab"), std::string::npos)
        << error.what();
  }
  EXPECT_FALSE(client.established());
}

}  // namespace
}  // namespace kse::kafka
