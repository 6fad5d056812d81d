// Test fixture for the registration tests: a resolver that looks at the
// database through the session the host hands it.
//
// params:
//   name: fixture            Name()
//   mode: device_row         device_row: Resolved (host device-row.example)
//                            when a `devices` row with the device's uuid is
//                            visible on context.sql(), else throws;
//                            bad_sql: runs a statement the database refuses
//                            (on PostgreSQL this aborts the open transaction);
//                            reject: Reject; pass: Pass;
//                            revoke_key / exhaust_key: revokes / exhausts
//                            every provisioning key on context.sql(), then
//                            Pass (a key revoked or used up while a
//                            registration is under way)
#include <switchboard/abi.h>

#include <soci/soci.h>

#include <algorithm>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

namespace {

using switchboard::Decision;

class FixtureResolver : public switchboard::Resolver {
 public:
  FixtureResolver(std::string name, std::string mode)
      : name_(std::move(name)), mode_(std::move(mode)) {}
  std::string Name() const override { return name_; }

  Decision Resolve(switchboard::ResolveContext& context) const override {
    if (mode_ == "reject") return Decision::Reject("fixture rejects " + context.device().uuid);
    if (mode_ == "pass") return Decision::Pass("fixture passes");
    soci::session& sql = context.sql();
    if (mode_ == "revoke_key") {
      sql << "UPDATE provisioning_keys SET is_active = 0";
      return Decision::Pass("key revoked");
    }
    if (mode_ == "exhaust_key") {
      sql << "UPDATE provisioning_keys SET max_devices = devices_provisioned";
      return Decision::Pass("key exhausted");
    }
    if (mode_ == "bad_sql") {
      int value = 0;
      sql << "SELECT no_such_column FROM devices", soci::into(value);
      return Decision::Pass("unreachable");
    }
    const std::string uuid = context.device().uuid;
    long long count = 0;
    sql << "SELECT COUNT(*) FROM devices WHERE uuid = :uuid", soci::use(uuid), soci::into(count);
    if (count != 1) throw std::runtime_error("device row not visible to the chain");
    switchboard::BrokerConfig broker;
    broker.name = "device-row";
    broker.host = "device-row.example";
    broker.port = 1883;
    return Decision::Resolved(broker, "device row visible");
  }

 private:
  const std::string name_;
  const std::string mode_;
};

std::unique_ptr<switchboard::Resolver> Create(const switchboard::ParamValue& params,
                                              std::vector<switchboard::ParamProblem>& problems) {
  switchboard::ParamsReader reader(params);
  std::string name = reader.String("name", "fixture");
  std::string mode = reader.String("mode", "device_row");
  static const std::vector<std::string> kModes = {"device_row", "bad_sql",    "reject",
                                                  "pass",       "revoke_key", "exhaust_key"};
  if (std::find(kModes.begin(), kModes.end(), mode) == kModes.end()) {
    reader.Problem("mode", "must be device_row, bad_sql, reject, pass, revoke_key or exhaust_key");
  }
  problems = reader.Finish();
  if (!problems.empty()) return nullptr;
  return std::make_unique<FixtureResolver>(std::move(name), std::move(mode));
}

}  // namespace

SWITCHBOARD_RESOLVER_PLUGIN(Create)
