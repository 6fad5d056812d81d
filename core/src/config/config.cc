#include "config/config.h"

#include "config/duration.h"
#include "config/suggest.h"
#include "util/ip_address.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <set>
#include <sstream>

namespace switchboard {
namespace {

using namespace std::chrono_literals;

SourceMark MarkOf(const YAML::Node& node) {
  const YAML::Mark mark = node.Mark();
  if (mark.is_null()) return {};
  return {mark.line + 1, mark.column + 1};
}

// Reads one YAML mapping into a settings struct: each key is consumed by a
// handler; unknown and duplicate keys are errors suggesting the nearest known
// key (yaml-cpp accepts both silently).
class MapReader {
 public:
  MapReader(const YAML::Node& node, std::string section, const std::string& file)
      : node_(node), section_(std::move(section)), file_(file) {
    if (!node_.IsMap()) Fail(node_, section_ + " must be a mapping");
  }

  void On(const std::string& key, std::function<void(const YAML::Node&)> handler) {
    handlers_.emplace_back(key, std::move(handler));
  }

  // A key that was an integer with its unit in the name (`header_timeout_ms`)
  // and is now `new_key`, a duration: refused with the line to write instead,
  // the old value carried over with `old_unit` (`header_timeout: 500ms`).
  void RenamedToDuration(const std::string& old_key, const std::string& new_key,
                         const std::string& old_unit) {
    renamed_.push_back({old_key, new_key, old_unit});
  }

  void Run() {
    std::set<std::string> seen;
    for (const auto& entry : node_) {
      const std::string key = entry.first.Scalar();
      if (!seen.insert(key).second) {
        Fail(entry.first, "duplicate key '" + key + "' in " + section_);
      }
      auto it = std::find_if(handlers_.begin(), handlers_.end(),
                             [&](const auto& h) { return h.first == key; });
      if (it == handlers_.end()) {
        for (const Renamed& renamed : renamed_) {
          if (renamed.old_key == key) Fail(entry.first, RenamedMessage(renamed, entry.second));
        }
        Fail(entry.first, UnknownKeyMessage(key));
      }
      it->second(entry.second);
    }
  }

  [[noreturn]] void Fail(const YAML::Node& at, const std::string& message) const {
    throw ConfigError(FormatLocated(file_, MarkOf(at), message));
  }

 private:
  struct Renamed {
    std::string old_key;
    std::string new_key;
    std::string old_unit;
  };

  std::string RenamedMessage(const Renamed& renamed, const YAML::Node& value) const {
    std::string suggestion = renamed.new_key;
    const std::string old_value = value.IsScalar() ? value.Scalar() : "";
    if (!old_value.empty() && std::all_of(old_value.begin(), old_value.end(),
                                          [](char c) { return c >= '0' && c <= '9'; })) {
      suggestion += ": " + old_value + renamed.old_unit;
    }
    return section_ + "." + renamed.old_key + " is now " + renamed.new_key +
           ", a duration with a unit (did you mean '" + suggestion + "'?)";
  }

  std::string UnknownKeyMessage(const std::string& key) const {
    std::string message = "unknown key '" + key + "' in " + section_;
    std::vector<std::string> names;
    for (const auto& [known, unused] : handlers_) names.push_back(known);
    if (const std::string best = NearestName(key, names); !best.empty())
      message += " (did you mean '" + best + "'?)";
    std::string keys;
    for (const auto& [known, unused] : handlers_) keys += (keys.empty() ? "" : ", ") + known;
    return message + "; known keys: " + keys;
  }

  const YAML::Node& node_;
  std::string section_;
  const std::string& file_;
  std::vector<std::pair<std::string, std::function<void(const YAML::Node&)>>> handlers_;
  std::vector<Renamed> renamed_;
};

class Parser {
 public:
  explicit Parser(const std::string& file) : file_(file) {}

  [[noreturn]] void Fail(const YAML::Node& at, const std::string& what) const {
    throw ConfigError(FormatLocated(file_, MarkOf(at), what));
  }

