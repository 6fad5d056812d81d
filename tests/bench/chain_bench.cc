// bench_chain: in-process resolution figures on a dataset made by
// bench_dataset (docs/benchmarks.md, target 3).
//
//   bench_chain --url=URL --devices=N --config=FILE [benchmark flags]
//
// --config names the YAML whose `resolution:` chain is benchmarked (the
// shipped configs/switchboard.yaml); its plugin_dirs are replaced by
// --plugin-dir when given. Every benchmark draws devices from one fixed
// pseudo-random sequence of pinned devices (dataset.h: the `device` step
// resolves them), so they read the same rows:
//
//   BM_RawSociLookup   the floor: one SOCI statement prepared once, executed
//                      per device, fetching the device row joined with its
//                      broker row (every column the chain reads).
//   BM_ChainResolve    ResolveDevice() with the shipped chain: what explain
//                      and `switchboard resolve` run (lease, load, chain).
//   BM_DeviceMqtt      ProvisioningService::DeviceMqtt(): the config-fetch
//                      handler without HTTP (API key check, chain, topics).
//   BM_ChainResolveAny the shipped chain over all devices (pinned, fleet and
//                      regional ones): informative.
//   BM_DeviceMqttBackups
//                      BM_DeviceMqtt with every answer two endpoints longer
//                      (target 6 without HTTP): two more brokers are made the
//                      backups of every dataset broker, as run_bench.py's
//                      add_backups does, for the run only (BackupBrokers).
//                      Informative; compare it with BM_DeviceMqtt.
//
// Report real time (PostgreSQL work happens in the server process).
#include <benchmark/benchmark.h>
#include <soci/soci.h>

#include <cstdlib>
#include <iostream>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "config/config.h"
#include "dataset.h"
#include "domain/provisioning.h"
#include "engine/chain.h"
#include "engine/resolve_context.h"
#include "storage/storage.h"
#include "util/log.h"

