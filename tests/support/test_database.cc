#include "test_database.h"

#include <soci/postgresql/soci-postgresql.h>
#include <soci/soci.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>

#include "missing_tool.h"
#include "storage/migrations.h"

namespace switchboard::testing {
namespace {

std::string UniqueSuffix() {
  static std::atomic<int> counter{0};
  std::random_device random;
  std::ostringstream out;
  out << getpid() << '_' << counter++ << '_' << (random() % 100000);
  return out.str();
}

// libpq's key=value part of a `postgresql://…` URL.
std::string LibpqPart(const std::string& url) {
  const std::string scheme = "postgresql://";
  return url.rfind(scheme, 0) == 0 ? url.substr(scheme.size()) : url;
}

}  // namespace

TempDir::TempDir() {
  std::string pattern =
      (std::filesystem::temp_directory_path() / "switchboard-test-XXXXXX").string();
  if (mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
  path_ = pattern;
}

TempDir::~TempDir() {
  std::error_code ignored;
  std::filesystem::remove_all(path_, ignored);
}

void WriteFile(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
  if (!out) throw std::runtime_error("cannot write " + path);
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

std::unique_ptr<ScratchDatabase> ScratchDatabase::Create(const std::string& backend,
                                                         std::string* why) {
  std::unique_ptr<ScratchDatabase> db(new ScratchDatabase());
  db->backend_ = backend;
  if (backend == "sqlite") {
    std::string pattern =
        (std::filesystem::temp_directory_path() / "switchboard-db-XXXXXX").string();
    if (mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
    db->dir_ = pattern;
    db->url_ = "sqlite3://db=" + db->dir_ + "/test.db timeout=5";
    return db;
  }
  const char* admin = std::getenv("SWITCHBOARD_TEST_POSTGRES_URL");
  if (admin == nullptr || *admin == '\0') {
    *why =
        "no PostgreSQL: SWITCHBOARD_TEST_POSTGRES_URL is not set "
        "(scripts/test starts a throwaway cluster and sets it)";
    return nullptr;
  }
  // One schema per test: fast to create and drop, and the search_path in
  // the connection string keeps every session of the test inside it.
  db->admin_url_ = admin;
  db->schema_ = "t_" + UniqueSuffix();
  {
    soci::session sql(soci::postgresql, LibpqPart(db->admin_url_));
    sql << "CREATE SCHEMA " + db->schema_;
  }
  db->url_ = db->admin_url_ + " options=-csearch_path=" + db->schema_;
  return db;
}

ScratchDatabase::~ScratchDatabase() {
  std::error_code ignored;
  if (!dir_.empty()) std::filesystem::remove_all(dir_, ignored);
  if (!schema_.empty()) {
    try {
      soci::session sql(soci::postgresql, LibpqPart(admin_url_));
      sql << "DROP SCHEMA " + schema_ + " CASCADE";
    } catch (const std::exception&) {
      // Best effort: the cluster is thrown away at the end of scripts/test.
    }
  }
}

void DatabaseTest::SetUp() {
  std::string why;
  database_ = ScratchDatabase::Create(GetParam(), &why);
  if (!database_) SWITCHBOARD_MISSING_TOOL(why);
  storage_ = std::make_unique<Storage>(database_->url(), 4, std::chrono::milliseconds(5000));
  if (migrate_) ApplyMigrations(*storage_);
}

void DatabaseTest::TearDown() {
  storage_.reset();
  database_.reset();
}

void DatabaseTest::Exec(const std::string& sql) {
  Storage::Lease lease = storage_->Acquire();
  *lease << sql;
}

}  // namespace switchboard::testing