  std::string String(const YAML::Node& n, const std::string& key) const {
    if (!n.IsScalar()) Fail(n, key + " must be a string");
    return n.Scalar();
  }

  long long Integer(const YAML::Node& n, const std::string& key, long long min,
                    long long max) const {
    if (!n.IsScalar()) Fail(n, key + " must be an integer");
    const std::string& text = n.Scalar();
    std::size_t used = 0;
    long long value = 0;
    try {
      value = std::stoll(text, &used, 10);
    } catch (const std::exception&) {
      used = 0;
    }
    if (used == 0 || used != text.size()) Fail(n, key + " must be an integer, got '" + text + "'");
    if (value < min || value > max) {
      Fail(n, key + " must be between " + std::to_string(min) + " and " + std::to_string(max) +
                  ", got " + text);
    }
    return value;
  }

  // A duration string (duration.h) within [min, max].
  std::chrono::milliseconds Duration(const YAML::Node& n, const std::string& key,
                                     std::chrono::milliseconds min,
                                     std::chrono::milliseconds max) const {
    if (!n.IsScalar()) Fail(n, key + " must be a duration with a unit, e.g. 10s or 500ms");
    std::string why;
    const auto value = ParseDuration(n.Scalar(), &why);
    if (!value) Fail(n, key + " " + why);
    if (*value < min || *value > max) {
      Fail(n, key + " must be between " + FormatDuration(min) + " and " + FormatDuration(max) +
                  ", got " + n.Scalar());
    }
    return *value;
  }

  // A fraction in [0, 1], written `25%` or `0.25`.
  double Fraction(const YAML::Node& n, const std::string& key) const {
    if (!n.IsScalar()) Fail(n, key + " must be a fraction, e.g. 25% or 0.25");
    std::string text = n.Scalar();
    const bool percent = !text.empty() && text.back() == '%';
    if (percent) text.pop_back();
    std::size_t used = 0;
    double value = -1;
    try {
      value = std::stod(text, &used);
    } catch (const std::exception&) {
      used = 0;
    }
    if (used == 0 || used != text.size() ||
        text.find_first_not_of("0123456789.") != std::string::npos) {
      Fail(n, key + " must be a fraction, e.g. 25% or 0.25, got '" + n.Scalar() + "'");
    }
    if (percent) value /= 100.0;
    if (value < 0.0 || value > 1.0)
      Fail(n, key + " must be between 0% and 100%, got " + n.Scalar());
    return value;
  }

  // A duration in whole seconds (the devices are told seconds).
  std::chrono::milliseconds Seconds(const YAML::Node& n, const std::string& key,
                                    std::chrono::milliseconds min,
                                    std::chrono::milliseconds max) const {
    const std::chrono::milliseconds value = Duration(n, key, min, max);
    if (value.count() % 1000 != 0) Fail(n, key + " must be whole seconds, got " + n.Scalar());
    return value;
  }

  bool Boolean(const YAML::Node& n, const std::string& key) const {
    bool value = false;
    if (!n.IsScalar() || !YAML::convert<bool>::decode(n, value)) {
      Fail(n, key + " must be true or false");
    }
    return value;
  }

  std::vector<std::string> StringList(const YAML::Node& n, const std::string& key) const {
    if (!n.IsSequence()) Fail(n, key + " must be a list of strings");
    std::vector<std::string> out;
    for (const auto& item : n) out.push_back(String(item, key + " item"));
    return out;
  }

