// Mosquitto export: the password file and ACL file a Mosquitto 2 broker needs
// to admit provisioned devices.
//
// Password file lines are `username:$7$…` (the PBKDF2-SHA512 hashes stored at
// registration, exactly as `mosquitto_passwd` writes them). Only active MQTT
// users are exported.
//
// The ACL file takes one of two forms:
//   - `pattern` lines (a few lines whatever the fleet size), when the topic
//     templates are given, they use `{username}` and no `{uuid}` (Mosquitto
//     substitutes `%u`, the username, and nothing like a uuid), and every
//     exported user's stored ACL rows are exactly what the templates give
//     it. Mosquitto loads such a file at once; a `user` block per device
//     takes it time that grows with the square of their number
//     (docs/mosquitto.md has the figures).
//   - otherwise a `user <name>` block per device followed by its
//     `topic <access> <topic>` lines.
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
#include <vector>

#include "config/config.h"
#include "engine/chain.h"
#include "storage/storage.h"

namespace switchboard {

struct MosquittoExportOptions {
  std::string password_file;
  std::string acl_file;
  // When set, only the devices whose endpoint list (engine/endpoint_list.h:
  // the resolved broker and the failover endpoints) holds this broker;
  // requires `chain`.
  std::optional<std::int64_t> broker_id;
  const Chain* chain = nullptr;
  // The YAML's provisioning.topics; without them the ACL file is per user.
  std::optional<ProvisioningConfig> topics;
};

struct MosquittoExportResult {
  int users = 0;        // lines in the password file
  int acl_entries = 0;  // topic or pattern lines in the ACL file
  bool patterns = false;
  // Why the ACL file is per user when templates were given (for the
  // operator); empty otherwise.
  std::string per_user_reason;
};

// The `pattern` lines for `topics` (`pattern <access> <topic with %u>`), or
// nullopt with `why` set when the templates cannot be written as patterns.
std::optional<std::vector<std::string>> MosquittoPatternLines(const ProvisioningConfig& topics,
                                                              std::string* why);

// Throws std::runtime_error when a file cannot be written (the previous file
// stays as it was), StorageUnavailable when the database cannot be read.
MosquittoExportResult ExportMosquitto(Storage& storage, const MosquittoExportOptions& options,
                                      Logger& log);

// Replaces `path` with `content` atomically, with mode 0600.
void WriteFileAtomically(const std::string& path, const std::string& content);

}  // namespace switchboard
