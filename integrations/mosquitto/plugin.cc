// libswitchboard_mosquitto.so: the Mosquitto 2 plugin (plugin API v5) that
// asks Switchboard whether to admit a client and what it may do. The three
// functions Mosquitto calls are at the end; decisions are in admission.h,
// options in settings.h, the HTTP calls in hook_client.h. README.md shows
// the configuration.
//
// Threads: Mosquitto 2.0 runs plugins on its main loop thread only; nothing
// here locks. An HTTP call blocks that loop for at most plugin_opt_timeout.
#include <curl/curl.h>
#include <mosquitto.h>
#include <mosquitto_broker.h>
#include <mosquitto_plugin.h>

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "admission.h"
#include "hook_client.h"
#include "settings.h"

namespace {

using switchboard::mosquitto_plugin::Access;
using switchboard::mosquitto_plugin::Admission;
using switchboard::mosquitto_plugin::Clock;
using switchboard::mosquitto_plugin::HookClient;
using switchboard::mosquitto_plugin::LogLevel;
using switchboard::mosquitto_plugin::ParseSettings;
using switchboard::mosquitto_plugin::Settings;
using switchboard::mosquitto_plugin::Verdict;

struct Plugin {
  mosquitto_plugin_id_t* id = nullptr;
  std::unique_ptr<HookClient> client;
  std::unique_ptr<Admission> admission;
};

// libcurl's global state is set up once for every instance (Mosquitto loads
// one per listener with per_listener_settings true).
int curl_users = 0;

void Log(LogLevel level, const std::string& line) {
  const int mosquitto_level = level == LogLevel::kError     ? MOSQ_LOG_ERR
                              : level == LogLevel::kWarning ? MOSQ_LOG_WARNING
                                                            : MOSQ_LOG_INFO;
  mosquitto_log_printf(mosquitto_level, "%s", line.c_str());
}

std::vector<std::pair<std::string, std::string>> Options(const mosquitto_opt* options, int count) {
  std::vector<std::pair<std::string, std::string>> out;
  for (int i = 0; i < count; ++i) {
    out.emplace_back(options[i].key ? options[i].key : "",
                     options[i].value ? options[i].value : "");
  }
  return out;
}

// Every problem on its own line, so Mosquitto's log shows them all.
bool LoadSettings(const mosquitto_opt* options, int count, Settings& out) {
  const std::vector<std::string> problems = ParseSettings(Options(options, count), out);
  for (const std::string& problem : problems) {
    mosquitto_log_printf(MOSQ_LOG_ERR, "switchboard: %s", problem.c_str());
  }
  return problems.empty();
}

std::string Text(const char* value) { return value ? value : ""; }

int OnBasicAuth(int, void* event_data, void* userdata) {
  auto* plugin = static_cast<Plugin*>(userdata);
  const auto* event = static_cast<mosquitto_evt_basic_auth*>(event_data);
  // No username: not a Switchboard client (anonymous access is Mosquitto's).
  if (event->username == nullptr) return MOSQ_ERR_PLUGIN_DEFER;
  try {
    const Verdict verdict = plugin->admission->Authenticate(
        event->username, Text(event->password), Text(mosquitto_client_id(event->client)),
        Text(mosquitto_client_address(event->client)));
    if (verdict == Verdict::kAllow) return MOSQ_ERR_SUCCESS;
    if (verdict == Verdict::kDefer) return MOSQ_ERR_PLUGIN_DEFER;
  } catch (const std::exception& e) {
    mosquitto_log_printf(MOSQ_LOG_ERR, "switchboard: authentication failed: %s", e.what());
  }
  return MOSQ_ERR_AUTH;
}

int OnAclCheck(int, void* event_data, void* userdata) {
  auto* plugin = static_cast<Plugin*>(userdata);
  const auto* event = static_cast<mosquitto_evt_acl_check*>(event_data);
  const char* username = mosquitto_client_username(event->client);
  if (username == nullptr || event->topic == nullptr) return MOSQ_ERR_PLUGIN_DEFER;
  Access access;
  switch (event->access) {
    case MOSQ_ACL_WRITE:
      access = Access::kPublish;
      break;
    case MOSQ_ACL_READ:
      access = Access::kRead;
      break;
    case MOSQ_ACL_SUBSCRIBE:
      access = Access::kSubscribe;
      break;
    case MOSQ_ACL_UNSUBSCRIBE:
      return MOSQ_ERR_SUCCESS;  // giving up a subscription is always allowed
    default:
      return MOSQ_ERR_PLUGIN_DEFER;
  }
  try {
    const Verdict verdict = plugin->admission->CheckAcl(
        username, Text(mosquitto_client_id(event->client)), event->topic, access);
    if (verdict == Verdict::kAllow) return MOSQ_ERR_SUCCESS;
    if (verdict == Verdict::kDefer) return MOSQ_ERR_PLUGIN_DEFER;
  } catch (const std::exception& e) {
    mosquitto_log_printf(MOSQ_LOG_ERR, "switchboard: ACL check failed: %s", e.what());
  }
  return MOSQ_ERR_ACL_DENIED;
}

// SIGHUP: options and the token file are read again; on a problem the
// running settings stay.
int OnReload(int, void* event_data, void* userdata) {
  auto* plugin = static_cast<Plugin*>(userdata);
  const auto* event = static_cast<mosquitto_evt_reload*>(event_data);
  Settings settings;
  if (!LoadSettings(event->options, event->option_count, settings)) {
    mosquitto_log_printf(MOSQ_LOG_ERR,
                         "switchboard: reload refused, the previous settings stay in force");
    return MOSQ_ERR_SUCCESS;
  }
  try {
    plugin->client->Reconfigure(settings);
    plugin->admission->Reconfigure(std::move(settings));
    mosquitto_log_printf(MOSQ_LOG_INFO, "switchboard: settings reloaded");
  } catch (const std::exception& e) {
    mosquitto_log_printf(MOSQ_LOG_ERR, "switchboard: reload failed: %s", e.what());
  }
  return MOSQ_ERR_SUCCESS;
}

}  // namespace

