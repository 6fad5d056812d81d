#include "state_file.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <rapidjson/document.h>
#include <rapidjson/prettywriter.h>
#include <rapidjson/stringbuffer.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include "identity.h"
#include "server_answer.h"

namespace switchboard::agent {
namespace {

constexpr std::size_t kMaxStateBytes = 4 << 20;

std::string Errno() { return std::strerror(errno); }

// Closes a descriptor on every path out of a scope.
struct Fd {
  int fd = -1;
  ~Fd() {
    if (fd >= 0) close(fd);
  }
};

void WriteAll(int fd, const std::string& content, const std::string& path) {
  std::size_t written = 0;
  while (written < content.size()) {
    const ssize_t n = write(fd, content.data() + written, content.size() - written);
    if (n < 0) {
      if (errno == EINTR) continue;
      throw StateFileError("cannot write " + path + ": " + Errno());
    }
    written += static_cast<std::size_t>(n);
  }
}

void SyncDirectory(const std::string& dir) {
  Fd handle{open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC)};
  if (handle.fd < 0 || fsync(handle.fd) != 0) {
    throw StateFileError("cannot fsync the directory " + dir + ": " + Errno());
  }
}

[[noreturn]] void Corrupt(const std::string& path, const std::string& why) {
  throw StateFileError("state file " + path + " is not a valid agent state (" + why +
                       "); it was left as it is: restore it from a backup, or move it away to "
                       "register as a new device");
}

std::string StringMember(const rapidjson::Value& object, const char* name, const std::string& path,
                         bool required) {
  const auto it = object.FindMember(name);
  if (it == object.MemberEnd() || it->value.IsNull()) {
    if (required) Corrupt(path, std::string("'") + name + "' is missing");
    return "";
  }
  if (!it->value.IsString()) Corrupt(path, std::string("'") + name + "' is not a string");
  return std::string(it->value.GetString(), it->value.GetStringLength());
}

}  // namespace

void MakeStateDirectory(const std::string& dir) {
  std::error_code error;
  const std::filesystem::path path(dir);
  if (std::filesystem::is_directory(path, error)) return;
  if (path.has_parent_path() && path.parent_path() != path) {
    MakeStateDirectory(path.parent_path().string());
  }
  if (mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST) {
    throw StateFileError("cannot create the state directory " + dir + ": " + Errno());
  }
}

void WritePrivateFileAtomically(const std::string& path, const std::string& content) {
  const std::filesystem::path target(path);
  const std::string dir = target.has_parent_path() ? target.parent_path().string() : ".";
  MakeStateDirectory(dir);
  std::string temp = path + ".tmp-XXXXXX";
  {
    Fd handle{mkostemp(temp.data(), O_CLOEXEC)};  // created 0600
    if (handle.fd < 0)
      throw StateFileError("cannot create a temp file beside " + path + ": " + Errno());
    try {
      if (fchmod(handle.fd, 0600) != 0)
        throw StateFileError("cannot chmod " + temp + ": " + Errno());
      WriteAll(handle.fd, content, temp);
      if (fsync(handle.fd) != 0) throw StateFileError("cannot fsync " + temp + ": " + Errno());
    } catch (...) {
      unlink(temp.c_str());
      throw;
    }
  }
  if (rename(temp.c_str(), path.c_str()) != 0) {
    const std::string why = Errno();
    unlink(temp.c_str());
    throw StateFileError("cannot rename " + temp + " to " + path + ": " + why);
  }
  SyncDirectory(dir);
}

StateFile::StateFile(std::string dir) : dir_(std::move(dir)), path_(dir_ + "/state.json") {}

