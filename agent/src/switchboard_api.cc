#include "switchboard_api.h"

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

namespace switchboard::agent {
namespace {

using Writer = rapidjson::Writer<rapidjson::StringBuffer>;

void Field(Writer& writer, const char* name, const std::string& value) {
  writer.Key(name);
  writer.String(value.c_str(), static_cast<rapidjson::SizeType>(value.size()));
}

// "HTTP 401: invalid provisioning key", or the transport error.
std::string Describe(const HttpResult& result) {
  if (result.status == 0) return result.error;
  const std::string message = ParseErrorMessage(result.body);
  return "HTTP " + std::to_string(result.status) + (message.empty() ? "" : ": " + message);
}

bool Retryable(int status) {
  return status == 0 || status == 408 || status == 429 || status >= 500;
}

}  // namespace

std::string RegisterBody(const AgentState& identity, const std::string& agent_version) {
  rapidjson::StringBuffer buffer;
  Writer writer(buffer);
  writer.StartObject();
  Field(writer, "uuid", identity.uuid);
  Field(writer, "deviceName", identity.device_name);
  Field(writer, "deviceType", identity.device_type);
  Field(writer, "deviceApiKey", identity.device_key);
  if (!identity.region.empty()) Field(writer, "region", identity.region);
  Field(writer, "agentVersion", agent_version);
  writer.EndObject();
  return std::string(buffer.GetString(), buffer.GetSize());
}

std::string ReportBody(const StateReport& report) {
  rapidjson::StringBuffer buffer;
  Writer writer(buffer);
  writer.StartObject();
  if (!report.config_version.empty()) Field(writer, "configVersion", report.config_version);
  writer.Key("connected");
  writer.Bool(report.connected);
  if (!report.broker.empty()) Field(writer, "broker", report.broker);
  if (!report.last_error.empty()) Field(writer, "lastError", report.last_error);
  Field(writer, "agentVersion", report.agent_version);
  writer.EndObject();
  return std::string(buffer.GetString(), buffer.GetSize());
}

SwitchboardApi::SwitchboardApi(std::string server, HttpClient& http)
    : base_(std::move(server)), http_(http) {
  while (!base_.empty() && base_.back() == '/') base_.pop_back();
}

RegisterOutcome SwitchboardApi::Register(const AgentState& identity,
                                         const std::string& provisioning_key,
                                         const std::string& agent_version) {
  HttpRequest request{"POST",
                      base_ + "/api/v1/device/register",
                      {{"Authorization", "Bearer " + provisioning_key}},
                      RegisterBody(identity, agent_version)};
  const HttpResult result = http_.Send(request);
  RegisterOutcome outcome;
  outcome.status = result.status;
  if (result.status != 200) {
    outcome.kind =
        Retryable(result.status) ? RegisterOutcome::Kind::kRetry : RegisterOutcome::Kind::kRefused;
    outcome.message = Describe(result);
    return outcome;
  }
  Parsed<Registration> parsed = ParseRegistrationAnswer(result.body);
  outcome.warnings = std::move(parsed.warnings);
  if (!parsed.value) {
    outcome.message = "unreadable registration answer: " + parsed.error;
    return outcome;
  }
  if (parsed.value->uuid != identity.uuid) {
    outcome.message = "the registration answer is for another uuid";
    return outcome;
  }
  outcome.kind = RegisterOutcome::Kind::kRegistered;
  outcome.registration = std::move(parsed.value);
  return outcome;
}

FetchOutcome SwitchboardApi::Fetch(const std::string& uuid, const std::string& device_key,
                                   const std::string& version) {
  HttpRequest request{"GET",
                      base_ + "/api/v1/device/" + uuid + "/mqtt",
                      {{"Authorization", "Bearer " + device_key}},
                      ""};
  const std::string if_none_match = IfNoneMatchFor(version);
  if (!if_none_match.empty()) request.headers.emplace_back("If-None-Match", if_none_match);
  const HttpResult result = http_.Send(request);
  FetchOutcome outcome;
  outcome.status = result.status;
  outcome.verdict = ClassifyFetch(result.status, if_none_match);
  if (outcome.verdict == FetchVerdict::kNotModified) return outcome;
  if (outcome.verdict == FetchVerdict::kRetry) {
    outcome.message = result.status == 304 ? "HTTP 304 without If-None-Match" : Describe(result);
    return outcome;
  }
  Parsed<DeviceConfig> parsed = ParseConfigAnswer(result.body);
  outcome.warnings = std::move(parsed.warnings);
  if (!parsed.value) {
    outcome.verdict = FetchVerdict::kRetry;
    outcome.message = "unreadable config answer: " + parsed.error;
    return outcome;
  }
  if (parsed.value->config_version.empty()) parsed.value->config_version = EntityTagOf(result.etag);
  outcome.config = std::move(parsed.value);
  return outcome;
}

ReportOutcome SwitchboardApi::Report(const std::string& uuid, const std::string& device_key,
                                     const StateReport& report, std::string* message) {
  HttpRequest request{"PUT",
                      base_ + "/api/v1/device/" + uuid + "/state",
                      {{"Authorization", "Bearer " + device_key}},
                      ReportBody(report)};
  const HttpResult result = http_.Send(request);
  *message = Describe(result);
  if (result.status >= 200 && result.status < 300) return ReportOutcome::kStored;
  if (result.status == 404 || result.status == 405) return ReportOutcome::kUnsupported;
  if (Retryable(result.status)) return ReportOutcome::kRetry;
  return ReportOutcome::kRefused;
}

}  // namespace switchboard::agent
