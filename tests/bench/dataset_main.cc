// bench_dataset: builds and checks the benchmark datasets (dataset.h).
//
//   bench_dataset generate --url URL --devices N [--pg-schema S]
//       Applies the migrations to an EMPTY database, then inserts the brokers,
//       fleets, the provisioning key and N devices in big transactions:
//       SQLite through one prepared statement with bulk (vector) binding,
//       PostgreSQL through COPY. With --pg-schema the schema is dropped and
//       created first and everything happens inside it.
//   bench_dataset count  --url URL [--pg-schema S]         prints `devices=N`
//   bench_dataset verify --url URL [--pg-schema S] FILE...
//       FILE holds one uuid per line (devices a benchmark saw acknowledged);
//       prints `verify: acknowledged=A present=P missing=M`, exit 1 if M > 0.
//   bench_dataset verify-reports --url URL [--pg-schema S] FILE...
//       FILE holds `<uuid> bench-<run>-<seq>` lines: the state reports a
//       benchmark saw acknowledged (report.lua; seq grows per device). A
//       device is current when its stored report (device_reports) is its
//       last acknowledged one or a later one of the same run; prints
//       `reports: acknowledged=A devices=D current=C missing=M`, exit 1 if
//       M > 0.
//   bench_dataset drop-schema --url URL --pg-schema S
//
// The connection string a server needs for a schema is printed by generate
// (`url=…`): the base URL plus ` options=-csearch_path=S`.
#include <libpq-fe.h>
#include <soci/postgresql/soci-postgresql.h>
#include <soci/soci.h>
#include <soci/sqlite3/soci-sqlite3.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <map>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

#include "dataset.h"
#include "storage/migrations.h"
#include "storage/storage.h"
#include "util/crypto.h"

namespace switchboard::bench {
namespace {

constexpr char kCreatedAt[] = "2026-01-01T00:00:00.000Z";
constexpr std::size_t kBatch = 20'000;

struct Options {
  std::string command;
  std::string url;
  std::string schema;
  std::int64_t devices = -1;
  std::vector<std::string> files;
};

[[noreturn]] void Usage(const std::string& why) {
  std::cerr << "bench_dataset: " << why
            << "\nusage: bench_dataset generate|count|verify|verify-reports|drop-schema --url URL "
               "[--devices N] [--pg-schema S] [FILE...]\n";
  std::exit(2);
}

Options Parse(int argc, char** argv) {
  Options o;
  if (argc < 2) Usage("missing command");
  o.command = argv[1];
  for (int i = 2; i < argc; ++i) {
    const std::string a = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) Usage(a + " needs a value");
      return argv[++i];
    };
    if (a == "--url") {
      o.url = value();
    } else if (a == "--pg-schema") {
      o.schema = value();
    } else if (a == "--devices") {
      o.devices = std::stoll(value());
    } else if (!a.empty() && a[0] == '-') {
      Usage("unknown option " + a);
    } else {
      o.files.push_back(a);
    }
  }
  if (o.url.empty()) Usage("--url is required");
  for (char c : o.schema) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_')) {
      Usage("--pg-schema: lowercase letters, digits and _ only");
    }
  }
  return o;
}

bool IsPostgres(const std::string& url) { return url.rfind("postgresql://", 0) == 0; }

// The URL every connection uses: inside the schema when one is given.
std::string EffectiveUrl(const Options& o) {
  if (o.schema.empty() || !IsPostgres(o.url)) return o.url;
  return o.url + " options=-csearch_path=" + o.schema;
}

void Open(soci::session& sql, const std::string& url) {
  if (IsPostgres(url)) {
    sql.open(soci::postgresql, url.substr(std::string("postgresql://").size()));
  } else {
    sql.open(soci::sqlite3, url.substr(std::string("sqlite3://").size()));
  }
}

void RecreateSchema(const Options& o, bool create) {
  soci::session sql;
  Open(sql, o.url);
  sql << "SET client_min_messages = warning";
  sql << "DROP SCHEMA IF EXISTS " + o.schema + " CASCADE";
  if (create) sql << "CREATE SCHEMA " + o.schema;
}