  ParamValue Params(const YAML::Node& n) const {
    ParamValue value;
    value.mark = MarkOf(n);
    switch (n.Type()) {
      case YAML::NodeType::Scalar:
        value.kind = ParamValue::Kind::kScalar;
        value.scalar = n.Scalar();
        break;
      case YAML::NodeType::Sequence:
        value.kind = ParamValue::Kind::kList;
        for (const auto& item : n) value.items.push_back(Params(item));
        break;
      case YAML::NodeType::Map: {
        value.kind = ParamValue::Kind::kMap;
        std::set<std::string> seen;
        for (const auto& entry : n) {
          if (!entry.first.IsScalar()) Fail(entry.first, "params keys must be strings");
          if (!seen.insert(entry.first.Scalar()).second) {
            Fail(entry.first, "duplicate key '" + entry.first.Scalar() + "' in params");
          }
          value.entries.emplace_back(entry.first.Scalar(), Params(entry.second));
          value.entries.back().second.mark = MarkOf(entry.first);
        }
        break;
      }
      default:
        value.kind = ParamValue::Kind::kNull;
    }
    return value;
  }

  void Server(const YAML::Node& n, ServerConfig& out) const {
    MapReader r(n, "server", file_);
    r.On("listen", [&](const YAML::Node& v) {
      out.listen = String(v, "server.listen");
      std::string why;
      if (!ValidListenAddress(out.listen, &why)) Fail(v, "server.listen " + why);
    });
    r.On("threads", [&](const YAML::Node& v) {
      out.threads = static_cast<int>(Integer(v, "server.threads", 1, 256));
    });
    r.On("max_body_bytes", [&](const YAML::Node& v) {
      out.max_body_bytes =
          static_cast<std::size_t>(Integer(v, "server.max_body_bytes", 1024, 64LL * 1024 * 1024));
    });
    r.On("max_connections", [&](const YAML::Node& v) {
      out.max_connections =
          static_cast<int>(Integer(v, "server.max_connections", 1, kMaxConnectionsLimit));
    });
    r.On("admin_token_file",
         [&](const YAML::Node& v) { out.admin_token_file = String(v, "server.admin_token_file"); });
    r.On("header_timeout", [&](const YAML::Node& v) {
      out.header_timeout = Duration(v, "server.header_timeout", 100ms, 10min);
    });
    r.RenamedToDuration("header_timeout_ms", "header_timeout", "ms");
    r.On("body_timeout", [&](const YAML::Node& v) {
      out.body_timeout = Duration(v, "server.body_timeout", 100ms, 10min);
    });
    r.RenamedToDuration("body_timeout_ms", "body_timeout", "ms");
    r.On("keepalive_timeout", [&](const YAML::Node& v) {
      out.keepalive_timeout = Duration(v, "server.keepalive_timeout", 1s, 1h);
    });
    r.RenamedToDuration("keepalive_timeout_s", "keepalive_timeout", "s");
    r.On("admin_panel_dir",
         [&](const YAML::Node& v) { out.admin_panel_dir = String(v, "server.admin_panel_dir"); });
    r.On("trusted_proxies", [&](const YAML::Node& v) {
      if (!v.IsSequence()) Fail(v, "server.trusted_proxies must be a list of addresses or ranges");
      out.trusted_proxies.clear();
      for (const auto& item : v) {
        const std::string entry = String(item, "server.trusted_proxies item");
        try {
          IpRange::Parse(entry);
        } catch (const std::invalid_argument& e) {
          Fail(item, std::string("server.trusted_proxies: ") + e.what());
        }
        out.trusted_proxies.push_back(entry);
      }
    });
    r.On("auth_failures", [&](const YAML::Node& v) {
      MapReader a(v, "server.auth_failures", file_);
      a.On("burst", [&](const YAML::Node& b) {
        out.auth_failures.burst =
            static_cast<int>(Integer(b, "server.auth_failures.burst", 1, 100000));
      });
      a.On("refill", [&](const YAML::Node& d) {
        out.auth_failures.refill = Duration(d, "server.auth_failures.refill", 10ms, 1h);
      });
      a.On("max_clients", [&](const YAML::Node& m) {
        out.auth_failures.max_clients =
            static_cast<std::size_t>(Integer(m, "server.auth_failures.max_clients", 1, 10'000'000));
      });
      a.Run();
    });
    r.On("log_format", [&](const YAML::Node& v) {
      const std::string format = String(v, "server.log_format");
      if (format == "text") {
        out.log_format = LogFormat::kText;
      } else if (format == "json") {
        out.log_format = LogFormat::kJson;
      } else {
        Fail(v, "server.log_format must be 'text' or 'json', got '" + format + "'");
      }
    });
    r.On("tls", [&](const YAML::Node& v) {
      if (v.IsNull()) return;
      TlsSettings tls;
      MapReader t(v, "server.tls", file_);
      t.On("cert", [&](const YAML::Node& c) { tls.cert = String(c, "server.tls.cert"); });
      t.On("key", [&](const YAML::Node& k) { tls.key = String(k, "server.tls.key"); });
      t.Run();
      if (tls.cert.empty() || tls.key.empty()) Fail(v, "server.tls needs both cert and key");
      out.tls = tls;
    });
    r.Run();
  }

