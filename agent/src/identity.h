// The device's identity, made once on first boot from the OS CSPRNG
// (getrandom(2)). Thread-safe.
#pragma once

#include <string>
#include <string_view>

namespace switchboard::agent {

// A random (version 4, RFC 9562) UUID in lowercase 8-4-4-4-12 form.
// Throws std::runtime_error when the OS has no randomness to give.
std::string NewUuidV4();

// The device API key: 32 random bytes as 43 URL-safe base64 characters
// (256 bits; the server wants 16..256 characters). Throws like NewUuidV4.
std::string NewDeviceKey();

// Canonical 8-4-4-4-12 hexadecimal (either case).
bool IsUuid(std::string_view text);

}  // namespace switchboard::agent
