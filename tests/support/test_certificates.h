// Certificates for tests of CA bundles (core/src/domain/ca_bundle.h): two
// fixed self-signed CAs valid for a century, and keys and CAs made on the
// spot (a CA with a chosen expiry).
#pragma once

#include <string>

namespace switchboard::testing {

// CN=Switchboard test CA a, notAfter 2126-11-11T05:48:55Z.
inline constexpr char kTestCaA[] = R"(-----BEGIN CERTIFICATE-----
MIIBmDCCAT2gAwIBAgIUQR5n1eYG6kLA6k0Dd55ErWh4e+QwCgYIKoZIzj0EAwIw
IDEeMBwGA1UEAwwVU3dpdGNoYm9hcmQgdGVzdCBDQSBhMCAXDTI2MTIwNTA1NDg1
NVoYDzIxMjYxMTExMDU0ODU1WjAgMR4wHAYDVQQDDBVTd2l0Y2hib2FyZCB0ZXN0
IENBIGEwWTATBgcqhkjOPQIBBggqhkjOPQMBBwNCAAQCxbX1V83bJ+U0Zh35jhk9
GQaSik/Kg142bbe47KlitEqN2oBPqlmnxhg22RpgxAVgr2jBOb5EptYqOFqXQgOr
o1MwUTAdBgNVHQ4EFgQUTFcKX5YtfI1dH2wp496dVZ/e0eMwHwYDVR0jBBgwFoAU
TFcKX5YtfI1dH2wp496dVZ/e0eMwDwYDVR0TAQH/BAUwAwEB/zAKBggqhkjOPQQD
AgNJADBGAiEArwnasuu3Dja5cTf/YDhr1BOpogDfwEjTqcM2HwqAOS8CIQCmWB7m
dP5eTYyqOUhwuWvVhP3LSB/+opU2iZj6eST+xg==
-----END CERTIFICATE-----
)";

// CN=Switchboard test CA b, notAfter 2125-06-29T05:48:56Z.
inline constexpr char kTestCaB[] = R"(-----BEGIN CERTIFICATE-----
MIIBmDCCAT2gAwIBAgIUDWlINdE1oGd6HN+IgC7+lbhaMDUwCgYIKoZIzj0EAwIw
IDEeMBwGA1UEAwwVU3dpdGNoYm9hcmQgdGVzdCBDQSBiMCAXDTI2MTIwNTA1NDg1
NloYDzIxMjUwNjI5MDU0ODU2WjAgMR4wHAYDVQQDDBVTd2l0Y2hib2FyZCB0ZXN0
IENBIGIwWTATBgcqhkjOPQIBBggqhkjOPQMBBwNCAAThQD6j4FSLQzXnaJ0T12Hw
oPwuTzhK23IL39JdA4PpIADD5vZtOeL+hR/LyrokINBSSKu4BSg+o7CQgp1YnkHG
o1MwUTAdBgNVHQ4EFgQUHhbasfEUoZAbGbZVp9AK3vP/SzgwHwYDVR0jBBgwFoAU
HhbasfEUoZAbGbZVp9AK3vP/SzgwDwYDVR0TAQH/BAUwAwEB/zAKBggqhkjOPQQD
AgNJADBGAiEAn8eiYg3En/HmV+CfmEX8620fLMWL0Nd/lafrs1HdmjICIQCaDAps
+xEY/S1AW6uWA8ahHxSguy+Xfyl7gQ/k2kxamg==
-----END CERTIFICATE-----
)";

// A fresh EC P-256 private key, PEM ("PRIVATE KEY", PKCS#8): what must
// never be stored in ca_cert.
std::string MakeTestPrivateKeyPem();

// A self-signed EC P-256 CA certificate, PEM, valid from an hour ago until
// `valid_for_seconds` from now (negative: already expired). Throws
// std::runtime_error when OpenSSL fails.
std::string MakeTestCaPem(const std::string& common_name, long valid_for_seconds);

}  // namespace switchboard::testing
