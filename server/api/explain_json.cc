#include "api/explain_json.h"

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "domain/client_broker_config.h"

namespace switchboard {
namespace {

// Replaces every byte that does not start a well-formed UTF-8 sequence
// with U+FFFD.
std::string ValidUtf8(const std::string& text) {
  std::string out;
  out.reserve(text.size());
  std::size_t i = 0;
  while (i < text.size()) {
    const auto c = static_cast<unsigned char>(text[i]);
    std::size_t length = 0;
    std::uint32_t min = 0;
    if (c < 0x80) {
      length = 1;
    } else if ((c & 0xe0) == 0xc0) {
      length = 2;
      min = 0x80;
    } else if ((c & 0xf0) == 0xe0) {
      length = 3;
      min = 0x800;
    } else if ((c & 0xf8) == 0xf0) {
      length = 4;
      min = 0x10000;
    }
    bool ok = length > 0 && i + length <= text.size();
    std::uint32_t code = length == 1 ? c : c & (0x7f >> length);
    for (std::size_t k = 1; ok && k < length; ++k) {
      const auto next = static_cast<unsigned char>(text[i + k]);
      ok = (next & 0xc0) == 0x80;
      code = (code << 6) | (next & 0x3f);
    }
    ok = ok && code >= min && code <= 0x10ffff && !(code >= 0xd800 && code <= 0xdfff);
    if (ok) {
      out.append(text, i, length);
      i += length;
    } else {
      out += "\xef\xbf\xbd";
      ++i;
    }
  }
  return out;
}

using Writer = rapidjson::Writer<rapidjson::StringBuffer>;

void String(Writer& w, const std::string& text) {
  const std::string valid = ValidUtf8(text);
  w.String(valid.data(), static_cast<rapidjson::SizeType>(valid.size()));
}

// Header values: printable ASCII only.
void AppendHeaderSafe(std::string& out, std::string_view text) {
  for (const char c : text) out += (c >= 0x21 && c <= 0x7e && c != ',' && c != ';') ? c : '_';
}

}  // namespace

const char* DecisionName(const Resolution& resolution) {
  if (resolution.broker) return "resolved";
  if (resolution.rejected) return "rejected";
  if (resolution.failed) return "failed";
  return "no_broker";
}

std::string ExplainJson(const Resolution& resolution, bool include_trace) {
  rapidjson::StringBuffer buffer;
  Writer w(buffer);
  w.StartObject();
  w.Key("broker");
  // What the device is handed: the endpoint list's first, which health may
  // have put ahead of the chain's answer.
  const BrokerConfig* handed =
      resolution.endpoints.empty() ? nullptr : &resolution.endpoints.front().broker;
  if (handed == nullptr && resolution.broker) handed = &*resolution.broker;
  if (handed != nullptr) {
    String(w, BrokerUrl(*handed));
    if (handed->from_storage) {
      w.Key("brokerConfig");
      WriteClientBrokerConfig(w, *handed);
    }
  } else {
    w.Null();
  }
  w.Key("resolvedBy");
  if (resolution.broker) {
    String(w, resolution.resolved_by);
  } else {
    w.Null();
  }
  w.Key("decision");
  w.String(DecisionName(resolution));
  w.Key("reason");
  String(w, resolution.reason);
  if (!resolution.endpoints.empty()) {
    w.Key("endpoints");
    w.StartArray();
    for (const Endpoint& endpoint : resolution.endpoints) {
      w.StartObject();
      w.Key("broker");
      String(w, BrokerUrl(endpoint.broker));
      if (endpoint.broker.id != 0) {
        w.Key("id");
        w.Int64(endpoint.broker.id);
        w.Key("name");
        String(w, endpoint.broker.name);
      }
      w.Key("health");
      w.String(HealthStateName(endpoint.health));
      w.EndObject();
    }
    w.EndArray();
  }
  if (include_trace) {
    w.Key("trace");
    w.StartArray();
    for (const TraceStep& step : resolution.trace) {
      w.StartObject();
      w.Key("plugin");
      String(w, step.plugin);
      w.Key("outcome");
      w.String(OutcomeName(step.outcome));
      w.Key("reason");
      String(w, step.reason);
      w.Key("micros");
      w.Int64(step.micros);
      w.EndObject();
    }
    w.EndArray();
  }
  w.EndObject();
  return std::string(buffer.GetString(), buffer.GetSize());
}

std::string ResolverHeader(const Resolution& resolution) {
  return ResolverHeader(resolution.broker ? std::string_view(resolution.resolved_by) : "",
                        resolution.trace);
}

std::string ResolverHeader(std::string_view resolved_by, const std::vector<TraceStep>& trace) {
  std::string out = "resolved-by=";
  out.reserve(64);
  if (resolved_by.empty()) {
    out += "none";
  } else {
    AppendHeaderSafe(out, resolved_by);
  }
  out += "; trace=";
  for (std::size_t i = 0; i < trace.size(); ++i) {
    if (i > 0) out += ',';
    AppendHeaderSafe(out, trace[i].plugin);
    out += ':';
    out += OutcomeName(trace[i].outcome);
  }
  return out;
}

std::string ChainJson(const std::vector<StepDescription>& steps) {
  rapidjson::StringBuffer buffer;
  Writer w(buffer);
  w.StartObject();
  w.Key("chain");
  w.StartArray();
  int position = 0;
  for (const StepDescription& step : steps) {
    w.StartObject();
    w.Key("position");
    w.Int(++position);
    w.Key("plugin");
    String(w, step.name);
    w.Key("file");
    String(w, step.file);
    w.Key("on_error");
    String(w, step.on_error);
    w.EndObject();
  }
  w.EndArray();
  w.EndObject();
  return std::string(buffer.GetString(), buffer.GetSize());
}

}  // namespace switchboard