std::optional<AgentState> StateFile::Load() const {
  Fd handle{open(path_.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW)};
  if (handle.fd < 0) {
    if (errno == ENOENT) return std::nullopt;
    throw StateFileError("cannot open the state file " + path_ + ": " + Errno() +
                         "; it was left as it is");
  }
  struct stat info {};
  if (fstat(handle.fd, &info) != 0 || !S_ISREG(info.st_mode)) {
    Corrupt(path_, "not a regular file");
  }
  if (static_cast<std::size_t>(info.st_size) > kMaxStateBytes) Corrupt(path_, "larger than 4 MiB");
  std::string text(static_cast<std::size_t>(info.st_size), '\0');
  std::size_t got = 0;
  while (got < text.size()) {
    const ssize_t n = read(handle.fd, text.data() + got, text.size() - got);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) throw StateFileError("cannot read the state file " + path_ + ": " + Errno());
    if (n == 0) break;
    got += static_cast<std::size_t>(n);
  }
  text.resize(got);

  rapidjson::Document document;
  document.Parse<rapidjson::kParseIterativeFlag | rapidjson::kParseValidateEncodingFlag>(
      text.data(), text.size());
  if (document.HasParseError()) Corrupt(path_, "not valid JSON");
  if (!document.IsObject()) Corrupt(path_, "not a JSON object");
  const auto format = document.FindMember("format");
  if (format == document.MemberEnd() || !format->value.IsInt() ||
      format->value.GetInt() != kStateFormat) {
    Corrupt(path_, "'format' is not " + std::to_string(kStateFormat));
  }

  AgentState state;
  state.uuid = StringMember(document, "uuid", path_, true);
  if (!IsUuid(state.uuid)) Corrupt(path_, "'uuid' is not a UUID");
  state.device_key = StringMember(document, "deviceKey", path_, true);
  if (state.device_key.size() < 32 || state.device_key.size() > 256) {
    Corrupt(path_, "'deviceKey' is not 32 to 256 characters long");
  }
  state.device_name = StringMember(document, "deviceName", path_, true);
  state.device_type = StringMember(document, "deviceType", path_, true);
  state.region = StringMember(document, "region", path_, false);
  state.server = StringMember(document, "server", path_, false);
  const auto registered = document.FindMember("registered");
  if (registered == document.MemberEnd() || !registered->value.IsBool()) {
    Corrupt(path_, "'registered' is missing or not a boolean");
  }
  state.registered = registered->value.GetBool();
  if (state.registered) {
    const auto mqtt = document.FindMember("mqtt");
    if (mqtt == document.MemberEnd() || !mqtt->value.IsObject()) {
      Corrupt(path_, "'mqtt' is missing or not an object");
    }
    state.mqtt_username = StringMember(mqtt->value, "username", path_, true);
    state.mqtt_password = StringMember(mqtt->value, "password", path_, true);
    if (state.mqtt_username.empty() || state.mqtt_password.empty()) {
      Corrupt(path_, "the MQTT credentials are empty");
    }
  }
  const auto config = document.FindMember("config");
  if (config != document.MemberEnd() && !config->value.IsNull()) {
    if (!config->value.IsObject()) Corrupt(path_, "'config' is not an object");
    rapidjson::StringBuffer buffer;
    rapidjson::Writer<rapidjson::StringBuffer> writer(buffer);
    config->value.Accept(writer);
    state.config_json.assign(buffer.GetString(), buffer.GetSize());
    const Parsed<DeviceConfig> parsed = ParseConfigAnswer(state.config_json);
    if (!parsed.value) Corrupt(path_, "'config' is unusable: " + parsed.error);
  }
  return state;
}

namespace {

std::string Serialize(const AgentState& state, bool redact) {
  rapidjson::Document document;
  document.SetObject();
  auto& allocator = document.GetAllocator();
  auto add = [&](const char* name, const std::string& value) {
    document.AddMember(
        rapidjson::StringRef(name),
        rapidjson::Value(value.c_str(), static_cast<rapidjson::SizeType>(value.size()), allocator),
        allocator);
  };
  document.AddMember("format", kStateFormat, allocator);
  add("uuid", state.uuid);
  add("deviceKey", redact ? "(set)" : state.device_key);
  add("deviceName", state.device_name);
  add("deviceType", state.device_type);
  if (!state.region.empty()) add("region", state.region);
  add("server", state.server);
  document.AddMember("registered", state.registered, allocator);
  if (state.registered) {
    rapidjson::Value mqtt(rapidjson::kObjectType);
    mqtt.AddMember(
        "username",
        rapidjson::Value(state.mqtt_username.c_str(),
                         static_cast<rapidjson::SizeType>(state.mqtt_username.size()), allocator),
        allocator);
    const std::string password = redact ? "(set)" : state.mqtt_password;
    mqtt.AddMember("password",
                   rapidjson::Value(password.c_str(),
                                    static_cast<rapidjson::SizeType>(password.size()), allocator),
                   allocator);
    document.AddMember("mqtt", mqtt, allocator);
  }
  if (!state.config_json.empty()) {
    rapidjson::Document config(&allocator);
    config.Parse(state.config_json.c_str(), state.config_json.size());
    if (!config.HasParseError() && config.IsObject()) {
      rapidjson::Value copy(config, allocator);
      document.AddMember("config", copy, allocator);
    }
  }
  rapidjson::StringBuffer buffer;
  rapidjson::PrettyWriter<rapidjson::StringBuffer> writer(buffer);
  writer.SetIndent(' ', 2);
  document.Accept(writer);
  return std::string(buffer.GetString(), buffer.GetSize()) + "\n";
}

}  // namespace

void StateFile::Save(const AgentState& state) const {
  WritePrivateFileAtomically(path_, Serialize(state, /*redact=*/false));
}

std::string StateFile::Describe(const AgentState& state) { return Serialize(state, true); }

DirectoryLock::DirectoryLock(const std::string& dir) {
  MakeStateDirectory(dir);
  const std::string path = dir + "/agent.lock";
  fd_ = open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd_ < 0) throw StateFileError("cannot open " + path + ": " + Errno());
  if (flock(fd_, LOCK_EX | LOCK_NB) != 0) {
    const std::string why =
        errno == EWOULDBLOCK ? "another switchboard-agent uses " + dir : Errno();
    close(fd_);
    fd_ = -1;
    throw StateFileError("cannot lock " + path + ": " + why);
  }
}

DirectoryLock::~DirectoryLock() {
  if (fd_ >= 0) close(fd_);
}

}  // namespace switchboard::agent