extern "C" {

__attribute__((visibility("default"))) int mosquitto_plugin_version(int supported_version_count,
                                                                    const int* supported_versions) {
  for (int i = 0; i < supported_version_count; ++i) {
    if (supported_versions[i] == MOSQ_PLUGIN_VERSION) return MOSQ_PLUGIN_VERSION;
  }
  mosquitto_log_printf(MOSQ_LOG_ERR,
                       "switchboard: this plugin needs plugin API version %d (Mosquitto 2.0 or "
                       "later), which this broker does not offer",
                       MOSQ_PLUGIN_VERSION);
  return -1;
}

__attribute__((visibility("default"))) int mosquitto_plugin_init(mosquitto_plugin_id_t* identifier,
                                                                 void** userdata,
                                                                 mosquitto_opt* options,
                                                                 int option_count) {
  Settings settings;
  if (!LoadSettings(options, option_count, settings)) {
    mosquitto_log_printf(MOSQ_LOG_ERR,
                         "switchboard: bad plugin_opt_* settings (above): refusing to start; see "
                         "the plugin's README.md");
    return MOSQ_ERR_INVAL;
  }
  try {
    if (curl_users++ == 0 && curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
      curl_users = 0;
      mosquitto_log_printf(MOSQ_LOG_ERR, "switchboard: libcurl could not be initialised");
      return MOSQ_ERR_UNKNOWN;
    }
    auto plugin = std::make_unique<Plugin>();
    plugin->id = identifier;
    plugin->client = std::make_unique<HookClient>(settings);
    const std::string url = settings.url;
    plugin->admission =
        std::make_unique<Admission>(std::move(settings), *plugin->client, &Clock::now, &Log);
    if (mosquitto_callback_register(identifier, MOSQ_EVT_BASIC_AUTH, OnBasicAuth, nullptr,
                                    plugin.get()) != MOSQ_ERR_SUCCESS ||
        mosquitto_callback_register(identifier, MOSQ_EVT_ACL_CHECK, OnAclCheck, nullptr,
                                    plugin.get()) != MOSQ_ERR_SUCCESS ||
        mosquitto_callback_register(identifier, MOSQ_EVT_RELOAD, OnReload, nullptr, plugin.get()) !=
            MOSQ_ERR_SUCCESS) {
      mosquitto_log_printf(MOSQ_LOG_ERR, "switchboard: could not register the plugin's callbacks");
      return MOSQ_ERR_UNKNOWN;
    }
    mosquitto_log_printf(MOSQ_LOG_INFO, "switchboard: asking %s to admit clients", url.c_str());
    *userdata = plugin.release();
    return MOSQ_ERR_SUCCESS;
  } catch (const std::exception& e) {
    mosquitto_log_printf(MOSQ_LOG_ERR, "switchboard: cannot start: %s", e.what());
    return MOSQ_ERR_UNKNOWN;
  }
}

__attribute__((visibility("default"))) int mosquitto_plugin_cleanup(void* userdata, mosquitto_opt*,
                                                                    int) {
  std::unique_ptr<Plugin> plugin(static_cast<Plugin*>(userdata));
  if (plugin) {
    mosquitto_callback_unregister(plugin->id, MOSQ_EVT_BASIC_AUTH, OnBasicAuth, nullptr);
    mosquitto_callback_unregister(plugin->id, MOSQ_EVT_ACL_CHECK, OnAclCheck, nullptr);
    mosquitto_callback_unregister(plugin->id, MOSQ_EVT_RELOAD, OnReload, nullptr);
  }
  plugin.reset();
  if (curl_users > 0 && --curl_users == 0) curl_global_cleanup();
  return MOSQ_ERR_SUCCESS;
}

}  // extern "C"