  void Storage(const YAML::Node& n, StorageConfig& out) const {
    MapReader r(n, "storage", file_);
    r.On("url", [&](const YAML::Node& v) {
      out.url = String(v, "storage.url");
      if (out.url.rfind("sqlite3://", 0) != 0 && out.url.rfind("postgresql://", 0) != 0) {
        Fail(v, "storage.url must start with sqlite3:// or postgresql://");
      }
    });
    r.On("pool_size", [&](const YAML::Node& v) {
      out.pool_size = static_cast<int>(Integer(v, "storage.pool_size", 1, 256));
    });
    r.On("auto_migrate",
         [&](const YAML::Node& v) { out.auto_migrate = Boolean(v, "storage.auto_migrate"); });
    r.On("acquire_timeout", [&](const YAML::Node& v) {
      out.acquire_timeout = Duration(v, "storage.acquire_timeout", 1ms, 10min);
    });
    r.RenamedToDuration("acquire_timeout_ms", "acquire_timeout", "ms");
    r.On("secret_key_file",
         [&](const YAML::Node& v) { out.secret_key_file = String(v, "storage.secret_key_file"); });
    r.On("previous_secret_key_files", [&](const YAML::Node& v) {
      out.previous_secret_key_files = StringList(v, "storage.previous_secret_key_files");
    });
    r.On("fetch_pipeline_connections", [&](const YAML::Node& v) {
      out.fetch_pipeline_connections =
          static_cast<int>(Integer(v, "storage.fetch_pipeline_connections", 0, 16));
    });
    r.Run();
  }

  ChainStepConfig Step(const YAML::Node& n) const {
    ChainStepConfig step;
    step.mark = MarkOf(n);
    MapReader r(n, "chain step", file_);
    r.On("plugin", [&](const YAML::Node& v) { step.plugin = String(v, "plugin"); });
    r.On("path", [&](const YAML::Node& v) { step.path = String(v, "path"); });
    r.On("params", [&](const YAML::Node& v) {
      if (!v.IsMap() && !v.IsNull()) Fail(v, "params must be a mapping");
      step.params = Params(v);
    });
    r.On("on_error", [&](const YAML::Node& v) {
      const std::string mode = String(v, "on_error");
      if (mode == "continue") {
        step.on_error = ChainStepConfig::OnError::kContinue;
      } else if (mode == "fail") {
        step.on_error = ChainStepConfig::OnError::kFail;
      } else {
        Fail(v, "on_error must be 'continue' or 'fail', got '" + mode + "'");
      }
    });
    r.Run();
    if (step.plugin.empty() == step.path.empty()) {
      Fail(n, "a chain step needs exactly one of 'plugin' (a built-in name) or 'path' (a file)");
    }
    if (step.params.IsNull()) {
      step.params.kind = ParamValue::Kind::kMap;
      step.params.mark = step.mark;
    }
    return step;
  }

