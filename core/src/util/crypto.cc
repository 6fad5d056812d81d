#include "util/crypto.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include <array>
#include <climits>
#include <cstdint>
#include <vector>

namespace switchboard {
namespace {

constexpr char kHexDigits[] = "0123456789abcdef";
constexpr char kBase64Std[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
constexpr char kBase64Url[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

constexpr std::size_t kMosquittoHashBytes = 64;  // SHA-512 output; the broker requires 64
constexpr std::size_t kDeviceKeySaltBytes = 16;
constexpr std::string_view kDeviceKeyScheme = "sha256$";

const unsigned char* Bytes(std::string_view s) {
  return reinterpret_cast<const unsigned char*>(s.data());
}

std::string AsString(const unsigned char* data, std::size_t size) {
  return std::string(reinterpret_cast<const char*>(data), size);
}

// Raw bytes from the CSPRNG; the caller wipes them if they are a secret.
void FillRandom(unsigned char* out, std::size_t size) {
  if (size > static_cast<std::size_t>(INT_MAX))
    throw std::invalid_argument("too many random bytes");
  if (RAND_bytes(out, static_cast<int>(size)) != 1) {
    throw CryptoError("crypto: the OS random number generator failed (RAND_bytes)");
  }
}

std::string HexEncode(std::string_view data) {
  std::string out;
  out.reserve(data.size() * 2);
  for (unsigned char c : data) {
    out.push_back(kHexDigits[c >> 4]);
    out.push_back(kHexDigits[c & 0x0f]);
  }
  return out;
}

// Lowercase only: we only ever parse what HexEncode wrote.
int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

bool HexDecode(std::string_view text, std::string* out) {
  if (text.size() % 2 != 0) return false;
  out->clear();
  for (std::size_t i = 0; i < text.size(); i += 2) {
    int hi = HexValue(text[i]);
    int lo = HexValue(text[i + 1]);
    if (hi < 0 || lo < 0) return false;
    out->push_back(static_cast<char>(hi << 4 | lo));
  }
  return true;
}

std::string Base64EncodeWith(std::string_view data, const char* alphabet, bool pad) {
  std::string out;
  out.reserve((data.size() + 2) / 3 * 4);
  const unsigned char* in = Bytes(data);
  std::size_t i = 0;
  for (; i + 3 <= data.size(); i += 3) {
    std::uint32_t v = in[i] << 16 | in[i + 1] << 8 | in[i + 2];
    out.push_back(alphabet[v >> 18 & 63]);
    out.push_back(alphabet[v >> 12 & 63]);
    out.push_back(alphabet[v >> 6 & 63]);
    out.push_back(alphabet[v & 63]);
  }
  std::size_t rest = data.size() - i;
  if (rest == 0) return out;
  std::uint32_t v = in[i] << 16 | (rest == 2 ? in[i + 1] << 8 : 0);
  out.push_back(alphabet[v >> 18 & 63]);
  out.push_back(alphabet[v >> 12 & 63]);
  if (rest == 2) out.push_back(alphabet[v >> 6 & 63]);
  if (pad) out.append(rest == 1 ? "==" : "=");
  return out;
}

int Base64Value(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+') return 62;
  if (c == '/') return 63;
  return -1;
}

// OpenSSL 3 resolves EVP_sha256()/EVP_sha512() in its provider store on
// every use (locks and property matching: about 10,000 instructions, several
// times the cost of hashing a device key on the config-fetch path). Fetched
// once; the legacy objects only if the fetch fails.
const EVP_MD* FetchedDigest(const char* name, const EVP_MD* fallback) {
  EVP_MD* md = EVP_MD_fetch(nullptr, name, nullptr);
  return md != nullptr ? md : fallback;
}
const EVP_MD* Sha256Md() {
  static const EVP_MD* md = FetchedDigest("SHA2-256", EVP_sha256());
  return md;
}
const EVP_MD* Sha512Md() {
  static const EVP_MD* md = FetchedDigest("SHA2-512", EVP_sha512());
  return md;
}

// The Mosquitto hash: PBKDF2-HMAC-SHA512, 64 bytes, exactly as the broker's
// pw__digest computes it.
std::array<unsigned char, kMosquittoHashBytes> MosquittoDigest(std::string_view password,
                                                               std::string_view salt,
                                                               int iterations) {
  std::array<unsigned char, kMosquittoHashBytes> out{};
  // A null pointer with length 0 is not something to test OpenSSL on.
  const char* pass = password.empty() ? "" : password.data();
  if (PKCS5_PBKDF2_HMAC(pass, static_cast<int>(password.size()), Bytes(salt),
                        static_cast<int>(salt.size()), iterations, Sha512Md(),
                        static_cast<int>(out.size()), out.data()) != 1) {
    throw CryptoError("crypto: PBKDF2-HMAC-SHA512 failed");
  }
  return out;
}

std::string Sha256Raw(std::string_view data) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  if (EVP_Digest(data.data(), data.size(), md, &size, Sha256Md(), nullptr) != 1) {
    throw CryptoError("crypto: SHA-256 failed");
  }
  return AsString(md, size);
}

std::string DeviceKeyDigestHex(std::string_view salt, std::string_view key) {
  std::string input;
  input.reserve(salt.size() + key.size());
  input.append(salt).append(key);
  std::string hex = HexEncode(Sha256Raw(input));
  OPENSSL_cleanse(input.data(), input.size());
  return hex;
}

// Parses a decimal iteration count strictly: digits only, no sign, in range.
bool ParseIterations(std::string_view text, int* out) {
  if (text.empty() || text.size() > 8) return false;  // 8 digits cover the bound
  int value = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return false;
    value = value * 10 + (c - '0');
  }
  if (value < 1 || value > kMosquittoMaxIterations) return false;
  *out = value;
  return true;
}

}  // namespace

std::string RandomToken(std::size_t bytes) {
  if (bytes == 0) throw std::invalid_argument("RandomToken: bytes must be positive");
  std::vector<unsigned char> raw(bytes);
  FillRandom(raw.data(), raw.size());
  std::string token = Base64EncodeWith(
      std::string_view(reinterpret_cast<const char*>(raw.data()), raw.size()), kBase64Url, false);
  OPENSSL_cleanse(raw.data(), raw.size());
  return token;
}

std::string Sha256Hex(std::string_view data) { return HexEncode(Sha256Raw(data)); }

bool ConstantTimeEquals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  if (a.empty()) return true;
  return CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

std::string Base64Encode(std::string_view data) { return Base64EncodeWith(data, kBase64Std, true); }

bool Base64Decode(std::string_view text, std::string* out) {
  if (text.size() % 4 != 0) return false;
  out->clear();
  out->reserve(text.size() / 4 * 3);
  for (std::size_t i = 0; i < text.size(); i += 4) {
    bool last = i + 4 == text.size();
    int v[4];
    int pad = 0;
    for (int j = 0; j < 4; ++j) {
      char c = text[i + j];
      if (c == '=' && last && j >= 2) {
        v[j] = 0;
        ++pad;
        continue;
      }
      if (pad > 0) return false;  // data after '='
      v[j] = Base64Value(c);
      if (v[j] < 0) return false;
    }
    std::uint32_t n = static_cast<std::uint32_t>(v[0] << 18 | v[1] << 12 | v[2] << 6 | v[3]);
    // Canonical form only: the bits a padded group does not carry must be 0.
    if ((pad == 1 && (n & 0xff) != 0) || (pad == 2 && (n & 0xffff) != 0)) return false;
    out->push_back(static_cast<char>(n >> 16 & 0xff));
    if (pad < 2) out->push_back(static_cast<char>(n >> 8 & 0xff));
    if (pad < 1) out->push_back(static_cast<char>(n & 0xff));
  }
  return true;
}

std::string MosquittoPasswordHash(std::string_view password) {
  std::array<unsigned char, kMosquittoSaltBytes> salt{};
  FillRandom(salt.data(), salt.size());
  return MosquittoPasswordHash(password, AsString(salt.data(), salt.size()),
                               kMosquittoDefaultIterations);
}

std::string MosquittoPasswordHash(std::string_view password, std::string_view salt,
                                  int iterations) {
  if (password.find('\0') != std::string_view::npos) {
    throw std::invalid_argument("Mosquitto passwords cannot contain NUL");
  }
  if (salt.size() != kMosquittoSaltBytes) {
    throw std::invalid_argument("Mosquitto salts are exactly 12 bytes");
  }
  if (iterations < 1 || iterations > kMosquittoMaxIterations) {
    throw std::invalid_argument("Mosquitto iteration count out of range");
  }
  auto digest = MosquittoDigest(password, salt, iterations);
  return "$7$" + std::to_string(iterations) + "$" + Base64Encode(salt) + "$" +
         Base64Encode(AsString(digest.data(), digest.size()));
}

bool VerifyMosquittoPassword(std::string_view password, std::string_view hash) {
  // `$7$<iterations>$<salt>$<hash>`: split into exactly five '$' fields.
  std::array<std::string_view, 5> fields;
  std::size_t count = 0;
  std::size_t start = 0;
  while (true) {
    std::size_t end = hash.find('$', start);
    if (count == fields.size()) return false;
    fields[count++] = hash.substr(start, end == std::string_view::npos ? end : end - start);
    if (end == std::string_view::npos) break;
    start = end + 1;
  }
  if (count != fields.size() || !fields[0].empty() || fields[1] != "7") return false;
  int iterations = 0;
  std::string salt;
  std::string expected;
  if (!ParseIterations(fields[2], &iterations) || !Base64Decode(fields[3], &salt) ||
      salt.size() != kMosquittoSaltBytes || !Base64Decode(fields[4], &expected) ||
      expected.size() != kMosquittoHashBytes) {
    return false;
  }
  // The broker hashes strlen(password): a NUL could never match what it sees.
  if (password.find('\0') != std::string_view::npos) return false;
  auto digest = MosquittoDigest(password, salt, iterations);
  return ConstantTimeEquals(AsString(digest.data(), digest.size()), expected);
}

std::string HashDeviceApiKey(std::string_view key) {
  std::array<unsigned char, kDeviceKeySaltBytes> raw{};
  FillRandom(raw.data(), raw.size());
  std::string salt = AsString(raw.data(), raw.size());
  return std::string(kDeviceKeyScheme) + HexEncode(salt) + "$" + DeviceKeyDigestHex(salt, key);
}

bool VerifyDeviceApiKey(std::string_view key, std::string_view stored) {
  constexpr std::size_t kSaltHex = kDeviceKeySaltBytes * 2;
  constexpr std::size_t kDigestHex = 64;
  if (stored.size() != kDeviceKeyScheme.size() + kSaltHex + 1 + kDigestHex ||
      stored.substr(0, kDeviceKeyScheme.size()) != kDeviceKeyScheme ||
      stored[kDeviceKeyScheme.size() + kSaltHex] != '$') {
    return false;
  }
  std::string salt;
  if (!HexDecode(stored.substr(kDeviceKeyScheme.size(), kSaltHex), &salt)) return false;
  std::string_view digest = stored.substr(stored.size() - kDigestHex);
  return ConstantTimeEquals(DeviceKeyDigestHex(salt, key), digest);
}

}  // namespace switchboard