std::map<int, long long> InsertBrokersAndFleets(soci::session& sql) {
  std::map<int, long long> ids;
  // Named: SOCI must never bind a temporary (it runs at the end of the
  // full expression, after the temporary died).
  const std::string created = kCreatedAt;
  const std::string fleet = kProvisioningFleet;
  soci::transaction tx(sql);
  for (int b = 1; b <= kBrokerCount; ++b) {
    const std::string name = BrokerName(b);
    const bool tls = b % 2 == 1;
    const std::string protocol = tls ? "mqtts" : "mqtt";
    char host[64];
    std::snprintf(host, sizeof host, "mqtt-%02d.bench.example", b);
    const std::string host_text = host;
    const int port = tls ? 8883 : 1883;
    const int use_tls = tls ? 1 : 0;
    const int is_default = b == 1 ? 1 : 0;
    const int is_active = b == kBrokerCount ? 0 : 1;
    const std::string region = kRegions[(b - 1) % kRegionCount];
    const int weight = 50 + (b * 37) % 100;
    const std::string prefix = "bench-" + std::to_string(b) + "-";
    const std::string password = "server-side-secret-" + std::to_string(b);
    sql << "INSERT INTO mqtt_broker_config (name, description, protocol, host, port, username, "
           "password, use_tls, verify_certificate, client_id_prefix, is_active, is_default, "
           "broker_type, region, weight, created_at, updated_at) VALUES (:name, 'benchmark "
           "broker', :protocol, :host, :port, 'switchboard', :password, :tls, 1, :prefix, "
           ":active, :def, 'cloud', :region, :weight, :created, :updated)",
        soci::use(name), soci::use(protocol), soci::use(host_text), soci::use(port),
        soci::use(password), soci::use(use_tls), soci::use(prefix), soci::use(is_active),
        soci::use(is_default), soci::use(region), soci::use(weight), soci::use(created),
        soci::use(created);
    long long id = 0;
    sql << "SELECT id FROM mqtt_broker_config WHERE name = :name", soci::into(id), soci::use(name);
    ids[b] = id;
  }
  for (int f = 0; f < kFleetCount; ++f) {
    const std::string id = FleetId(f);
    const std::string name = "Benchmark fleet " + std::to_string(f);
    const std::optional<int> broker = FleetBroker(f);
    long long broker_id = broker ? ids[*broker] : 0;
    soci::indicator ind = broker ? soci::i_ok : soci::i_null;
    sql << "INSERT INTO fleets (id, name, mqtt_broker_id, created_at, updated_at) VALUES (:id, "
           ":name, :broker, :created, :updated)",
        soci::use(id), soci::use(name), soci::use(broker_id, ind), soci::use(created),
        soci::use(created);
  }
  const std::string key_hash = Sha256Hex(kProvisioningKey);
  sql << "INSERT INTO provisioning_keys (key_hash, fleet_id, description, created_at) VALUES "
         "(:hash, :fleet, 'benchmark registrations (no maximum)', :created)",
      soci::use(key_hash), soci::use(fleet), soci::use(created);
  tx.commit();
  return ids;
}

// Device indexes in uuid order: the UNIQUE index on uuid then grows at its
// right edge instead of taking random inserts (3x faster loads).
std::vector<std::int64_t> UuidOrder(std::int64_t n) {
  std::vector<std::pair<std::uint32_t, std::int64_t>> keys;
  keys.reserve(static_cast<std::size_t>(n));
  for (std::int64_t i = 0; i < n; ++i) {
    // The uuid's first group; ties are ordered by the last group, i.
    keys.emplace_back(
        static_cast<std::uint32_t>((static_cast<std::uint64_t>(i) * 2654435761ULL) % 4294967296ULL),
        i);
  }
  std::sort(keys.begin(), keys.end());
  std::vector<std::int64_t> order;
  order.reserve(keys.size());
  for (const auto& key : keys) order.push_back(key.second);
  return order;
}

