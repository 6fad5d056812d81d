#include "server_answer.h"

#include <rapidjson/document.h>
#include <rapidjson/reader.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <cmath>
#include <cstdint>
#include <limits>

#include "broker_url.h"

namespace switchboard::agent {
namespace {

constexpr unsigned kParseFlags =
    rapidjson::kParseIterativeFlag | rapidjson::kParseValidateEncodingFlag;

// Counts nesting during a SAX pass, so the DOM is built only for bodies
// within kMaxAnswerDepth.
struct DepthLimit : rapidjson::BaseReaderHandler<rapidjson::UTF8<>, DepthLimit> {
  int depth = 0;
  bool too_deep = false;
  bool Default() { return true; }
  bool StartObject() { return Enter(); }
  bool EndObject(rapidjson::SizeType) { return Leave(); }
  bool StartArray() { return Enter(); }
  bool EndArray(rapidjson::SizeType) { return Leave(); }
  bool Enter() {
    too_deep = ++depth > kMaxAnswerDepth;
    return !too_deep;
  }
  bool Leave() {
    --depth;
    return true;
  }
};

// Parses `body` into `document`; "" or why not.
std::string ParseObject(std::string_view body, rapidjson::Document& document) {
  if (body.size() > kMaxAnswerBytes) return "answer is larger than 1 MiB";
  DepthLimit limit;
  rapidjson::Reader reader;
  rapidjson::MemoryStream stream(body.data(), body.size());
  if (!reader.Parse<kParseFlags>(stream, limit)) {
    return limit.too_deep ? "answer is nested too deeply" : "answer is not valid JSON";
  }
  document.Parse<kParseFlags>(body.data(), body.size());
  if (document.HasParseError()) return "answer is not valid JSON";
  if (!document.IsObject()) return "answer is not a JSON object";
  return "";
}

const rapidjson::Value* Member(const rapidjson::Value& object, const char* name) {
  if (!object.IsObject()) return nullptr;
  const auto it = object.FindMember(name);
  return it == object.MemberEnd() ? nullptr : &it->value;
}

// Reads optional members of one object, collecting warnings that name the
// member by its path (never its value).
class Reader {
 public:
  Reader(const rapidjson::Value& object, std::string path, std::vector<std::string>* warnings)
      : object_(object), path_(std::move(path)), warnings_(warnings) {}

  const rapidjson::Value* Get(const char* name) const {
    const rapidjson::Value* value = Member(object_, name);
    return value == nullptr || value->IsNull() ? nullptr : value;
  }
  std::string Path(const char* name) const { return path_.empty() ? name : path_ + "." + name; }

  void String(const char* name, std::string* out) const {
    const rapidjson::Value* value = Get(name);
    if (value == nullptr) return;
    if (!value->IsString()) return Warn(name, "is not a string");
    *out = std::string(value->GetString(), value->GetStringLength());
  }
  void Bool(const char* name, bool* out) const {
    const rapidjson::Value* value = Get(name);
    if (value == nullptr) return;
    if (!value->IsBool()) return Warn(name, "is not a boolean");
    *out = value->GetBool();
  }
  // An integer in [low, high]; values outside are a warning unless `clamp`.
  void Int(const char* name, int low, int high, int* out, bool clamp = false) const {
    const rapidjson::Value* value = Get(name);
    if (value == nullptr) return;
    if (!value->IsInt64()) return Warn(name, "is not an integer");
    const std::int64_t number = value->GetInt64();
    if (number < low || number > high) {
      if (!clamp) {
        return Warn(name, "is out of range " + std::to_string(low) + ".." + std::to_string(high));
      }
      *out = number < low ? low : high;
      return;
    }
    *out = static_cast<int>(number);
  }
  void Fraction(const char* name, double* out) const {
    const rapidjson::Value* value = Get(name);
    if (value == nullptr) return;
    if (!value->IsNumber()) return Warn(name, "is not a number");
    const double number = value->GetDouble();
    if (!std::isfinite(number) || number < 0 || number > 1)
      return Warn(name, "is out of range 0..1");
    *out = number;
  }
  void Warn(const char* name, const std::string& what) const {
    warnings_->push_back(Path(name) + " " + what + "; ignored");
  }

