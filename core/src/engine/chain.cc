// Chain execution (docs/chain.md, resolver.h) and building a chain from the config.
#include "engine/chain.h"

#include <soci/error.h>

#include <chrono>
#include <map>

#include "engine/plugin_loader.h"
#include "engine/resolve_context.h"
#include "util/log.h"

namespace switchboard {
namespace {

using Clock = std::chrono::steady_clock;

// What a plugin sees as its context: the host's, with a logger prefixed by
// the step's plugin name (built on first use: most steps never log).
class StepContext : public ResolveContext {
 public:
  StepContext(ResolveContext& host, const std::string& plugin) : host_(host), plugin_(plugin) {}
  const Device& device() override { return host_.device(); }
  BrokerDirectory& brokers() override { return host_.brokers(); }
  soci::session& sql() override { return host_.sql(); }
  Logger& log() override {
    if (!log_) log_.emplace(host_.log(), "plugin/" + plugin_ + ": ");
    return *log_;
  }

 private:
  ResolveContext& host_;
  const std::string& plugin_;
  std::optional<PrefixedLogger> log_;
};

// A broker a step may hand out: anything else is a plugin bug, recorded as
// an Error step rather than sent to a device.
std::string InvalidBrokerReason(const std::optional<BrokerConfig>& broker) {
  if (!broker) return "answered Resolved without a broker";
  if (broker->host.empty()) return "resolved a broker without a host";
  if (broker->port < 1 || broker->port > 65535) {
    return "resolved a broker with port " + std::to_string(broker->port) + " (not 1..65535)";
  }
  return "";
}

// A step that threw is told apart by a non-empty failure, so an exception
// without a message still needs one.
std::string FailureOf(std::string message) {
  return message.empty() ? "exception without a message" : message;
}

}  // namespace

struct Chain::Step {
  std::string name;
  std::string file;
  ChainStepConfig::OnError on_error = ChainStepConfig::OnError::kContinue;
  std::shared_ptr<const Resolver> resolver;
};

const char* OutcomeName(TraceStep::Outcome outcome) {
  switch (outcome) {
    case TraceStep::Outcome::kResolved:
      return "resolved";
    case TraceStep::Outcome::kPass:
      return "pass";
    case TraceStep::Outcome::kReject:
      return "reject";
    case TraceStep::Outcome::kError:
      return "error";
  }
  return "error";
}

Chain::Chain(std::vector<std::shared_ptr<const Step>> steps) : steps_(std::move(steps)) {}
Chain::~Chain() = default;

Resolution Chain::Resolve(ResolveContext& context) const {
  Resolution out;
  out.trace.reserve(steps_.size());
  int errors = 0;
  for (const auto& step : steps_) {
    TraceStep trace;
    trace.plugin = step->name;
    Decision decision;
    std::string failure;  // non-empty when the step threw
    StepContext step_context(context, step->name);
    const auto start = Clock::now();
    try {
      decision = step->resolver->Resolve(step_context);
    } catch (const DeviceNotFound&) {
      // The host's own signal passing through the plugin, not a plugin
      // failure: no step can decide for a device that does not exist.
      throw;
    } catch (const soci::soci_error& e) {
      // Without the query text SOCI appends: traces are shown to operators,
      // but SQL belongs in neither traces nor logs.
      failure = FailureOf(e.get_error_message());
    } catch (const std::exception& e) {
      failure = FailureOf(e.what());
    } catch (...) {
      failure = "unknown exception";
    }
    trace.micros =
        std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - start).count();
    if (failure.empty() && decision.outcome == Decision::Outcome::kResolved) {
      failure = InvalidBrokerReason(decision.broker);
    }
    if (failure.empty() && decision.outcome != Decision::Outcome::kResolved &&
        decision.outcome != Decision::Outcome::kPass &&
        decision.outcome != Decision::Outcome::kReject) {
      failure = "answered an unknown outcome";
    }

    if (!failure.empty()) {
      ++errors;
      trace.outcome = TraceStep::Outcome::kError;
      trace.reason = "plugin/" + step->name + ": " + failure;
      context.log().Warn(trace.reason);
      out.trace.push_back(std::move(trace));
      if (step->on_error == ChainStepConfig::OnError::kFail) {
        out.failed = true;
        out.reason = out.trace.back().reason + " (on_error: fail)";
        return out;
      }
      continue;
    }

    trace.reason = decision.reason;
    switch (decision.outcome) {
      case Decision::Outcome::kResolved:
        trace.outcome = TraceStep::Outcome::kResolved;
        out.trace.push_back(std::move(trace));
        out.broker = std::move(decision.broker);
        out.resolved_by = step->name;
        out.reason = decision.reason;
        return out;
      case Decision::Outcome::kReject:
        trace.outcome = TraceStep::Outcome::kReject;
        out.trace.push_back(std::move(trace));
        out.rejected = true;
        out.reason = decision.reason;
        return out;
      case Decision::Outcome::kPass:
        trace.outcome = TraceStep::Outcome::kPass;
        out.trace.push_back(std::move(trace));
        break;
    }
  }
  out.reason = "no broker: no step of the chain resolved this device";
  if (errors > 0) {
    out.reason += " (" + std::to_string(errors) + (errors == 1 ? " step" : " steps") + " failed)";
  }
  return out;
}

