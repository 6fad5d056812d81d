// Crypto: random secrets, digests, constant-time comparison and the stored
// forms of the secrets Switchboard handles (docs/api.md, "Authentication"), on OpenSSL 3 libcrypto.
//
// Every function is thread-safe (OpenSSL 3 needs no locking setup) and keeps
// no state. Functions that need randomness or OpenSSL throw CryptoError when
// OpenSSL fails (out of memory, no entropy): a secret is never weakened to
// keep going. Verify* functions never throw on malformed input: they answer
// false.
//
// Which function for which secret:
//   provisioning keys, admin tokens  RandomToken(32); stored as Sha256Hex(),
//                                    found by that hash, compared with
//                                    ConstantTimeEquals (high entropy: a fast
//                                    hash is enough and keeps lookup O(1))
//   MQTT passwords                   RandomToken(24); stored as
//                                    MosquittoPasswordHash() so brokers can
//                                    verify it
//   device API keys                  HashDeviceApiKey / VerifyDeviceApiKey
#pragma once

#include <cstddef>
#include <stdexcept>
#include <string>
#include <string_view>

namespace switchboard {

// OpenSSL failed (no entropy, out of memory). Never carries secret material.
class CryptoError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Bytes of randomness for each kind of generated secret (docs/api.md, "Authentication").
inline constexpr std::size_t kProvisioningKeyBytes = 32;  // 256 bits
inline constexpr std::size_t kAdminTokenBytes = 32;       // 256 bits
inline constexpr std::size_t kMqttPasswordBytes = 24;     // 192 bits (≥ 128 required)

// `bytes` bytes from the OS CSPRNG (RAND_bytes), encoded as URL-safe base64
// without padding (RFC 4648 §5, alphabet `A-Za-z0-9-_`): 32 bytes give 43
// characters, 24 give 32. The alphabet is safe unescaped in URLs, HTTP
// headers, YAML, shell arguments and Mosquitto password files (no `:`).
// REQUIRES: bytes > 0 (std::invalid_argument otherwise). Throws CryptoError
// when the CSPRNG fails.
std::string RandomToken(std::size_t bytes);

// SHA-256 of `data` as 64 lowercase hex characters.
std::string Sha256Hex(std::string_view data);

// True when a and b hold the same bytes. The time taken depends only on the
// lengths, never on the contents; different lengths answer false (lengths are
// not secret: every stored hash of one kind has the same length).
bool ConstantTimeEquals(std::string_view a, std::string_view b);

// --- Mosquitto password-file hashes -----------------------------------------
//
// The format Mosquitto 2 (`mosquitto_passwd`, the broker's password_file)
// reads and writes: `$7$<iterations>$<base64 salt>$<base64 hash>`, where
// hash = PBKDF2-HMAC-SHA512(password, salt, iterations, 64 bytes), the salt is
// 12 bytes and both are standard base64 WITH padding (16 and 88 characters).
// A password-file line is `username:` followed by this string.
//
// Mosquitto treats passwords as C strings (strlen), so a password containing
// NUL cannot be represented: hashing one throws std::invalid_argument.

inline constexpr int kMosquittoDefaultIterations = 101;  // what mosquitto_passwd writes
inline constexpr std::size_t kMosquittoSaltBytes = 12;   // the broker requires exactly 12
// Sanity bound for parsed hashes: a larger count is treated as malformed so
// one bad row cannot stall a thread for minutes.
inline constexpr int kMosquittoMaxIterations = 10'000'000;

// Hashes `password` with a fresh 12-byte random salt and 101 iterations.
std::string MosquittoPasswordHash(std::string_view password);

// Deterministic variant: `salt` is the raw salt (exactly 12 bytes).
// REQUIRES: 1 <= iterations <= kMosquittoMaxIterations. Violations throw
// std::invalid_argument.
std::string MosquittoPasswordHash(std::string_view password, std::string_view salt, int iterations);

// True when `hash` is a well-formed `$7$` hash of `password`. Only the `$7$`
// (PBKDF2) format is accepted; the legacy unsalted-iteration `$6$` format and
// anything malformed answer false. The comparison is constant-time.
bool VerifyMosquittoPassword(std::string_view password, std::string_view hash);

// --- Device API keys ---------------------------------------------------------
//
// Stored form: `sha256$<salt: 32 lowercase hex>$<SHA-256(salt bytes || key):
// 64 lowercase hex>`, a fresh 16-byte random salt per device.
//
// Why a fast salted hash and not a slow one (PBKDF2/bcrypt/scrypt): the key
// is presented on every `GET /device/{uuid}/mqtt`, a hot path with a
// throughput target, and a slow hash costs milliseconds of CPU per request by
// design. The device row is found by uuid first, so the salt is free (no
// lookup by hash). The salt stops precomputed tables and hides which devices
// share a key. What it does not stop: someone who steals the database can
// guess weak agent-chosen keys offline at hash speed. That is accepted because
// the key only unlocks the device's own broker settings (no password; the MQTT
// password is separate, random and PBKDF2-hashed) and keys are ≥ 16
// characters. The `sha256$` prefix names the scheme, so a slower scheme can be
// added later and old rows still verify.
std::string HashDeviceApiKey(std::string_view key);

// True when `stored` is a well-formed HashDeviceApiKey() result for `key`.
// Constant-time in the key's content; malformed `stored` answers false.
bool VerifyDeviceApiKey(std::string_view key, std::string_view stored);

// Standard base64 (RFC 4648 §4, with padding) and its strict inverse: the
// decoder accepts only canonical input (padding present, no whitespace, unused
// bits zero) and answers false otherwise. Exposed for the Mosquitto format
// and its tests.
std::string Base64Encode(std::string_view data);
bool Base64Decode(std::string_view text, std::string* out);

}  // namespace switchboard
