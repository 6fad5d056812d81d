// The agent's state on disk: its identity (uuid, device key), what it
// registered with, the MQTT credentials the server issued and the last
// config it received. One JSON file, `<state dir>/state.json`, mode 0600,
// replaced atomically: written to a temp file in the same directory,
// fsync'd, renamed over the old one, then the directory fsync'd. A reader
// therefore sees the old file or the new one, never a mix, even after a
// power cut.
//
// A file that exists but cannot be read or is not a valid state is never
// rewritten: Load() throws, naming the file, and the agent stops (a new
// identity would orphan the registered device). The format is described
// in agent/README.md ("The state file").
//
// Not thread-safe: one StateFile per process; DirectoryLock keeps a second
// agent process away from the same directory.
#pragma once

#include <optional>
#include <stdexcept>
#include <string>

namespace switchboard::agent {

inline constexpr int kStateFormat = 1;

struct AgentState {
  std::string uuid;        // lowercase v4 UUID
  std::string device_key;  // >= 32 characters; the device's API key
  std::string device_name;
  std::string device_type;
  std::string region;  // empty: none
  std::string server;  // the --server URL it registered with
  // False from the moment the identity exists until a registration answer
  // was stored: a restart then retries the registration with the same
  // uuid and key (the server treats that as an idempotent retry).
  bool registered = false;
  std::string mqtt_username;  // when registered
  std::string mqtt_password;  // when registered; secret
  std::string config_json;    // the last config (a GET …/mqtt answer); "" when none
};

// Any problem with the state file or directory; what() names the path and
// never contains a secret.
class StateFileError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class StateFile {
 public:
  // `dir` is created (mode 0700, parents too) by Save when missing.
  explicit StateFile(std::string dir);

  const std::string& dir() const { return dir_; }
  const std::string& path() const { return path_; }

  // nullopt when there is no state file yet. Throws StateFileError when it
  // exists but cannot be read, is not JSON, has another format number, or
  // a member is missing, of the wrong type or invalid (uuid, key length,
  // credentials of a registered state, a config that does not parse).
  std::optional<AgentState> Load() const;

  // Replaces the file atomically with `state` (mode 0600). Throws
  // StateFileError; the old file is then unchanged.
  void Save(const AgentState& state) const;

  // The state as JSON for --print-state: secrets replaced by "(set)".
  static std::string Describe(const AgentState& state);

 private:
  std::string dir_;
  std::string path_;
};

// An exclusive flock(2) on `<dir>/agent.lock` for the life of the object,
// so two agents never share one identity. Throws StateFileError when
// another process holds it or the directory cannot be made.
class DirectoryLock {
 public:
  explicit DirectoryLock(const std::string& dir);
  ~DirectoryLock();
  DirectoryLock(const DirectoryLock&) = delete;
  DirectoryLock& operator=(const DirectoryLock&) = delete;

 private:
  int fd_ = -1;
};

// mkdir -p with mode 0700 for the directories it creates. Throws StateFileError.
void MakeStateDirectory(const std::string& dir);

}  // namespace switchboard::agent

namespace switchboard::agent {

// Writes `content` to `path` atomically (temp file in the same directory,
// fsync, rename, fsync of the directory), mode 0600. Throws StateFileError.
void WritePrivateFileAtomically(const std::string& path, const std::string& content);

}  // namespace switchboard::agent