namespace switchboard::bench {
namespace {

struct Setup {
  std::string url;
  std::string config_path;
  std::string plugin_dir;
  std::int64_t devices = 0;
};

Setup& Flags() {
  static Setup setup;
  return setup;
}

struct World {
  Config config;
  std::unique_ptr<Storage> storage;
  std::shared_ptr<const Chain> chain;
  NullLogger log;
  std::unique_ptr<ProvisioningService> provisioning;
  std::vector<std::int64_t> pinned;  // device indexes, shuffled
  std::vector<std::int64_t> any;
};

World& TheWorld() {
  static World* world = [] {
    auto* w = new World;
    const Setup& flags = Flags();
    w->config = LoadConfigFile(flags.config_path);
    if (!flags.plugin_dir.empty()) w->config.resolution.plugin_dirs = {flags.plugin_dir};
    w->config.storage.url = flags.url;
    w->storage = std::make_unique<Storage>(flags.url, 2, std::chrono::milliseconds(5000));
    w->chain = BuildChain(w->config);
    w->provisioning =
        std::make_unique<ProvisioningService>(*w->storage, w->config.provisioning, w->log);
    std::mt19937_64 random(42);
    std::uniform_int_distribution<std::int64_t> pick(0, flags.devices - 1);
    while (w->pinned.size() < 4096) {
      const std::int64_t i = pick(random);
      if (DevicePinned(i)) w->pinned.push_back(i);
    }
    for (int k = 0; k < 4096; ++k) w->any.push_back(pick(random));
    return w;
  }();
  return *world;
}

void BM_RawSociLookup(benchmark::State& state) {
  World& w = TheWorld();
  Storage::Lease lease = w.storage->Acquire();
  soci::session& sql = *lease;
  std::string uuid;
  // Device columns (as LoadDeviceByUuid) and broker columns (as broker_rows.cc).
  long long id = 0, broker_id = 0, b_id = 0;
  std::string d_uuid, name, type, fleet, region;
  soci::indicator fleet_ind{}, region_ind{}, broker_ind{};
  std::string b_name, b_desc, b_protocol, b_host, b_path, b_user, b_password, b_ca, b_cert, b_key,
      b_prefix, b_type, b_region, b_extra;
  soci::indicator i_desc{}, i_path{}, i_user{}, i_password{}, i_ca{}, i_cert{}, i_key{}, i_prefix{},
      i_region{}, i_extra{};
  int port = 0, use_tls = 0, verify = 0, keep_alive = 0, clean = 0, reconnect = 0, connect = 0,
      active = 0, is_default = 0, weight = 0;
  soci::statement st(sql);
  st.exchange(soci::into(id));
  st.exchange(soci::into(d_uuid));
  st.exchange(soci::into(name));
  st.exchange(soci::into(type));
  st.exchange(soci::into(fleet, fleet_ind));
  st.exchange(soci::into(region, region_ind));
  st.exchange(soci::into(broker_id, broker_ind));
  st.exchange(soci::into(b_id));
  st.exchange(soci::into(b_name));
  st.exchange(soci::into(b_desc, i_desc));
  st.exchange(soci::into(b_protocol));
  st.exchange(soci::into(b_host));
  st.exchange(soci::into(port));
  st.exchange(soci::into(b_path, i_path));
  st.exchange(soci::into(b_user, i_user));
  st.exchange(soci::into(b_password, i_password));
  st.exchange(soci::into(use_tls));
  st.exchange(soci::into(b_ca, i_ca));
  st.exchange(soci::into(b_cert, i_cert));
  st.exchange(soci::into(b_key, i_key));
  st.exchange(soci::into(verify));
  st.exchange(soci::into(b_prefix, i_prefix));
  st.exchange(soci::into(keep_alive));
  st.exchange(soci::into(clean));
  st.exchange(soci::into(reconnect));
  st.exchange(soci::into(connect));
  st.exchange(soci::into(active));
  st.exchange(soci::into(is_default));
  st.exchange(soci::into(b_type));
  st.exchange(soci::into(b_region, i_region));
  st.exchange(soci::into(weight));
  st.exchange(soci::into(b_extra, i_extra));
  st.exchange(soci::use(uuid));
  st.alloc();
  st.prepare(
      "SELECT d.id, d.uuid, d.device_name, d.device_type, d.fleet_id, d.region, d.mqtt_broker_id, "
      "b.id, b.name, b.description, b.protocol, b.host, b.port, b.path, b.username, b.password, "
      "b.use_tls, b.ca_cert, b.client_cert, b.client_key, b.verify_certificate, "
      "b.client_id_prefix, b.keep_alive, b.clean_session, b.reconnect_period, "
      "b.connect_timeout, b.is_active, b.is_default, b.broker_type, b.region, b.weight, "
      "b.extra_config FROM devices d JOIN mqtt_broker_config b ON b.id = d.mqtt_broker_id "
      "WHERE d.uuid = :uuid");
  st.define_and_bind();
  std::size_t k = 0;
  for (auto _ : state) {
    uuid = DeviceUuid(w.pinned[k++ % w.pinned.size()]);
    if (!st.execute(true)) {
      state.SkipWithError("raw lookup found no row");
      break;
    }
    benchmark::DoNotOptimize(b_host.data());
  }
}

void RunChain(benchmark::State& state, const std::vector<std::int64_t>& devices) {
  World& w = TheWorld();
  std::size_t k = 0;
  for (auto _ : state) {
    const std::string uuid = DeviceUuid(devices[k++ % devices.size()]);
    Resolution resolution = ResolveDevice(*w.chain, *w.storage, uuid, w.log);
    if (!resolution.broker) {
      state.SkipWithError(("no broker: " + resolution.reason).c_str());
      break;
    }
    benchmark::DoNotOptimize(resolution.broker->host.data());
  }
}

void BM_ChainResolve(benchmark::State& state) { RunChain(state, TheWorld().pinned); }
void BM_ChainResolveAny(benchmark::State& state) { RunChain(state, TheWorld().any); }

void BM_DeviceMqtt(benchmark::State& state) {
  World& w = TheWorld();
  std::size_t k = 0;
  for (auto _ : state) {
    const std::int64_t i = w.pinned[k++ % w.pinned.size()];
    OrRefusal<DeviceMqttAccess> access =
        w.provisioning->DeviceMqtt(*w.chain, DeviceUuid(i), DeviceApiKey(i));
    benchmark::DoNotOptimize(access.value().broker.data());
  }
}

// Two backup brokers (active, no region, not the default) in every dataset
// broker's backup_broker_ids for this object's lifetime: pinned devices then
// get 3-endpoint answers. Each device's first fetch after a change records
// what it was handed (a write, core/src/domain/device_reports.h), so the
// devices are fetched once after adding the backups and once after removing
// them: neither this benchmark nor the others measure those writes.
class BackupBrokers {
 public:
  explicit BackupBrokers(World& w) : w_(w) {
    Storage::Lease lease = w_.storage->Acquire();
    soci::session& sql = *lease;
    soci::transaction tx(sql);
    std::string ids;
    for (const char* name : {"bench-backup-1", "bench-backup-2"}) {
      const std::string n = name;
      const std::string host = n + ".bench.example";
      sql << "INSERT INTO mqtt_broker_config (name, protocol, host, port) VALUES "
             "(:name, 'mqtt', :host, 1883)",
          soci::use(n), soci::use(host);
      long long id = 0;
      sql << "SELECT id FROM mqtt_broker_config WHERE name = :name", soci::into(id), soci::use(n);
      ids += (ids.empty() ? "" : ",") + std::to_string(id);
    }
    sql << "UPDATE mqtt_broker_config SET backup_broker_ids = :ids WHERE name LIKE "
           "'bench-broker-%'",
        soci::use(ids);
    tx.commit();
    FetchEach();
  }
  ~BackupBrokers() {
    {
      Storage::Lease lease = w_.storage->Acquire();
      soci::session& sql = *lease;
      soci::transaction tx(sql);
      sql << "UPDATE mqtt_broker_config SET backup_broker_ids = NULL WHERE name LIKE "
             "'bench-broker-%'";
      sql << "DELETE FROM mqtt_broker_config WHERE name LIKE 'bench-backup-%'";
      tx.commit();
    }
    FetchEach();
  }
  BackupBrokers(const BackupBrokers&) = delete;
  BackupBrokers& operator=(const BackupBrokers&) = delete;

