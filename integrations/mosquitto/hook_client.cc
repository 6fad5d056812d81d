#include "hook_client.h"

#include <curl/curl.h>
#include <openssl/crypto.h>
#include <rapidjson/document.h>
#include <rapidjson/error/en.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <stdexcept>

namespace switchboard::mosquitto_plugin {
namespace {

// Answers are a few hundred bytes; anything far larger is not Switchboard.
constexpr std::size_t kMaxAnswerBytes = 1 << 20;

std::size_t Collect(char* data, std::size_t size, std::size_t count, void* user) {
  auto* body = static_cast<std::string*>(user);
  const std::size_t bytes = size * count;
  if (body->size() + bytes > kMaxAnswerBytes) return 0;  // curl fails the transfer
  body->append(data, bytes);
  return bytes;
}

using JsonWriter =
    rapidjson::Writer<rapidjson::StringBuffer, rapidjson::UTF8<>, rapidjson::UTF8<>,
                      rapidjson::CrtAllocator, rapidjson::kWriteValidateEncodingFlag>;

// False when a value is not valid UTF-8 (JSON cannot carry it).
bool Field(JsonWriter& json, const char* key, const std::string& value) {
  json.Key(key);
  return json.String(value.data(), static_cast<rapidjson::SizeType>(value.size()));
}

}  // namespace

bool ParseHookAnswer(const std::string& body, bool expect_rules, HookAnswer& out) {
  rapidjson::Document document;
  document.Parse<rapidjson::kParseValidateEncodingFlag | rapidjson::kParseIterativeFlag>(
      body.data(), body.size());
  if (document.HasParseError() || !document.IsObject()) {
    out.error = "Switchboard's answer is not a JSON object";
    return false;
  }
  const auto result = document.FindMember("result");
  if (result == document.MemberEnd() || !result->value.IsString()) {
    out.error = "Switchboard's answer has no \"result\"";
    return false;
  }
  const std::string value = result->value.GetString();
  if (value == "deny") {
    out.status = HookAnswer::Status::kDeny;
  } else if (value == "ignore") {
    out.status = HookAnswer::Status::kIgnore;
  } else if (value == "allow") {
    out.status = HookAnswer::Status::kAllow;
  } else {
    out.error = "Switchboard's answer has an unknown \"result\"";
    return false;
  }
  out.rules.clear();
  if (out.status != HookAnswer::Status::kAllow || !expect_rules) return true;
  const auto acl = document.FindMember("acl");
  if (acl == document.MemberEnd() || !acl->value.IsArray()) {
    out.error = "Switchboard's allow has no \"acl\" list";
    return false;
  }
  for (const auto& entry : acl->value.GetArray()) {
    auto text = [&](const char* name) -> const char* {
      if (!entry.IsObject()) return nullptr;
      const auto member = entry.FindMember(name);
      return member != entry.MemberEnd() && member->value.IsString() ? member->value.GetString()
                                                                     : nullptr;
    };
    const char* permission = text("permission");
    const char* action = text("action");
    const char* topic = text("topic");
    if (permission == nullptr || action == nullptr || topic == nullptr) {
      out.error = "Switchboard's \"acl\" has an entry without permission, action or topic";
      return false;
    }
    Rule rule;
    rule.allow = std::string_view(permission) == "allow";
    const std::string_view verb(action);
    rule.action = verb == "publish"     ? Rule::Action::kPublish
                  : verb == "subscribe" ? Rule::Action::kSubscribe
                                        : Rule::Action::kAll;
    if (!rule.allow && std::string_view(permission) != "deny") {
      out.error = "Switchboard's \"acl\" has an unknown permission";
      return false;
    }
    if (verb != "publish" && verb != "subscribe" && verb != "all") {
      out.error = "Switchboard's \"acl\" has an unknown action";
      return false;
    }
    rule.topic = topic;
    out.rules.push_back(std::move(rule));
  }
  return true;
}

HookClient::HookClient(const Settings& settings) {
  curl_ = curl_easy_init();
  if (curl_ == nullptr) throw std::runtime_error("libcurl could not create a handle");
  Configure(settings);
}

HookClient::~HookClient() {
  curl_slist_free_all(headers_);
  curl_easy_cleanup(curl_);
}

void HookClient::Reconfigure(const Settings& settings) {
  if (settings.url != base_url_) {
    // A new address: do not reuse the connection to the old one.
    curl_easy_cleanup(curl_);
    curl_ = curl_easy_init();
    if (curl_ == nullptr) throw std::runtime_error("libcurl could not create a handle");
  }
  Configure(settings);
}

void HookClient::Configure(const Settings& settings) {
  base_url_ = settings.url;
  auth_url_ = settings.url + "/api/v1/mqtt/auth";
  acl_url_ = settings.url + "/api/v1/mqtt/acl";
  curl_slist_free_all(headers_);
  headers_ = nullptr;
  headers_ = curl_slist_append(headers_, "Content-Type: application/json");
  headers_ = curl_slist_append(headers_, ("Authorization: Bearer " + settings.token).c_str());
  // Bodies can pass 1 KiB (long passwords): never wait for 100 Continue.
  headers_ = curl_slist_append(headers_, "Expect:");
  if (headers_ == nullptr) throw std::runtime_error("libcurl could not allocate headers");
  curl_easy_setopt(curl_, CURLOPT_HTTPHEADER, headers_);
  curl_easy_setopt(curl_, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl_, CURLOPT_TIMEOUT_MS, static_cast<long>(settings.timeout.count()));
  curl_easy_setopt(curl_, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(settings.timeout.count()));
  curl_easy_setopt(curl_, CURLOPT_FOLLOWLOCATION, 0L);
  curl_easy_setopt(curl_, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(curl_, CURLOPT_TCP_NODELAY, 1L);
  curl_easy_setopt(curl_, CURLOPT_WRITEFUNCTION, Collect);
  if (!settings.ca_file.empty()) curl_easy_setopt(curl_, CURLOPT_CAINFO, settings.ca_file.c_str());
  curl_easy_setopt(curl_, CURLOPT_SSL_VERIFYPEER, 1L);
  curl_easy_setopt(curl_, CURLOPT_SSL_VERIFYHOST, 2L);
}

HookAnswer HookClient::Authenticate(const std::string& username, const std::string& password,
                                    const std::string& clientid, const std::string& peerhost) {
  rapidjson::StringBuffer buffer;
  JsonWriter json(buffer);
  json.StartObject();
  bool ok = Field(json, "username", username);
  ok = ok && Field(json, "password", password);
  ok = ok && Field(json, "clientid", clientid);
  ok = ok && Field(json, "peerhost", peerhost);
  if (!ok) {
    HookAnswer answer;
    answer.status = HookAnswer::Status::kIgnore;
    answer.error = "credentials are not UTF-8: not asking Switchboard";
    return answer;
  }
  json.EndObject();
  std::string body(buffer.GetString(), buffer.GetSize());
  HookAnswer answer = Post(auth_url_, body, true);
  // The body holds the password: do not leave it in freed memory.
  OPENSSL_cleanse(body.data(), body.size());
  OPENSSL_cleanse(const_cast<char*>(buffer.GetString()), buffer.GetSize());
  return answer;
}

HookAnswer HookClient::CheckAcl(const std::string& username, const std::string& clientid,
                                const std::string& topic, const char* action) {
  rapidjson::StringBuffer buffer;
  JsonWriter json(buffer);
  json.StartObject();
  bool ok = Field(json, "username", username);
  ok = ok && Field(json, "clientid", clientid);
  ok = ok && Field(json, "topic", topic);
  ok = ok && Field(json, "action", action);
  if (!ok) {
    HookAnswer answer;
    answer.status = HookAnswer::Status::kDeny;
    answer.error = "topic is not UTF-8";
    return answer;
  }
  json.EndObject();
  return Post(acl_url_, std::string(buffer.GetString(), buffer.GetSize()), false);
}

HookAnswer HookClient::Post(const std::string& url, const std::string& body, bool expect_rules) {
  HookAnswer answer;
  std::string received;
  curl_easy_setopt(curl_, CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl_, CURLOPT_POSTFIELDS, body.data());
  curl_easy_setopt(curl_, CURLOPT_POSTFIELDSIZE, static_cast<long>(body.size()));
  curl_easy_setopt(curl_, CURLOPT_WRITEDATA, &received);
  const CURLcode code = curl_easy_perform(curl_);
  // The request body may hold a password: drop libcurl's pointer to it.
  curl_easy_setopt(curl_, CURLOPT_POSTFIELDS, "");
  if (code != CURLE_OK) {
    answer.error = std::string("cannot reach ") + base_url_ + ": " + curl_easy_strerror(code);
    return answer;
  }
  long status = 0;
  curl_easy_getinfo(curl_, CURLINFO_RESPONSE_CODE, &status);
  if (status >= 400 && status < 500) {
    answer.status = HookAnswer::Status::kRefused;
    // Switchboard's error messages carry no secret; keep the line short.
    answer.error = url + " answered " + std::to_string(status) + ": " + received.substr(0, 300);
    return answer;
  }
  if (status != 200) {
    answer.error = url + " answered " + std::to_string(status);
    return answer;
  }
  if (!ParseHookAnswer(received, expect_rules, answer)) {
    answer.status = HookAnswer::Status::kUnreachable;
  }
  return answer;
}

}  // namespace switchboard::mosquitto_plugin
