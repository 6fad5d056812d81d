#include "domain/device_view.h"

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <cstring>
#include <stdexcept>

#include "util/crypto.h"

namespace switchboard {
namespace {

using Writer = rapidjson::Writer<rapidjson::StringBuffer>;

// What FetchJson appends: `,"configVersion":"` (18), 32 hex digits, `"}`.
constexpr std::size_t kFetchSuffixBytes = 18 + 32 + 2;

void String(Writer& w, const std::string& value) {
  w.String(value.data(), static_cast<rapidjson::SizeType>(value.size()));
}

void Topics(Writer& w, const char* key, const std::vector<std::string>& topics) {
  w.Key(key);
  w.StartArray();
  for (const std::string& topic : topics) String(w, topic);
  w.EndArray();
}

// A JSON string literal of `value` (quotes included).
std::string Quoted(const std::string& value) {
  rapidjson::StringBuffer buffer;
  Writer w(buffer);
  String(w, value);
  return std::string(buffer.GetString(), buffer.GetSize());
}

// Bytes of a `brokerConfig` object, rounded up: its names and numbers
// (about 200 bytes) and its strings, PEM line breaks written as `\n`.
std::size_t ConfigBytes(const std::optional<ClientBrokerConfig>& c) {
  if (!c) return 0;
  const std::size_t pem = c->ca_cert.size() + c->client_cert.size();
  return 256 + c->protocol.size() + c->host.size() + c->path.size() + c->client_id_prefix.size() +
         pem + pem / 32;
}

void FailoverEntry(Writer& w, const FailoverEndpoint& endpoint) {
  w.StartObject();
  w.Key("broker");
  String(w, endpoint.broker);
  if (endpoint.broker_config) {
    w.Key("brokerConfig");
    WriteClientBrokerConfig(w, *endpoint.broker_config);
  }
  w.EndObject();
}

std::size_t FailoverEntryBytes(const FailoverEndpoint& endpoint) {
  if (endpoint.json != nullptr) return endpoint.json->size();
  return 32 + endpoint.broker.size() + ConfigBytes(endpoint.broker_config);
}

// Enough for the whole view, so the buffer never grows while it is written
// (each growth copies what was written so far).
std::size_t ViewBytes(const DeviceView& view) {
  std::size_t bytes =
      512 + view.username.size() + view.broker.size() + ConfigBytes(view.broker_config);
  for (const std::string& topic : view.publish_topics) bytes += topic.size() + 8;
  for (const std::string& topic : view.subscribe_topics) bytes += topic.size() + 8;
  for (const FailoverEndpoint& endpoint : view.failover) bytes += FailoverEntryBytes(endpoint);
  return bytes;
}

}  // namespace

std::string FailoverEntryJson(const FailoverEndpoint& endpoint) {
  rapidjson::StringBuffer buffer(nullptr,
                                 32 + endpoint.broker.size() + ConfigBytes(endpoint.broker_config));
  Writer w(buffer);
  FailoverEntry(w, endpoint);
  return std::string(buffer.GetString(), buffer.GetSize());
}

std::string DeviceViewJson(const DeviceView& view) {
  rapidjson::StringBuffer buffer(nullptr, ViewBytes(view));
  Writer w(buffer);
  w.StartObject();
  w.Key("username");
  String(w, view.username);
  w.Key("broker");
  String(w, view.broker);
  if (view.broker_config) {
    w.Key("brokerConfig");
    WriteClientBrokerConfig(w, *view.broker_config);
  }
  w.Key("topics");
  w.StartObject();
  Topics(w, "publish", view.publish_topics);
  Topics(w, "subscribe", view.subscribe_topics);
  w.EndObject();
  w.Key("failover");
  w.StartArray();
  for (const FailoverEndpoint& endpoint : view.failover) {
    if (endpoint.json != nullptr) {
      // Written by FailoverEntry() too, once per snapshot: the same bytes.
      // RawValue copies byte by byte: it writes only the separator here,
      // and the entry is copied in one go.
      const std::string& json = *endpoint.json;
      w.RawValue("", 0, rapidjson::kObjectType);
      std::memcpy(buffer.Push(json.size()), json.data(), json.size());
    } else {
      FailoverEntry(w, endpoint);
    }
  }
  w.EndArray();
  const ReconnectConfig& r = view.reconnect;
  w.Key("reconnect");
  w.StartObject();
  w.Key("initialDelayMs");
  w.Int64(r.initial_delay.count());
  w.Key("maxDelayMs");
  w.Int64(r.max_delay.count());
  w.Key("jitter");
  w.Double(r.jitter);
  w.Key("attemptsPerEndpoint");
  w.Int(r.attempts_per_endpoint);
  w.Key("failbackAfterSeconds");
  w.Int64(r.failback_after.count() / 1000);
  w.EndObject();
  w.Key("refreshAfterSeconds");
  w.Int64(view.refresh_after_seconds);
  w.EndObject();
  // Room for FetchJson's suffix, so the fetch's answer is this string
  // extended in place rather than a second copy of it.
  std::string out;
  out.reserve(buffer.GetSize() + kFetchSuffixBytes);
  out.assign(buffer.GetString(), buffer.GetSize());
  return out;
}

std::string ConfigVersionOf(const std::string& view_json) {
  return Sha256Hex(view_json).substr(0, 32);
}

std::string FetchJson(std::string view_json, const std::string& config_version) {
  // The view ends with '}': reopen it for one more member.
  view_json.pop_back();
  view_json.append(",\"configVersion\":\"").append(config_version).append("\"}");
  return view_json;
}

std::string RegistrationMqttJson(const std::string& view_json, const std::string& password,
                                 const std::string& config_version) {
  // `password` goes right after `username`, where registration has always
  // had it: find the end of the username member ({"username":"…",).
  constexpr std::string_view kStart = "{\"username\":";
  if (view_json.compare(0, kStart.size(), kStart) != 0) {
    throw std::logic_error("device view does not start with its username");
  }
  std::size_t at = kStart.size() + 1;  // past the opening quote
  while (at < view_json.size() && view_json[at] != '"') at += view_json[at] == '\\' ? 2 : 1;
  ++at;  // past the closing quote; view_json[at] is ','
  std::string out = FetchJson(view_json, config_version);
  out.insert(at + 1, "\"password\":" + Quoted(password) + ",");
  return out;
}

}  // namespace switchboard