 private:
  void FetchEach() {
    for (const std::int64_t i : w_.pinned) {
      (void)w_.provisioning->DeviceMqtt(*w_.chain, DeviceUuid(i), DeviceApiKey(i));
    }
  }
  World& w_;
};

void BM_DeviceMqttBackups(benchmark::State& state) {
  World& w = TheWorld();
  const BackupBrokers backups(w);
  const std::int64_t first = w.pinned.front();
  if (w.provisioning->DeviceMqtt(*w.chain, DeviceUuid(first), DeviceApiKey(first))
          .value()
          .failover.size() != 2) {
    state.SkipWithError("a pinned device's answer has not 3 endpoints");
    return;
  }
  std::size_t k = 0;
  for (auto _ : state) {
    const std::int64_t i = w.pinned[k++ % w.pinned.size()];
    OrRefusal<DeviceMqttAccess> access =
        w.provisioning->DeviceMqtt(*w.chain, DeviceUuid(i), DeviceApiKey(i));
    benchmark::DoNotOptimize(access.value().view_json.data());
  }
}

BENCHMARK(BM_RawSociLookup)->UseRealTime()->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_ChainResolve)->UseRealTime()->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_DeviceMqtt)->UseRealTime()->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_ChainResolveAny)->UseRealTime()->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_DeviceMqttBackups)->UseRealTime()->Unit(benchmark::kMicrosecond);

}  // namespace
}  // namespace switchboard::bench

int main(int argc, char** argv) {
  using switchboard::bench::Flags;
  // Our flags first; the rest goes to Google Benchmark.
  std::vector<char*> rest = {argv[0]};
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    auto take = [&](const char* prefix, std::string& out) {
      if (arg.rfind(prefix, 0) != 0) return false;
      out = arg.substr(std::string(prefix).size());
      return true;
    };
    std::string devices;
    if (take("--url=", Flags().url) || take("--config=", Flags().config_path) ||
        take("--plugin-dir=", Flags().plugin_dir)) {
      continue;
    }
    if (take("--devices=", devices)) {
      Flags().devices = std::stoll(devices);
      continue;
    }
    rest.push_back(argv[i]);
  }
  if (Flags().url.empty() || Flags().config_path.empty() || Flags().devices <= 0) {
    std::cerr << "usage: bench_chain --url=URL --devices=N --config=FILE [--plugin-dir=DIR] "
                 "[benchmark flags]\n";
    return 2;
  }
  int rest_argc = static_cast<int>(rest.size());
  benchmark::Initialize(&rest_argc, rest.data());
  if (benchmark::ReportUnrecognizedArguments(rest_argc, rest.data())) return 2;
  try {
    switchboard::bench::TheWorld();
  } catch (const std::exception& e) {
    std::cerr << "bench_chain: " << e.what() << "\n";
    return 1;
  }
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