// The secondary indexes of `devices` (not the ones behind constraints):
// dropped before a load and created again after it, which sorts once
// instead of inserting a million random keys. Returns their definitions.
std::vector<std::string> DropSecondaryIndexes(soci::session& sql, bool postgres) {
  std::vector<std::string> names(64), definitions(64);
  if (postgres) {
    sql << "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'devices' AND "
           "schemaname = current_schema() AND indexname NOT IN (SELECT conname FROM "
           "pg_constraint)",
        soci::into(names), soci::into(definitions);
  } else {
    sql << "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'devices' "
           "AND sql IS NOT NULL",
        soci::into(names), soci::into(definitions);
  }
  for (const std::string& name : names) sql << "DROP INDEX " + name;
  return definitions;
}

// SQLite: one prepared INSERT, vectors of kBatch rows per execute, one
// transaction for everything.
void InsertDevicesSqlite(soci::session& sql, std::int64_t n, const std::map<int, long long>& ids) {
  sql << "PRAGMA synchronous = OFF";
  sql << "PRAGMA cache_size = -262144";  // 256 MiB while loading: index pages stay cached
  const std::vector<std::int64_t> order = UuidOrder(n);
  std::vector<std::string> uuid, name, fleet, region, hash;
  std::vector<long long> broker;
  std::vector<soci::indicator> broker_ind;
  const std::string type = "sensor", created = kCreatedAt;
  std::vector<std::string> type_v, created_v;
  soci::transaction tx(sql);
  const std::vector<std::string> indexes = DropSecondaryIndexes(sql, false);
  for (std::int64_t start = 0; start < n; start += kBatch) {
    const std::int64_t end = std::min<std::int64_t>(n, start + kBatch);
    uuid.clear(), name.clear(), fleet.clear(), region.clear(), hash.clear(), broker.clear(),
        broker_ind.clear(), type_v.clear(), created_v.clear();
    for (std::int64_t k = start; k < end; ++k) {
      const std::int64_t i = order[static_cast<std::size_t>(k)];
      uuid.push_back(DeviceUuid(i));
      name.push_back("bench-device-" + std::to_string(i));
      fleet.push_back(FleetId(DeviceFleet(i)));
      region.push_back(DeviceRegion(i));
      hash.push_back(HashDeviceApiKey(DeviceApiKey(i)));
      broker.push_back(DevicePinned(i) ? ids.at(DeviceBroker(i)) : 0);
      broker_ind.push_back(DevicePinned(i) ? soci::i_ok : soci::i_null);
      type_v.push_back(type);
      created_v.push_back(created);
    }
    sql << "INSERT INTO devices (uuid, device_name, device_type, fleet_id, region, "
           "mqtt_broker_id, api_key_hash, created_at, updated_at) VALUES (:uuid, :name, :type, "
           ":fleet, :region, :broker, :hash, :created, :updated)",
        soci::use(uuid), soci::use(name), soci::use(type_v), soci::use(fleet), soci::use(region),
        soci::use(broker, broker_ind), soci::use(hash), soci::use(created_v), soci::use(created_v);
  }
  for (const std::string& definition : indexes) sql << definition;
  tx.commit();
  sql << "PRAGMA synchronous = NORMAL";
}

PGconn* Connection(soci::session& sql) {
  return static_cast<soci::postgresql_session_backend*>(sql.get_backend())->conn_;
}

