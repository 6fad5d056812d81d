// The plugin's settings: every `plugin_opt_*` line of mosquitto.conf, parsed
// and checked once at start (and again on SIGHUP), every problem reported at
// once. Plain values; thread-safe to read.
#pragma once

#include <chrono>
#include <cstddef>
#include <string>
#include <utility>
#include <vector>

namespace switchboard::mosquitto_plugin {

using Duration = std::chrono::milliseconds;

struct Settings {
  // plugin_opt_url (required): Switchboard's base URL, http:// or https://,
  // e.g. http://127.0.0.1:4002. The plugin POSTs to <url>/api/v1/mqtt/auth
  // and <url>/api/v1/mqtt/acl.
  std::string url;
  // plugin_opt_token_file (required): a file whose first line is the hook
  // token (the shared mqtt_auth token, or this broker's own from
  // POST /api/v1/mqtt/brokers/{id}/hook-token). Read at start and on SIGHUP.
  std::string token_file;
  std::string token;  // its content, trimmed; never logged
  // plugin_opt_ca_file: PEM CA bundle to verify an https:// Switchboard
  // (default: the system store). The host name is always verified.
  std::string ca_file;
  // plugin_opt_positive_ttl: how long an allow (and the topic rights that
  // came with it) is used without asking again. Default 60s.
  Duration positive_ttl{60'000};
  // plugin_opt_negative_ttl: how long a deny or ignore is. Default 5s.
  Duration negative_ttl{5'000};
  // plugin_opt_stale_grace: while Switchboard cannot be reached, an allow
  // older than positive_ttl is still used for this long. Default 5m.
  Duration stale_grace{300'000};
  // plugin_opt_timeout: the longest one HTTP call may take, connecting
  // included. Mosquitto waits meanwhile (its loop is single-threaded), so
  // keep it short. Default 2s.
  Duration timeout{2'000};
  // plugin_opt_backoff: after a failed call, how long to answer from the
  // cache only (never-seen clients are refused) before trying again.
  // Default 1s.
  Duration backoff{1'000};
  // plugin_opt_cache_size: most usernames and credentials kept (least
  // recently used dropped first). Default 100000.
  std::size_t cache_size = 100'000;
};

// Parses the options Mosquitto hands the plugin (key without the
// `plugin_opt_` prefix, value). On success fills `out` (reading the token
// file) and returns an empty list; else returns every problem, one line
// each, naming the option.
std::vector<std::string> ParseSettings(
    const std::vector<std::pair<std::string, std::string>>& options, Settings& out);

// "250ms", "10s", "5m", "1h" → milliseconds; false for anything else (a bare
// number included: the unit is required).
bool ParseDuration(const std::string& text, Duration& out);

}  // namespace switchboard::mosquitto_plugin
