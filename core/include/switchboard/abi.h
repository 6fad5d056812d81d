// The plugin ABI: the two symbols every resolver library exports.
//
// There are just two things to provide in a plugin:
//   1. a class derived from switchboard::Resolver (see resolver.h);
//   2. a factory, exported with SWITCHBOARD_RESOLVER_PLUGIN(factory):
//
//        std::unique_ptr<switchboard::Resolver> Create(
//            const switchboard::ParamValue& params,
//            std::vector<switchboard::ParamProblem>& problems);
//
//      The factory validates `params` once and reports every problem at once
//      (use ParamsReader; unknown keys included). It returns nullptr when
//      there are problems; the host refuses to start and prints them all with
//      their YAML line and column.
//
// Version negotiation comes first: the host reads `switchboard_abi_version`
// and compares it with its own kAbiVersion before it calls anything else. A
// mismatch is refused with a message naming the file and both numbers. The
// version changes whenever a type in these headers changes layout.
//
// Build a plugin with the same compiler and libstdc++ as the host, link
// libswitchboard_sdk.so (the implementation of these headers, and nothing
// else: export.h) and the shared SOCI, and keep symbols hidden by default
// (the macro exports what the host needs). `find_package(Switchboard)` +
// `Switchboard::sdk` sets all that.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include <boost/dll/alias.hpp>

#include "switchboard/params.h"
#include "switchboard/resolver.h"

namespace switchboard {

// Bump on any layout or virtual-table change of an SDK type, and say here
// what changed.
//   1: the first SDK.
//   2: ResolveContext::brokers() returns a BrokerDirectory
//      (broker_directory.h) that replaces the free functions of
//      broker_rows.h (LoadBrokerById, LoadDefaultBroker,
//      LoadActiveBrokersInRegion, LoadFleet), which are gone; FleetRow moved
//      to broker_directory.h, DescribeBroker to broker.h; new
//      ActiveBrokerOrPass (resolver.h). Plugins link libswitchboard_sdk.so,
//      which exports only what these headers declare (export.h), instead of
//      libswitchboard_core.so; the interface classes' vtables and type_info
//      live there.
//   3: failover. Decision gains `alternates` (an ordered list of brokers;
//      Decision::Resolved takes it as an optional third argument);
//      BrokerConfig gains `backup_broker_ids`; BrokerDirectory gains the
//      virtual Health() and the enum BrokerHealthState.
// (SWITCHBOARD_ABI_VERSION exists only so the tests can build a plugin that
// claims another version; never define it yourself.)
#ifndef SWITCHBOARD_ABI_VERSION
#define SWITCHBOARD_ABI_VERSION 3
#endif
inline constexpr std::uint32_t kAbiVersion = SWITCHBOARD_ABI_VERSION;

using ResolverFactory = std::unique_ptr<Resolver>(const ParamValue& params,
                                                  std::vector<ParamProblem>& problems);

}  // namespace switchboard

// Names of the exported symbols (the host looks these up).
#define SWITCHBOARD_ABI_SYMBOL "switchboard_abi_version"
#define SWITCHBOARD_FACTORY_SYMBOL "switchboard_create_resolver"

// Exports `factory` (a function with the ResolverFactory signature) and this
// header's ABI version. Use once per plugin library, at global namespace
// scope (the factory itself may live in an unnamed namespace).
#define SWITCHBOARD_RESOLVER_PLUGIN(factory)                                        \
  namespace switchboard_plugin_exports {                                            \
  const std::uint32_t abi_version = ::switchboard::kAbiVersion;                     \
  }                                                                                 \
  BOOST_DLL_ALIAS(switchboard_plugin_exports::abi_version, switchboard_abi_version) \
  BOOST_DLL_ALIAS(factory, switchboard_create_resolver)
