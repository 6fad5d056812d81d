#include "util/secret_box.h"

#include <openssl/evp.h>
#include <openssl/rand.h>

#include <fstream>
#include <memory>
#include <sstream>

#include "util/crypto.h"

namespace switchboard {
namespace {

constexpr std::string_view kPrefix = "sbenc1:";
constexpr std::size_t kNonceBytes = 12;
constexpr std::size_t kTagBytes = 16;

struct ContextDeleter {
  void operator()(EVP_CIPHER_CTX* context) const { EVP_CIPHER_CTX_free(context); }
};
using Context = std::unique_ptr<EVP_CIPHER_CTX, ContextDeleter>;

int HexDigit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

SecretBox::Key SecretBox::ReadKeyFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw CryptoError(path + ": cannot read the secret key file");
  std::stringstream text;
  text << in.rdbuf();
  std::string hex = text.str();
  while (!hex.empty() && (hex.back() == '\n' || hex.back() == '\r' || hex.back() == ' ')) {
    hex.pop_back();
  }
  Key key{};
  if (hex.size() != 64) {
    throw CryptoError(path +
                      ": the secret key file must hold 64 hexadecimal digits (openssl rand -hex "
                      "32)");
  }
  for (std::size_t i = 0; i < key.size(); ++i) {
    const int high = HexDigit(hex[2 * i]), low = HexDigit(hex[2 * i + 1]);
    if (high < 0 || low < 0) {
      throw CryptoError(path + ": the secret key file must hold 64 hexadecimal digits");
    }
    key[i] = static_cast<std::uint8_t>(high * 16 + low);
  }
  return key;
}

std::shared_ptr<const SecretBox> SecretBox::FromKeyFiles(const std::string& current,
                                                         const std::vector<std::string>& previous) {
  if (current.empty()) {
    if (!previous.empty()) {
      throw CryptoError(
          "storage.previous_secret_key_files needs storage.secret_key_file (the current key)");
    }
    return nullptr;
  }
  std::vector<Key> old;
  for (const std::string& path : previous) old.push_back(ReadKeyFile(path));
  return std::make_shared<const SecretBox>(ReadKeyFile(current), old);
}

std::string SecretBox::KeyId(const Key& key) {
  return Sha256Hex(std::string_view(reinterpret_cast<const char*>(key.data()), key.size()))
      .substr(0, 8);
}

SecretBox::SecretBox(const Key& current, const std::vector<Key>& previous)
    : current_{current, KeyId(current)} {
  for (const Key& key : previous) {
    const std::string id = KeyId(key);
    if (id == current_.id) continue;
    previous_.push_back({key, id});
  }
}

bool SecretBox::IsSealed(std::string_view stored) { return stored.rfind(kPrefix, 0) == 0; }

bool SecretBox::SealedWithCurrentKey(std::string_view stored) const {
  return IsSealed(stored) && stored.substr(kPrefix.size(), 9) == current_.id + ":";
}

std::string SecretBox::Seal(std::string_view column, std::string_view plaintext) const {
  if (plaintext.empty()) return "";
  std::string blob(kNonceBytes + plaintext.size() + kTagBytes, '\0');
  auto* bytes = reinterpret_cast<unsigned char*>(blob.data());
  if (RAND_bytes(bytes, kNonceBytes) != 1) throw CryptoError("RAND_bytes failed");
  Context context(EVP_CIPHER_CTX_new());
  int length = 0;
  if (!context ||
      EVP_EncryptInit_ex(context.get(), EVP_aes_256_gcm(), nullptr, nullptr, nullptr) != 1 ||
      EVP_CIPHER_CTX_ctrl(context.get(), EVP_CTRL_GCM_SET_IVLEN, kNonceBytes, nullptr) != 1 ||
      EVP_EncryptInit_ex(context.get(), nullptr, nullptr, current_.key.data(), bytes) != 1 ||
      EVP_EncryptUpdate(context.get(), nullptr, &length,
                        reinterpret_cast<const unsigned char*>(column.data()),
                        static_cast<int>(column.size())) != 1 ||
      EVP_EncryptUpdate(context.get(), bytes + kNonceBytes, &length,
                        reinterpret_cast<const unsigned char*>(plaintext.data()),
                        static_cast<int>(plaintext.size())) != 1 ||
      EVP_EncryptFinal_ex(context.get(), bytes + kNonceBytes + length, &length) != 1 ||
      EVP_CIPHER_CTX_ctrl(context.get(), EVP_CTRL_GCM_GET_TAG, kTagBytes,
                          bytes + kNonceBytes + plaintext.size()) != 1) {
    throw CryptoError("AES-256-GCM encryption failed");
  }
  return std::string(kPrefix) + current_.id + ":" + Base64Encode(blob);
}

std::optional<std::string> SecretBox::Open(std::string_view column, std::string_view stored) const {
  if (!IsSealed(stored)) return std::string(stored);
  const std::string_view rest = stored.substr(kPrefix.size());
  const std::size_t colon = rest.find(':');
  if (colon == std::string_view::npos) return std::nullopt;
  const std::string_view id = rest.substr(0, colon);
  const Entry* entry = id == current_.id ? &current_ : nullptr;
  for (const Entry& previous : previous_) {
    if (entry == nullptr && id == previous.id) entry = &previous;
  }
  if (entry == nullptr) return std::nullopt;
  std::string blob;
  if (!Base64Decode(rest.substr(colon + 1), &blob) || blob.size() < kNonceBytes + kTagBytes) {
    return std::nullopt;
  }
  const std::size_t text_size = blob.size() - kNonceBytes - kTagBytes;
  auto* bytes = reinterpret_cast<unsigned char*>(blob.data());
  std::string plaintext(text_size, '\0');
  Context context(EVP_CIPHER_CTX_new());
  int length = 0;
  if (!context ||
      EVP_DecryptInit_ex(context.get(), EVP_aes_256_gcm(), nullptr, nullptr, nullptr) != 1 ||
      EVP_CIPHER_CTX_ctrl(context.get(), EVP_CTRL_GCM_SET_IVLEN, kNonceBytes, nullptr) != 1 ||
      EVP_DecryptInit_ex(context.get(), nullptr, nullptr, entry->key.data(), bytes) != 1 ||
      EVP_DecryptUpdate(context.get(), nullptr, &length,
                        reinterpret_cast<const unsigned char*>(column.data()),
                        static_cast<int>(column.size())) != 1 ||
      EVP_DecryptUpdate(context.get(), reinterpret_cast<unsigned char*>(plaintext.data()), &length,
                        bytes + kNonceBytes, static_cast<int>(text_size)) != 1 ||
      EVP_CIPHER_CTX_ctrl(context.get(), EVP_CTRL_GCM_SET_TAG, kTagBytes,
                          bytes + kNonceBytes + text_size) != 1) {
    return std::nullopt;
  }
  int final_length = 0;
  if (EVP_DecryptFinal_ex(context.get(),
                          reinterpret_cast<unsigned char*>(plaintext.data()) + length,
                          &final_length) != 1) {
    return std::nullopt;  // wrong key or tampered
  }
  return plaintext;
}

}  // namespace switchboard
