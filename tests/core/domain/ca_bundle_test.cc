// ca_bundle.h: a ca_cert bundle is parsed on write (not PEM, a private key,
// or a block that is not a certificate → ValidationError naming the field)
// and described on read (count, earliest notAfter, expiring soon).
#include "domain/ca_bundle.h"

#include <gtest/gtest.h>

#include "domain/domain_errors.h"
#include "test_certificates.h"

namespace switchboard {
namespace {

using testing::kTestCaA;
using testing::kTestCaB;

// The message of the ValidationError `pem` gets; fails when none.
std::string RefusalOf(const std::string& pem) {
  try {
    ParseCaBundle(pem);
  } catch (const ValidationError& e) {
    EXPECT_EQ(e.field(), "ca_cert");
    return e.what();
  }
  ADD_FAILURE() << "accepted: " << pem;
  return "";
}

TEST(CaBundleTest, OneCertificate) {
  const CaBundleInfo info = ParseCaBundle(kTestCaA);
  EXPECT_EQ(info.certificates, 1);
  EXPECT_EQ(info.earliest_not_after, "2126-11-11T05:48:55.000Z");
}

TEST(CaBundleTest, BundleReportsCountAndEarliestExpiry) {
  // Comments between blocks, as in distributed bundles, are fine.
  const std::string bundle = std::string("# old CA\n") + kTestCaA + "\n# new CA\n" + kTestCaB;
  const CaBundleInfo info = ParseCaBundle(bundle);
  EXPECT_EQ(info.certificates, 2);
  EXPECT_EQ(info.earliest_not_after, "2125-06-29T05:48:56.000Z");  // b's, the earlier
  EXPECT_EQ(ParseCaBundle(std::string(kTestCaB) + kTestCaA).earliest_not_after,
            info.earliest_not_after);
}

TEST(CaBundleTest, NotPemIsRefused) {
  EXPECT_NE(RefusalOf("hello").find("ca_cert is not PEM"), std::string::npos);
  EXPECT_NE(RefusalOf("-----BEGIN CERTIFICATE-----\nx").find("ca_cert"), std::string::npos);
  EXPECT_NE(RefusalOf("-----BEGIN CERTIFICATE-----\nQUJD\n-----END CERTIFICATE-----\n")
                .find("not a valid X.509 certificate"),
            std::string::npos);
}

TEST(CaBundleTest, APrivateKeyAnywhereIsRefusedWithoutQuotingIt) {
  const std::string key = testing::MakeTestPrivateKeyPem();
  const std::string message = RefusalOf(std::string(kTestCaA) + key);
  EXPECT_NE(message.find("must not contain a private key"), std::string::npos);
  // Not one line of the key's body in the message.
  const std::string body_line = key.substr(key.find('\n') + 1, 40);
  EXPECT_EQ(message.find(body_line), std::string::npos);
  EXPECT_NE(RefusalOf(key + kTestCaA).find("private key"), std::string::npos);
}

TEST(CaBundleTest, OtherBlocksAreRefused) {
  const std::string csr =
      "-----BEGIN CERTIFICATE REQUEST-----\nQUJD\n-----END CERTIFICATE REQUEST-----\n";
  EXPECT_NE(RefusalOf(csr).find("only CERTIFICATE blocks, found 'CERTIFICATE REQUEST'"),
            std::string::npos);
}

TEST(CaBundleTest, ExpiringSoonMeansWithinThirtyDaysOrPast) {
  const auto now = std::chrono::system_clock::now();
  const auto info_of = [](long seconds) {
    return ParseCaBundle(testing::MakeTestCaPem("soon", seconds));
  };
  EXPECT_TRUE(CaExpiresSoon(info_of(10L * 86400), now));
  EXPECT_TRUE(CaExpiresSoon(info_of(-86400), now));
  EXPECT_FALSE(CaExpiresSoon(info_of(31L * 86400 + 3600), now));
  EXPECT_FALSE(CaExpiresSoon(ParseCaBundle(kTestCaA), now));
  // One expiring certificate is enough to flag the bundle.
  EXPECT_TRUE(CaExpiresSoon(
      ParseCaBundle(std::string(kTestCaA) + testing::MakeTestCaPem("soon", 86400)), now));
}

TEST(CaBundleTest, InspectNeverThrowsOnStoredValues) {
  EXPECT_FALSE(InspectCaBundle(""));
  EXPECT_FALSE(InspectCaBundle("CA"));
  ASSERT_TRUE(InspectCaBundle(kTestCaA));
  EXPECT_EQ(InspectCaBundle(kTestCaA)->certificates, 1);
}

}  // namespace
}  // namespace switchboard