std::vector<StepDescription> Chain::Describe() const {
  std::vector<StepDescription> out;
  for (const auto& step : steps_) {
    out.push_back({step->name, step->file,
                   step->on_error == ChainStepConfig::OnError::kFail ? "fail" : "continue"});
  }
  return out;
}

std::shared_ptr<const Chain> BuildChain(const Config& config) {
  const std::string& file = config.source_file;
  const auto search_path = PluginSearchPath(config.resolution.plugin_dirs);
  std::vector<std::string> errors;  // every step's problems, reported at once
  std::vector<std::shared_ptr<const Chain::Step>> steps;
  std::map<std::string, SourceMark> names;

  if (config.resolution.chain.empty()) {
    errors.push_back(FormatLocated(file, config.resolution.chain_mark,
                                   "resolution.chain is empty: no device could ever get a broker"));
  }
  for (const auto& step_config : config.resolution.chain) {
    const std::string label = step_config.plugin.empty() ? "step '" + step_config.path + "'"
                                                         : "plugin/" + step_config.plugin;
    try {
      const std::filesystem::path library =
          step_config.plugin.empty() ? std::filesystem::path(step_config.path)
                                     : FindPluginLibrary(step_config.plugin, search_path);
      LoadedResolver loaded = LoadResolver(library, step_config.params);
      if (const auto seen = names.find(loaded.name); seen != names.end()) {
        errors.push_back(FormatLocated(
            file, step_config.mark,
            "duplicate step name '" + loaded.name + "' (" + loaded.file.string() +
                "): already used by the step at line " + std::to_string(seen->second.line) +
                "; traces and metrics need each step to have its own name"));
        continue;
      }
      names.emplace(loaded.name, step_config.mark);
      auto step = std::make_shared<Chain::Step>();
      step->name = loaded.name;
      step->file = loaded.file.string();
      step->on_error = step_config.on_error;
      step->resolver = std::move(loaded.resolver);
      steps.push_back(std::move(step));
    } catch (const PluginLoadError& e) {
      std::string message = FormatLocated(file, step_config.mark, label + ": " + e.what());
      for (const auto& problem : e.problems()) {
        const SourceMark mark = problem.mark.line != 0 ? problem.mark : step_config.mark;
        message += "\n" + FormatLocated(file, mark, label + ": " + problem.message);
      }
      errors.push_back(std::move(message));
    }
  }
  if (!errors.empty()) {
    std::string message;
    for (const auto& e : errors) message += (message.empty() ? "" : "\n") + e;
    throw ConfigError(message);
  }
  return std::make_shared<const Chain>(std::move(steps));
}

}  // namespace switchboard