// PostgreSQL: COPY … FROM STDIN in text format, one transaction.
void InsertDevicesPostgres(soci::session& sql, std::int64_t n,
                           const std::map<int, long long>& ids) {
  PGconn* conn = Connection(sql);
  auto exec = [&](const char* command, ExecStatusType expected) {
    PGresult* result = PQexec(conn, command);
    const bool ok = PQresultStatus(result) == expected;
    std::string error = ok ? "" : PQerrorMessage(conn);
    PQclear(result);
    if (!ok) throw std::runtime_error(std::string(command) + ": " + error);
  };
  exec("BEGIN", PGRES_COMMAND_OK);
  const std::vector<std::string> indexes = DropSecondaryIndexes(sql, true);
  const std::vector<std::int64_t> order = UuidOrder(n);
  exec(
      "COPY devices (uuid, device_name, device_type, fleet_id, region, mqtt_broker_id, "
      "api_key_hash, created_at, updated_at) FROM STDIN",
      PGRES_COPY_IN);
  std::string chunk;
  chunk.reserve(4 << 20);
  for (std::int64_t k = 0; k < n; ++k) {
    const std::int64_t i = order[static_cast<std::size_t>(k)];
    chunk += DeviceUuid(i);
    chunk += "\tbench-device-" + std::to_string(i) + "\tsensor\t";
    chunk += FleetId(DeviceFleet(i));
    chunk += '\t';
    chunk += DeviceRegion(i);
    chunk += '\t';
    chunk += DevicePinned(i) ? std::to_string(ids.at(DeviceBroker(i))) : "\\N";
    chunk += '\t';
    chunk += HashDeviceApiKey(DeviceApiKey(i));
    chunk += '\t';
    chunk += kCreatedAt;
    chunk += '\t';
    chunk += kCreatedAt;
    chunk += '\n';
    if (chunk.size() > (4 << 20) - 512 || k + 1 == n) {
      if (PQputCopyData(conn, chunk.data(), static_cast<int>(chunk.size())) != 1) {
        throw std::runtime_error(std::string("COPY: ") + PQerrorMessage(conn));
      }
      chunk.clear();
    }
  }
  if (PQputCopyEnd(conn, nullptr) != 1) {
    throw std::runtime_error(std::string("COPY end: ") + PQerrorMessage(conn));
  }
  PGresult* result = PQgetResult(conn);
  const bool ok = PQresultStatus(result) == PGRES_COMMAND_OK;
  PQclear(result);
  while ((result = PQgetResult(conn)) != nullptr) PQclear(result);
  if (!ok) throw std::runtime_error(std::string("COPY: ") + PQerrorMessage(conn));
  for (const std::string& definition : indexes) exec(definition.c_str(), PGRES_COMMAND_OK);
  exec("COMMIT", PGRES_COMMAND_OK);
  // What autovacuum would do soon after a load this size: statistics and the
  // visibility map, so reads do not pay for hint-bit writes.
  exec("VACUUM ANALYZE", PGRES_COMMAND_OK);
}

long long CountDevices(soci::session& sql) {
  long long n = 0;
  sql << "SELECT COUNT(*) FROM devices", soci::into(n);
  return n;
}

int Generate(const Options& o) {
  if (o.devices < 0) Usage("generate needs --devices N");
  const auto start = std::chrono::steady_clock::now();
  if (!o.schema.empty() && IsPostgres(o.url)) RecreateSchema(o, true);
  const std::string url = EffectiveUrl(o);
  {
    Storage storage(url, 1, std::chrono::milliseconds(5000));
    ApplyMigrations(storage);
  }
  soci::session sql;
  Open(sql, url);
  long long existing = 0;
  sql << "SELECT COUNT(*) FROM mqtt_broker_config", soci::into(existing);
  if (existing != 0) {
    std::cerr << "bench_dataset: the database is not empty (" << existing << " brokers)\n";
    return 1;
  }
  const std::map<int, long long> ids = InsertBrokersAndFleets(sql);
  if (o.devices > 0) {
    if (IsPostgres(url)) {
      InsertDevicesPostgres(sql, o.devices, ids);
    } else {
      InsertDevicesSqlite(sql, o.devices, ids);
    }
  }
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::cout << "dataset: devices=" << CountDevices(sql) << " brokers=" << kBrokerCount
            << " fleets=" << kFleetCount << " regions=" << kRegionCount << " seconds=" << seconds
            << "\nurl=" << url << "\n";
  return 0;
}

