#include "settings.h"

#include <algorithm>
#include <charconv>
#include <fstream>
#include <set>

namespace switchboard::mosquitto_plugin {
namespace {

constexpr std::size_t kMinTokenLength = 32;

const char* const kKnownOptions[] = {"url",          "token_file",   "ca_file",
                                     "positive_ttl", "negative_ttl", "stale_grace",
                                     "timeout",      "backoff",      "cache_size"};

bool ParseCount(const std::string& text, std::size_t& out) {
  if (text.empty() ||
      !std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    return false;
  }
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), out);
  return error == std::errc() && end == text.data() + text.size();
}

}  // namespace

bool ParseDuration(const std::string& text, Duration& out) {
  std::size_t digits = 0;
  while (digits < text.size() && text[digits] >= '0' && text[digits] <= '9') ++digits;
  if (digits == 0 || digits > 9) return false;
  long long value = 0;
  std::from_chars(text.data(), text.data() + digits, value);
  const std::string unit = text.substr(digits);
  if (unit == "ms") {
    out = Duration(value);
  } else if (unit == "s") {
    out = Duration(value * 1000);
  } else if (unit == "m") {
    out = Duration(value * 60'000);
  } else if (unit == "h") {
    out = Duration(value * 3'600'000);
  } else {
    return false;
  }
  return true;
}

std::vector<std::string> ParseSettings(
    const std::vector<std::pair<std::string, std::string>>& options, Settings& out) {
  std::vector<std::string> problems;
  Settings settings;
  std::set<std::string> seen;
  auto duration = [&](const std::string& key, const std::string& value, Duration& target,
                      Duration min) {
    Duration parsed{};
    if (!ParseDuration(value, parsed)) {
      problems.push_back("plugin_opt_" + key +
                         " must be a duration with a unit (e.g. 500ms, 10s, 5m), got '" + value +
                         "'");
    } else if (parsed < min) {
      problems.push_back("plugin_opt_" + key + " must be at least " + std::to_string(min.count()) +
                         "ms, got '" + value + "'");
    } else {
      target = parsed;
    }
  };
  for (const auto& [key, value] : options) {
    if (!seen.insert(key).second) {
      problems.push_back("plugin_opt_" + key + " is given twice");
      continue;
    }
    if (key == "url") {
      settings.url = value;
      while (!settings.url.empty() && settings.url.back() == '/') settings.url.pop_back();
      const bool scheme =
          settings.url.rfind("http://", 0) == 0 || settings.url.rfind("https://", 0) == 0;
      const std::size_t host_at = settings.url.find("://") + 3;
      if (!scheme || settings.url.size() <= host_at ||
          settings.url.find_first_of(" \t\r\n?#") != std::string::npos) {
        problems.push_back(
            "plugin_opt_url must be http://HOST[:PORT] or https://HOST[:PORT] (Switchboard's base "
            "URL), got '" +
            value + "'");
      }
    } else if (key == "token_file") {
      settings.token_file = value;
    } else if (key == "ca_file") {
      settings.ca_file = value;
      if (!std::ifstream(value))
        problems.push_back("plugin_opt_ca_file: cannot read '" + value + "'");
    } else if (key == "positive_ttl") {
      duration(key, value, settings.positive_ttl, Duration(0));
    } else if (key == "negative_ttl") {
      duration(key, value, settings.negative_ttl, Duration(0));
    } else if (key == "stale_grace") {
      duration(key, value, settings.stale_grace, Duration(0));
    } else if (key == "timeout") {
      duration(key, value, settings.timeout, Duration(1));
    } else if (key == "backoff") {
      duration(key, value, settings.backoff, Duration(0));
    } else if (key == "cache_size") {
      if (!ParseCount(value, settings.cache_size) || settings.cache_size < 1 ||
          settings.cache_size > 100'000'000) {
        problems.push_back(
            "plugin_opt_cache_size must be a whole number from 1 to 100000000, got '" + value +
            "'");
      }
    } else {
      std::string known;
      for (const char* name : kKnownOptions) known += std::string(known.empty() ? "" : ", ") + name;
      problems.push_back("unknown option plugin_opt_" + key + " (known: " + known + ")");
    }
  }
  if (settings.url.empty() && !seen.contains("url")) {
    problems.push_back(
        "plugin_opt_url is required (Switchboard's base URL, e.g. http://127.0.0.1:4002)");
  }
  if (settings.token_file.empty()) {
    problems.push_back("plugin_opt_token_file is required (a file holding the hook token)");
  } else {
    std::ifstream in(settings.token_file);
    if (!in) {
      problems.push_back("plugin_opt_token_file: cannot read '" + settings.token_file + "'");
    } else {
      std::getline(in, settings.token);
      while (!settings.token.empty() &&
             (settings.token.back() == '\r' || settings.token.back() == ' ')) {
        settings.token.pop_back();
      }
      if (settings.token.size() < kMinTokenLength ||
          settings.token.find_first_of(" \t\r\n") != std::string::npos) {
        problems.push_back("plugin_opt_token_file: '" + settings.token_file +
                           "' must hold a token of at least " + std::to_string(kMinTokenLength) +
                           " characters without spaces on its first line");
      }
    }
  }
  if (problems.empty()) out = std::move(settings);
  return problems;
}

}  // namespace switchboard::mosquitto_plugin