  void Resolution(const YAML::Node& n, ResolutionConfig& out) const {
    MapReader r(n, "resolution", file_);
    r.On("plugin_dirs",
         [&](const YAML::Node& v) { out.plugin_dirs = StringList(v, "resolution.plugin_dirs"); });
    r.On("chain", [&](const YAML::Node& v) {
      if (!v.IsSequence()) Fail(v, "resolution.chain must be a list of steps");
      out.chain_mark = MarkOf(v);
      out.chain.clear();
      for (const auto& step : v) out.chain.push_back(Step(step));
      if (out.chain.empty()) {
        Fail(v, "resolution.chain is empty: no device could ever get a broker");
      }
    });
    r.Run();
  }

  void Provisioning(const YAML::Node& n, ProvisioningConfig& out) const {
    MapReader r(n, "provisioning", file_);
    r.On("topics", [&](const YAML::Node& v) {
      MapReader t(v, "provisioning.topics", file_);
      t.On("publish", [&](const YAML::Node& p) {
        out.publish_topics = StringList(p, "provisioning.topics.publish");
      });
      t.On("subscribe", [&](const YAML::Node& s) {
        out.subscribe_topics = StringList(s, "provisioning.topics.subscribe");
      });
      t.Run();
    });
    r.On("reconnect", [&](const YAML::Node& v) { Reconnect(v, out.reconnect); });
    r.On("refresh_after", [&](const YAML::Node& v) {
      out.refresh_after = Seconds(v, "provisioning.refresh_after", 1s, 24h);
    });
    r.Run();
  }

  void Reconnect(const YAML::Node& n, ReconnectConfig& out) const {
    MapReader r(n, "provisioning.reconnect", file_);
    std::optional<YAML::Node> initial;  // for the cross-key check's mark
    r.On("initial_delay", [&](const YAML::Node& v) {
      out.initial_delay = Duration(v, "provisioning.reconnect.initial_delay", 1ms, 1h);
      initial.emplace(v);
    });
    r.On("max_delay", [&](const YAML::Node& v) {
      out.max_delay = Duration(v, "provisioning.reconnect.max_delay", 1ms, 1h);
    });
    r.On("jitter",
         [&](const YAML::Node& v) { out.jitter = Fraction(v, "provisioning.reconnect.jitter"); });
    r.On("attempts_per_endpoint", [&](const YAML::Node& v) {
      out.attempts_per_endpoint =
          static_cast<int>(Integer(v, "provisioning.reconnect.attempts_per_endpoint", 1, 100));
    });
    r.On("failback_after", [&](const YAML::Node& v) {
      out.failback_after = Seconds(v, "provisioning.reconnect.failback_after", 1s, 24h);
    });
    r.Run();
    if (out.initial_delay > out.max_delay) {
      Fail(initial ? *initial : n,
           "provisioning.reconnect.initial_delay must not exceed max_delay (" +
               FormatDuration(out.max_delay) + ")");
    }
  }

  void MqttAuth(const YAML::Node& n, MqttAuthConfig& out) const {
    MapReader r(n, "mqtt_auth", file_);
    r.On("token_file",
         [&](const YAML::Node& v) { out.token_file = String(v, "mqtt_auth.token_file"); });
    r.On("restrict_to_assigned", [&](const YAML::Node& v) {
      out.restrict_to_assigned = Boolean(v, "mqtt_auth.restrict_to_assigned");
    });
    r.On("verify_threads", [&](const YAML::Node& v) {
      out.verify_threads = static_cast<int>(Integer(v, "mqtt_auth.verify_threads", 1, 64));
    });
    r.On("verify_queue", [&](const YAML::Node& v) {
      out.verify_queue = static_cast<int>(Integer(v, "mqtt_auth.verify_queue", 1, 100000));
    });
    r.Run();
  }

  // `10%`: a whole percentage within [min, max].
  int Percent(const YAML::Node& n, const std::string& key, int min, int max) const {
    const std::string text = n.IsScalar() ? n.Scalar() : "";
    const bool digits =
        text.size() >= 2 && text.size() <= 4 && text.back() == '%' &&
        std::all_of(text.begin(), text.end() - 1, [](char c) { return c >= '0' && c <= '9'; });
    if (!digits) Fail(n, key + " must be a whole percentage such as 10%, got '" + text + "'");
    const int value = std::stoi(text.substr(0, text.size() - 1));
    if (value < min || value > max) {
      Fail(n, key + " must be between " + std::to_string(min) + "% and " + std::to_string(max) +
                  "%, got " + text);
    }
    return value;
  }

