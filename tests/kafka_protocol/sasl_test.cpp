#include <gtest/gtest.h>

#include "common/base64.h"

#include "kafka/client/sasl.h"

namespace kse::kafka {
namespace {

// RFC 7677 section 3.
TEST(SaslTest, ScramSha256MatchesTheRfcExample) {
  ScramClient scram("SCRAM-SHA-256", "user", "pencil", "rOprNGfwEbeRWgbNEkqO");
  EXPECT_EQ(scram.client_first(), "n,,n=user,r=rOprNGfwEbeRWgbNEkqO");
  const std::string server_first =
      "r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096";
  EXPECT_EQ(scram.client_final(server_first),
            "c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,"
            "p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=");
  EXPECT_NO_THROW(scram.verify_server_final("v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4="));
  EXPECT_THROW(scram.verify_server_final("v=AAAATRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4="),
               std::runtime_error);
}

// RFC 7628 3.1 with KIP-255's framing: gs2 header, then key=value pairs between ^A bytes.
TEST(SaslTest, OAuthBearerInitialResponseCarriesTheBearerToken) {
  EXPECT_EQ(oauthbearer_initial_response("eyJ.abc.def"),
            std::string("n,,\001auth=Bearer eyJ.abc.def\001\001"));
  EXPECT_EQ(oauthbearer_initial_response("t")[3], 1);
  EXPECT_EQ(std::string(kOAuthBearerErrorAcknowledgement), std::string(1, '\x01'));
}

TEST(SaslTest, ScramRejectsUnsafeServerMessages) {
  ScramClient scram("SCRAM-SHA-512", "user", "pencil", "abc");
  scram.client_first();
  EXPECT_THROW(scram.client_final("r=xyz123,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096"), std::runtime_error);
  EXPECT_THROW(scram.client_final("r=abc123,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=10"), std::runtime_error);
  EXPECT_THROW(scram.client_final("e=invalid-proof"), std::runtime_error);
}

TEST(SaslTest, PlainTokenAndBase64) {
  EXPECT_EQ(plain_token("alice", "secret"), std::string("\0alice\0secret", 13));
  EXPECT_EQ(common::base64_encode("n,,"), "biws");
  EXPECT_EQ(common::base64_decode("biws"), "n,,");
  EXPECT_EQ(common::base64_decode("YQ=="), "a");
  EXPECT_FALSE(common::base64_decode("abc").has_value());
}

}  // namespace
}  // namespace kse::kafka