 private:
  const rapidjson::Value& object_;
  std::string path_;
  std::vector<std::string>* warnings_;
};

// One endpoint from an object holding `broker` and/or `brokerConfig` (the
// `mqtt` object itself, or a `failover` entry).
std::optional<Endpoint> ReadEndpoint(const rapidjson::Value& holder, const std::string& path,
                                     std::vector<std::string>* warnings, std::string* error) {
  const Reader top(holder, path, warnings);
  std::string url;
  const rapidjson::Value* broker = top.Get("broker");
  if (broker != nullptr && !broker->IsString()) {
    *error = top.Path("broker") + " is not a string";
    return std::nullopt;
  }
  if (broker != nullptr) url.assign(broker->GetString(), broker->GetStringLength());
  const rapidjson::Value* config = top.Get("brokerConfig");
  if (config != nullptr && !config->IsObject()) {
    *error = top.Path("brokerConfig") + " is not an object";
    return std::nullopt;
  }

  Endpoint endpoint;
  if (config == nullptr) {
    if (url.empty()) {
      *error = top.Path("broker") + " is missing (and there is no brokerConfig)";
      return std::nullopt;
    }
    std::string why;
    auto parsed = ParseBrokerUrl(url, &why);
    if (!parsed) {
      *error = top.Path("broker") + ": " + why;
      return std::nullopt;
    }
    return parsed;
  }

  const Reader read(*config, top.Path("brokerConfig"), warnings);
  const rapidjson::Value* host = read.Get("host");
  if (host == nullptr || !host->IsString() || host->GetStringLength() == 0 ||
      host->GetStringLength() > 255) {
    *error = read.Path("host") + " is missing or not a host name";
    return std::nullopt;
  }
  endpoint.host.assign(host->GetString(), host->GetStringLength());
  if (endpoint.host.find_first_of(" \t\r\n/@[]") != std::string::npos ||
      endpoint.host.find('\0') != std::string::npos) {
    *error = read.Path("host") + " is not a host name";
    return std::nullopt;
  }
  const rapidjson::Value* port = read.Get("port");
  if (port == nullptr || !port->IsInt64() || port->GetInt64() < 1 || port->GetInt64() > 65535) {
    *error = read.Path("port") + " is missing or not a port (1..65535)";
    return std::nullopt;
  }
  endpoint.port = static_cast<int>(port->GetInt64());

  std::optional<Endpoint> from_url;
  if (!url.empty()) {
    std::string why;
    from_url = ParseBrokerUrl(url, &why);
    if (!from_url) warnings->push_back(top.Path("broker") + ": " + why + "; brokerConfig used");
  }
  endpoint.protocol = from_url ? from_url->protocol : "mqtt";
  read.String("protocol", &endpoint.protocol);
  if (endpoint.protocol != "mqtt" && endpoint.protocol != "mqtts" && endpoint.protocol != "ws" &&
      endpoint.protocol != "wss") {
    read.Warn("protocol", "is not mqtt, mqtts, ws or wss");
    endpoint.protocol = from_url ? from_url->protocol : "mqtt";
  }
  endpoint.use_tls = endpoint.protocol == "mqtts" || endpoint.protocol == "wss";
  read.Bool("useTls", &endpoint.use_tls);
  read.Bool("verifyCertificate", &endpoint.verify_certificate);
  read.String("caCert", &endpoint.ca_cert);
  read.String("clientIdPrefix", &endpoint.client_id_prefix);
  if (endpoint.client_id_prefix.size() > 128) {
    read.Warn("clientIdPrefix", "is longer than 128 bytes");
    endpoint.client_id_prefix.clear();
  }
  read.Int("keepAlive", 5, 65535, &endpoint.keep_alive_s, /*clamp=*/true);
  read.Bool("cleanSession", &endpoint.clean_session);
  read.Int("connectTimeout", 1, std::numeric_limits<int>::max(), &endpoint.connect_timeout_ms);
  read.Int("reconnectPeriod", 0, std::numeric_limits<int>::max(), &endpoint.reconnect_period_ms);
  endpoint.url = url.empty() ? BrokerUrlOf(endpoint) : url;
  return endpoint;
}

void ReadTopics(const rapidjson::Value& mqtt, DeviceConfig* config,
                std::vector<std::string>* warnings) {
  const Reader top(mqtt, "", warnings);
  const rapidjson::Value* topics = top.Get("topics");
  if (topics == nullptr) return;
  if (!topics->IsObject()) return top.Warn("topics", "is not an object");
  const Reader read(*topics, "topics", warnings);
  for (const auto& [name, out] :
       {std::pair{"publish", &config->publish}, std::pair{"subscribe", &config->subscribe}}) {
    const rapidjson::Value* list = read.Get(name);
    if (list == nullptr) continue;
    if (!list->IsArray()) {
      read.Warn(name, "is not an array");
      continue;
    }
    for (const auto& item : list->GetArray()) {
      if (item.IsString() && item.GetStringLength() > 0) {
        out->emplace_back(item.GetString(), item.GetStringLength());
      } else {
        read.Warn(name, "has an entry that is not a topic");
      }
    }
  }
}

void ReadReconnect(const rapidjson::Value& mqtt, DeviceConfig* config,
                   std::vector<std::string>* warnings) {
  ReconnectPolicy& policy = config->reconnect;
  if (config->endpoints.front().reconnect_period_ms > 0) {
    policy.initial_delay_ms = config->endpoints.front().reconnect_period_ms;
  }
  const Reader top(mqtt, "", warnings);
  const rapidjson::Value* reconnect = top.Get("reconnect");
  if (reconnect == nullptr) return;
  if (!reconnect->IsObject()) return top.Warn("reconnect", "is not an object");
  config->reconnect_from_server = true;
  policy = ReconnectPolicy{};
  const Reader read(*reconnect, "reconnect", warnings);
  constexpr int kMax = std::numeric_limits<int>::max();
  read.Int("initialDelayMs", 1, kMax, &policy.initial_delay_ms);
  read.Int("maxDelayMs", 1, kMax, &policy.max_delay_ms);
  read.Fraction("jitter", &policy.jitter);
  read.Int("attemptsPerEndpoint", 1, 1000, &policy.attempts_per_endpoint);
  read.Int("failbackAfterSeconds", 1, kMax, &policy.failback_after_s);
  if (policy.max_delay_ms < policy.initial_delay_ms) {
    read.Warn("maxDelayMs", "is below initialDelayMs");
    policy.max_delay_ms = policy.initial_delay_ms;
  }
}

// The `mqtt` object (or the fetch answer) without the password, compact.
std::string Serialize(const rapidjson::Value& mqtt) {
  rapidjson::Document copy;
  copy.CopyFrom(mqtt, copy.GetAllocator());
  copy.RemoveMember("password");
  rapidjson::StringBuffer buffer;
  rapidjson::Writer<rapidjson::StringBuffer> writer(buffer);
  copy.Accept(writer);
  return std::string(buffer.GetString(), buffer.GetSize());
}

Parsed<DeviceConfig> ReadConfig(const rapidjson::Value& mqtt, const std::string& path) {
  Parsed<DeviceConfig> result;
  DeviceConfig config;
  const rapidjson::Value* username = Member(mqtt, "username");
  if (username == nullptr || !username->IsString() || username->GetStringLength() == 0) {
    result.error = (path.empty() ? "" : path + ".") + "username is missing or not a string";
    return result;
  }
  config.username.assign(username->GetString(), username->GetStringLength());
  std::optional<Endpoint> primary = ReadEndpoint(mqtt, path, &result.warnings, &result.error);
  if (!primary) return result;
  config.endpoints.push_back(std::move(*primary));

  const Reader top(mqtt, path, &result.warnings);
  if (const rapidjson::Value* failover = top.Get("failover")) {
    if (!failover->IsArray()) {
      top.Warn("failover", "is not an array");
    } else {
      int index = 0;
      for (const auto& entry : failover->GetArray()) {
        const std::string entry_path = top.Path("failover") + "[" + std::to_string(index++) + "]";
        std::string why;
        std::optional<Endpoint> endpoint =
            entry.IsObject() ? ReadEndpoint(entry, entry_path, &result.warnings, &why)
                             : std::nullopt;
        if (!endpoint) {
          result.warnings.push_back(entry_path + (why.empty() ? " is not an object" : ": " + why) +
                                    "; skipped");
          continue;
        }
        config.endpoints.push_back(std::move(*endpoint));
      }
    }
  }
  ReadTopics(mqtt, &config, &result.warnings);
  ReadReconnect(mqtt, &config, &result.warnings);
  top.String("configVersion", &config.config_version);
  if (config.config_version.size() > 256) {
    top.Warn("configVersion", "is longer than 256 bytes");
    config.config_version.clear();
  }
  if (top.Get("refreshAfterSeconds") != nullptr) {
    int refresh = 0;
    top.Int("refreshAfterSeconds", 1, 7 * 24 * 3600, &refresh);
    if (refresh > 0) {
      config.refresh_after_s = refresh;
      config.refresh_from_server = true;
    }
  }
  config.raw_json = Serialize(mqtt);
  result.value = std::move(config);
  return result;
}

}  // namespace

bool DeviceConfig::SameAs(const DeviceConfig& other) const {
  if (!config_version.empty() && !other.config_version.empty()) {
    return config_version == other.config_version;
  }
  return username == other.username && endpoints == other.endpoints && publish == other.publish &&
         subscribe == other.subscribe && reconnect == other.reconnect &&
         refresh_after_s == other.refresh_after_s && config_version == other.config_version;
}

Parsed<Registration> ParseRegistrationAnswer(std::string_view body) {
  Parsed<Registration> result;
  rapidjson::Document document;
  result.error = ParseObject(body, document);
  if (!result.error.empty()) return result;
  const rapidjson::Value* uuid = Member(document, "uuid");
  if (uuid == nullptr || !uuid->IsString()) {
    result.error = "uuid is missing or not a string";
    return result;
  }
  const rapidjson::Value* mqtt = Member(document, "mqtt");
  if (mqtt == nullptr || !mqtt->IsObject()) {
    result.error = "mqtt is missing or not an object";
    return result;
  }
  const rapidjson::Value* password = Member(*mqtt, "password");
  if (password == nullptr || !password->IsString() || password->GetStringLength() == 0) {
    result.error = "mqtt.password is missing or not a string";
    return result;
  }
  Parsed<DeviceConfig> config = ReadConfig(*mqtt, "mqtt");
  result.warnings = std::move(config.warnings);
  if (!config.value) {
    result.error = std::move(config.error);
    return result;
  }
  result.value = Registration{std::string(uuid->GetString(), uuid->GetStringLength()),
                              std::string(password->GetString(), password->GetStringLength()),
                              std::move(*config.value)};
  return result;
}

Parsed<DeviceConfig> ParseConfigAnswer(std::string_view body) {
  rapidjson::Document document;
  const std::string error = ParseObject(body, document);
  if (!error.empty()) {
    Parsed<DeviceConfig> result;
    result.error = error;
    return result;
  }
  return ReadConfig(document, "");
}

std::string ParseErrorMessage(std::string_view body) {
  rapidjson::Document document;
  if (!ParseObject(body, document).empty()) return "";
  const rapidjson::Value* error = Member(document, "error");
  const rapidjson::Value* message = error == nullptr ? nullptr : Member(*error, "message");
  if (message == nullptr || !message->IsString()) return "";
  std::string text(message->GetString(), message->GetStringLength());
  if (text.size() > 300) {
    std::size_t cut = 300;
    // Never cut inside a UTF-8 sequence (continuation bytes are 10xxxxxx).
    while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xc0) == 0x80) --cut;
    text = text.substr(0, cut) + "…";
  }
  for (char& c : text) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) c = ' ';
  }
  return text;
}

}  // namespace switchboard::agent
