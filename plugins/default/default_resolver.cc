// plugin/default: the active broker marked `is_default` (seed priority 2).
// See README.md.
#include <switchboard/abi.h>

#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace {

using switchboard::Decision;

class DefaultResolver : public switchboard::Resolver {
 public:
  std::string Name() const override { return "default"; }

  Decision Resolve(switchboard::ResolveContext& context) const override {
    auto broker = context.brokers().Default();
    if (!broker) return Decision::Pass("no default broker");
    return switchboard::ActiveBrokerOrPass(std::move(*broker), "default broker");
  }
};

std::unique_ptr<switchboard::Resolver> Create(const switchboard::ParamValue& params,
                                              std::vector<switchboard::ParamProblem>& problems) {
  switchboard::ParamsReader reader(params);  // takes no params
  problems = reader.Finish();
  if (!problems.empty()) return nullptr;
  return std::make_unique<DefaultResolver>();
}

}  // namespace

SWITCHBOARD_RESOLVER_PLUGIN(Create)
