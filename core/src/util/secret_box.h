// SecretBox: broker secrets at rest (password, client_key, extra_config),
// sealed with AES-256-GCM (OpenSSL EVP) under a key read from a file
// (`storage.secret_key_file`).
//
// A sealed value is text, so it fits the same TEXT column:
//   sbenc1:<key id>:<base64 of 12-byte nonce | ciphertext | 16-byte tag>
// where the key id is the first 8 hex digits of the key's SHA-256, so a
// value names the key it needs. The column name is the additional
// authenticated data: a sealed password cannot be moved into another
// column and still open.
//
// Keys: the current key seals; it and every previous key open (rotation,
// docs/security.md). A value without the prefix is a row written before
// encryption was turned on and is returned as it is (it is sealed the next
// time it is written, or by `switchboard rotate-secret-key`).
//
// Thread-safe: immutable after construction; each call makes its own
// cipher context.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace switchboard {

class SecretBox {
 public:
  using Key = std::array<std::uint8_t, 32>;

  // Reads a key file: 64 hexadecimal digits (32 bytes) on one line, e.g.
  // from `openssl rand -hex 32`. Throws CryptoError naming the file (never
  // quoting its content) when it cannot be read or is not such a key.
  static Key ReadKeyFile(const std::string& path);

  // The box of `storage.secret_key_file` and
  // `storage.previous_secret_key_files`; nullptr when `current` is empty (no
  // encryption). Throws CryptoError as ReadKeyFile, also when a previous
  // key is given without a current one.
  static std::shared_ptr<const SecretBox> FromKeyFiles(const std::string& current,
                                                       const std::vector<std::string>& previous);

  // `current` seals and opens; `previous` only open. REQUIRES: keys are
  // distinct (a duplicate is ignored).
  explicit SecretBox(const Key& current, const std::vector<Key>& previous = {});

  // Seals `plaintext` for `column`. "" stays "" (NULL in the database).
  // Throws CryptoError only when OpenSSL fails.
  std::string Seal(std::string_view column, std::string_view plaintext) const;

  // The plaintext of a sealed value; a value that is not sealed is
  // returned as it is. std::nullopt when it is sealed but no key here opens
  // it (unknown key id, or tampered).
  std::optional<std::string> Open(std::string_view column, std::string_view stored) const;

  // True when `stored` is sealed with the current key.
  bool SealedWithCurrentKey(std::string_view stored) const;

  static bool IsSealed(std::string_view stored);
  static std::string KeyId(const Key& key);

 private:
  struct Entry {
    Key key;
    std::string id;
  };
  Entry current_;
  std::vector<Entry> previous_;
};

}  // namespace switchboard