  void Health(const YAML::Node& n, HealthConfig& out) const {
    MapReader r(n, "health", file_);
    SourceMark timeout_mark;
    SourceMark interval_mark;
    r.On("enabled", [&](const YAML::Node& v) { out.enabled = Boolean(v, "health.enabled"); });
    r.On("interval", [&](const YAML::Node& v) {
      out.interval = Duration(v, "health.interval", 100ms, 24h);
      interval_mark = MarkOf(v);
    });
    r.On("timeout", [&](const YAML::Node& v) {
      out.timeout = Duration(v, "health.timeout", 10ms, 10min);
      timeout_mark = MarkOf(v);
    });
    r.On("unhealthy_threshold", [&](const YAML::Node& v) {
      out.unhealthy_threshold = static_cast<int>(Integer(v, "health.unhealthy_threshold", 1, 100));
    });
    r.On("healthy_threshold", [&](const YAML::Node& v) {
      out.healthy_threshold = static_cast<int>(Integer(v, "health.healthy_threshold", 1, 100));
    });
    r.On("jitter",
         [&](const YAML::Node& v) { out.jitter_percent = Percent(v, "health.jitter", 0, 50); });
    r.On("concurrency", [&](const YAML::Node& v) {
      out.concurrency = static_cast<int>(Integer(v, "health.concurrency", 1, 64));
    });
    r.Run();
    if (out.timeout >= out.interval) {
      // Point at whichever of the two the file wrote (the timeout first):
      // a probe must end before the broker is due again.
      const SourceMark at = timeout_mark.line != 0    ? timeout_mark
                            : interval_mark.line != 0 ? interval_mark
                                                      : MarkOf(n);
      throw ConfigError(FormatLocated(file_, at,
                                      "health.timeout (" + FormatDuration(out.timeout) +
                                          ") must be shorter than health.interval (" +
                                          FormatDuration(out.interval) + ")"));
    }
  }

  Config Document(const YAML::Node& root) const {
    Config config;
    config.source_file = file_;
    if (root.IsNull()) return WithDefaultChain(config);
    MapReader r(root, "the configuration", file_);
    r.On("server", [&](const YAML::Node& v) { Server(v, config.server); });
    r.On("storage", [&](const YAML::Node& v) { Storage(v, config.storage); });
    r.On("resolution", [&](const YAML::Node& v) { Resolution(v, config.resolution); });
    r.On("provisioning", [&](const YAML::Node& v) { Provisioning(v, config.provisioning); });
    r.On("mqtt_auth", [&](const YAML::Node& v) { MqttAuth(v, config.mqtt_auth); });
    r.On("health", [&](const YAML::Node& v) { Health(v, config.health); });
    r.Run();
    return WithDefaultChain(config);
  }

 private:
  // Without `resolution.chain` the shipped order applies (docs/chain.md).
  static Config WithDefaultChain(Config config) {
    if (config.resolution.chain_mark.line != 0) return config;  // the file gave a chain
    for (const char* name : {"device", "fleet", "regional", "default", "env"}) {
      ChainStepConfig step;
      step.plugin = name;
      step.params.kind = ParamValue::Kind::kMap;
      config.resolution.chain.push_back(step);
    }
    return config;
  }

