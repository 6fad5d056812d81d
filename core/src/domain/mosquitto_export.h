// Mosquitto export: the password file and ACL file a Mosquitto 2 broker needs
// to admit provisioned devices.
//
// Password file lines are `username:$7$…` (the PBKDF2-SHA512 hashes stored at
// registration, exactly as `mosquitto_passwd` writes them); the ACL file has a
// `user <name>` block per device followed by its `topic <access> <topic>`
// lines. Only active MQTT users are exported.
//
// Both files are replaced atomically (a temp file in the same folder, fsync,
// rename) with mode 0600, so a broker reloading on SIGHUP never reads half a
// file. Mosquitto drops to its own user before reading them: run the export
// as that user, or chown the files (docs/mosquitto.md).
#pragma once

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>

#include "engine/chain.h"
#include "storage/storage.h"

namespace switchboard {

struct MosquittoExportOptions {
  std::string password_file;
  std::string acl_file;
  // When set, only the devices the chain resolves to this broker; requires
  // `chain`.
  std::optional<std::int64_t> broker_id;
  const Chain* chain = nullptr;
};

struct MosquittoExportResult {
  int users = 0;        // lines in the password file
  int acl_entries = 0;  // topic lines in the ACL file
};

// Throws std::runtime_error when a file cannot be written (the previous file
// stays as it was), StorageUnavailable when the database cannot be read.
MosquittoExportResult ExportMosquitto(Storage& storage, const MosquittoExportOptions& options,
                                      Logger& log);

// Replaces `path` with `content` atomically, with mode 0600.
void WriteFileAtomically(const std::string& path, const std::string& content);

}  // namespace switchboard
