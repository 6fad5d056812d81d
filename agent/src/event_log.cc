#include "event_log.h"

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <chrono>
#include <ctime>

namespace switchboard::agent {
namespace {

std::string Now() {
  const auto now = std::chrono::system_clock::now();
  const std::time_t seconds = std::chrono::system_clock::to_time_t(now);
  const auto millis =
      std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count() % 1000;
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  char buffer[80];
  std::snprintf(buffer, sizeof buffer, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", utc.tm_year + 1900,
                utc.tm_mon + 1, utc.tm_mday, utc.tm_hour, utc.tm_min, utc.tm_sec,
                static_cast<int>(millis));
  return buffer;
}

// Text values with spaces, quotes or control characters are quoted, so a
// line stays one line and splits unambiguously into key=value pairs.
std::string TextValue(const std::string& value) {
  bool plain = !value.empty();
  for (const char c : value) {
    if (static_cast<unsigned char>(c) <= 0x20 || c == '"' || c == '=' || c == 0x7f) plain = false;
  }
  if (plain) return value;
  std::string quoted = "\"";
  for (const char c : value) {
    if (c == '"' || c == '\\') {
      quoted += '\\';
      quoted += c;
    } else if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
      quoted += ' ';
    } else {
      quoted += c;
    }
  }
  return quoted + "\"";
}

}  // namespace

void EventLog::AddSecret(const std::string& secret) {
  // Short strings would redact ordinary words; every secret the agent
  // handles is far longer.
  if (secret.size() >= 8) secrets_.push_back(secret);
}

std::string EventLog::Redact(std::string text) const {
  for (const std::string& secret : secrets_) {
    for (auto at = text.find(secret); at != std::string::npos; at = text.find(secret, at + 3)) {
      text.replace(at, secret.size(), "***");
    }
  }
  return text;
}

std::string EventLog::Format(const std::string& level, const std::string& event,
                             const std::string& message, const LogFields& fields) const {
  const std::string time = Now();
  if (format_ == LogFormat::kText) {
    std::string line = time + " " + level + " " + event + ": " + message;
    for (const auto& [key, value] : fields) line += " " + key + "=" + TextValue(value);
    for (char& c : line) {
      if (c == '\n' || c == '\r') c = ' ';
    }
    return Redact(line);
  }
  rapidjson::StringBuffer buffer;
  rapidjson::Writer<rapidjson::StringBuffer> writer(buffer);
  writer.StartObject();
  auto pair = [&](const std::string& key, const std::string& value) {
    writer.Key(key.c_str(), static_cast<rapidjson::SizeType>(key.size()));
    const std::string clean = Redact(value);
    writer.String(clean.c_str(), static_cast<rapidjson::SizeType>(clean.size()));
  };
  pair("time", time);
  pair("level", level);
  pair("event", event);
  pair("message", message);
  for (const auto& [key, value] : fields) pair(key, value);
  writer.EndObject();
  return std::string(buffer.GetString(), buffer.GetSize());
}

void EventLog::Write(const std::string& level, const std::string& event, const std::string& message,
                     const LogFields& fields) {
  const std::string line = Format(level, event, message, fields) + "\n";
  std::fwrite(line.data(), 1, line.size(), out_);
  std::fflush(out_);
}

}  // namespace switchboard::agent