int Verify(const Options& o) {
  std::set<std::string> acknowledged;
  for (const std::string& file : o.files) {
    std::ifstream in(file);
    if (!in) {
      std::cerr << "bench_dataset: cannot read " << file << "\n";
      return 1;
    }
    for (std::string line; std::getline(in, line);) {
      if (!line.empty()) acknowledged.insert(line);
    }
  }
  soci::session sql;
  Open(sql, EffectiveUrl(o));
  std::string uuid;
  int found = 0;
  soci::statement st = (sql.prepare << "SELECT COUNT(*) FROM devices WHERE uuid = :uuid",
                        soci::into(found), soci::use(uuid));
  long long present = 0;
  for (const std::string& u : acknowledged) {
    uuid = u;
    st.execute(true);
    present += found;
  }
  const long long missing = static_cast<long long>(acknowledged.size()) - present;
  std::cout << "verify: acknowledged=" << acknowledged.size() << " present=" << present
            << " missing=" << missing << "\n";
  return missing == 0 ? 0 : 1;
}

// "bench-<run>-<seq>": the run and the sequence number; false otherwise.
bool SplitReportToken(const std::string& token, std::string* run, long long* seq) {
  const auto dash = token.rfind('-');
  if (token.rfind("bench-", 0) != 0 || dash == std::string::npos || dash <= 6) return false;
  *run = token.substr(0, dash);
  try {
    std::size_t used = 0;
    *seq = std::stoll(token.substr(dash + 1), &used);
    return used == token.size() - dash - 1;
  } catch (const std::exception&) {
    return false;
  }
}

int VerifyReports(const Options& o) {
  struct Acked {
    std::string run;
    long long seq = -1;
  };
  std::map<std::string, Acked> last;  // uuid → its last acknowledged report
  long long acknowledged = 0;
  for (const std::string& file : o.files) {
    std::ifstream in(file);
    if (!in) {
      std::cerr << "bench_dataset: cannot read " << file << "\n";
      return 1;
    }
    std::string uuid, token;
    while (in >> uuid >> token) {
      Acked a;
      if (!SplitReportToken(token, &a.run, &a.seq)) {
        std::cerr << "bench_dataset: " << file << ": not a report token: " << token << "\n";
        return 1;
      }
      ++acknowledged;
      Acked& slot = last[uuid];
      if (a.seq > slot.seq) slot = a;
    }
  }
  soci::session sql;
  Open(sql, EffectiveUrl(o));
  std::string uuid, stored;
  soci::indicator stored_ind = soci::i_null;
  soci::statement st =
      (sql.prepare << "SELECT r.config_version FROM device_reports r JOIN devices d ON d.id = "
                      "r.device_id WHERE d.uuid = :uuid",
       soci::into(stored, stored_ind), soci::use(uuid));
  long long current = 0;
  for (const auto& [u, acked] : last) {
    uuid = u;
    stored_ind = soci::i_null;
    if (!st.execute(true) || stored_ind != soci::i_ok) continue;
    std::string run;
    long long seq = -1;
    if (SplitReportToken(stored, &run, &seq) && run == acked.run && seq >= acked.seq) ++current;
  }
  const long long missing = static_cast<long long>(last.size()) - current;
  std::cout << "reports: acknowledged=" << acknowledged << " devices=" << last.size()
            << " current=" << current << " missing=" << missing << "\n";
  return missing == 0 ? 0 : 1;
}

}  // namespace
}  // namespace switchboard::bench

int main(int argc, char** argv) {
  using namespace switchboard::bench;
  const Options o = Parse(argc, argv);
  try {
    if (o.command == "generate") return Generate(o);
    if (o.command == "verify") return Verify(o);
    if (o.command == "verify-reports") return VerifyReports(o);
    if (o.command == "count") {
      soci::session sql;
      Open(sql, EffectiveUrl(o));
      std::cout << "devices=" << CountDevices(sql) << "\n";
      return 0;
    }
    if (o.command == "drop-schema") {
      if (o.schema.empty() || !IsPostgres(o.url))
        Usage("drop-schema needs a PostgreSQL --url and --pg-schema");
      RecreateSchema(o, false);
      return 0;
    }
    Usage("unknown command " + o.command);
  } catch (const std::exception& e) {
    std::cerr << "bench_dataset: " << e.what() << "\n";
    return 1;
  }
}