  const std::string& file_;
};

}  // namespace

int DescriptorReserve(const Config& config) {
  // 64 for the fixed ones (logs, listening socket, plugins being loaded,
  // broker connection tests, the lock file), the rest per configured item.
  return 64 + 3 * config.storage.pool_size + 2 * config.storage.fetch_pipeline_connections +
         4 * config.server.threads + config.health.concurrency;
}

int DefaultMaxConnections(std::uint64_t open_file_limit, const Config& config) {
  const auto reserve = static_cast<std::uint64_t>(DescriptorReserve(config));
  constexpr std::uint64_t kLeast = 16;
  if (open_file_limit <= reserve + kLeast) return static_cast<int>(kLeast);
  return static_cast<int>(std::min<std::uint64_t>(open_file_limit - reserve, kMaxConnectionsLimit));
}

bool ValidListenAddress(const std::string& listen, std::string* why) {
  const auto colon = listen.rfind(':');
  if (colon == std::string::npos || colon == 0) {
    *why = "must be HOST:PORT (e.g. 0.0.0.0:4002), got '" + listen + "'";
    return false;
  }
  const std::string port = listen.substr(colon + 1);
  if (port.empty() || port.size() > 5 ||
      !std::all_of(port.begin(), port.end(), [](char c) { return c >= '0' && c <= '9'; }) ||
      std::stoi(port) > 65535) {
    *why = "port must be a number from 0 to 65535, got '" + port + "'";
    return false;
  }
  return true;
}

std::string FormatLocated(const std::string& file, SourceMark mark, const std::string& message) {
  std::ostringstream out;
  out << file;
  if (mark.line > 0) out << ':' << mark.line << ':' << mark.column;
  out << ": " << message;
  return out.str();
}

Config ParseConfig(const std::string& yaml_text, const std::string& source_file) {
  YAML::Node root;
  try {
    root = YAML::Load(yaml_text);
  } catch (const YAML::Exception& e) {
    throw ConfigError(FormatLocated(source_file, {e.mark.line + 1, e.mark.column + 1}, e.msg));
  }
  try {
    return Parser(source_file).Document(root);
  } catch (const YAML::Exception& e) {
    throw ConfigError(FormatLocated(source_file, {e.mark.line + 1, e.mark.column + 1}, e.msg));
  }
}

Config LoadConfigFile(const std::string& path, bool allow_empty) {
  // An ifstream opens a directory without complaint and reads nothing from
  // it, which would pass for an empty (all defaults) configuration.
  std::error_code error;
  if (std::filesystem::is_directory(path, error)) {
    throw ConfigError(path + ": is a directory, not a configuration file");
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) throw ConfigError(path + ": cannot open configuration file");
  std::stringstream text;
  text << in.rdbuf();
  if (in.bad()) throw ConfigError(path + ": cannot read configuration file");
  if (!allow_empty) {
    bool empty = false;
    try {
      empty = YAML::Load(text.str()).IsNull();
    } catch (const YAML::Exception&) {
      // ParseConfig reports it with its place.
    }
    if (empty) {
      throw ConfigError(path +
                        ": the configuration file is empty; refusing to replace the running "
                        "configuration with built-in defaults (restart to use the defaults)");
    }
  }
  Config config = ParseConfig(text.str(), path);
  ApplyEnvironmentOverrides(config);
  return config;
}

void ApplyEnvironmentOverrides(Config& config) {
  auto env = [](const char* name) -> std::string {
    const char* value = std::getenv(name);
    return value ? value : "";
  };
  if (std::string url = env("SWITCHBOARD_DATABASE_URL"); !url.empty()) {
    if (url.rfind("sqlite3://", 0) != 0 && url.rfind("postgresql://", 0) != 0) {
      throw ConfigError("SWITCHBOARD_DATABASE_URL must start with sqlite3:// or postgresql://");
    }
    config.storage.url = url;
  }
  if (std::string listen = env("SWITCHBOARD_LISTEN"); !listen.empty()) {
    std::string why;
    if (!ValidListenAddress(listen, &why)) throw ConfigError("SWITCHBOARD_LISTEN " + why);
    config.server.listen = listen;
  }
  if (std::string token = env("SWITCHBOARD_ADMIN_TOKEN"); !token.empty()) {
    config.server.admin_token = token;
  }
  if (std::string token = env("SWITCHBOARD_MQTT_AUTH_TOKEN"); !token.empty()) {
    config.mqtt_auth.token = token;
  }
}

}  // namespace switchboard
