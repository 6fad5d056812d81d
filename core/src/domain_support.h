// Helpers shared by the domain services (brokers, fleets, devices,
// provisioning keys, registration). Internal to core; not part of any API.
//
// All functions are thread-safe and keep no state.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "storage.h"
#include "switchboard/device.h"
#include "switchboard/logger.h"
#include "switchboard/resolver.h"

namespace soci {
class session;
class soci_error;
}  // namespace soci

struct pg_conn;  // libpq's PGconn

namespace switchboard {

// A field of a partial update that may also be cleared:
//   std::nullopt           the request did not mention it: leave it alone
//   std::optional<T>{}     set the column to NULL
//   a value                set it
template <typename T>
using NullableUpdate = std::optional<std::optional<T>>;

// The current time as stored in every timestamp column:
// `2026-11-29T08:00:00.000Z` (UTC, milliseconds). These strings sort and
// compare correctly as text.
std::string UtcNowIso8601();
std::string UtcIso8601(std::chrono::system_clock::time_point when);

// Number of Unicode code points in `text` (what SQLite's and PostgreSQL's
// length() count), or std::nullopt when `text` is not valid UTF-8.
std::optional<std::size_t> Utf8Length(std::string_view text);

enum class TextKind {
  kSingleLine,  // names, ids, hosts: no control characters at all
  kMultiLine,   // descriptions, PEM: tabs and line breaks allowed
};

// Throws ValidationError(field) unless `value` is valid UTF-8 without NUL (or
// any control character for kSingleLine) and has min..max code points.
void CheckText(const std::string& field, const std::string& value, std::size_t min_chars,
               std::size_t max_chars, TextKind kind = TextKind::kSingleLine);

// Throws ValidationError(field) unless min <= value <= max.
void CheckRange(const std::string& field, std::int64_t value, std::int64_t min, std::int64_t max);

// ASCII lowercase copy.
std::string ToLowerAscii(std::string_view text);

// Called from a `catch (const soci::soci_error&)` block: throws
// StorageUnavailable when the connection was lost or SQLite stayed busy past
// its timeout, and rethrows the current exception otherwise.
[[noreturn]] void RethrowStorageFailure(soci::session& sql);

// Runs idempotent read work on a leased session through Storage::WithRetry
// (one reconnect and retry when the connection was lost), then maps what
// still fails: connection lost or SQLite busy → StorageUnavailable; other
// soci errors propagate. Domain errors thrown by `work` propagate as is.
void ReadWithRetry(Storage& storage, const std::function<void(soci::session&)>& work);

// True when the database refused a statement for a UNIQUE constraint /
// primary key (both dialects' wording).
bool IsUniqueViolation(const soci::soci_error& error);

// True when `sql` is connected to PostgreSQL (no round trip).
bool IsPostgresql(soci::session& sql);

// The libpq connection under a PostgreSQL session; nullptr for any other.
// Only for what SOCI cannot do (pipeline mode); leave it idle afterwards.
pg_conn* PostgresConnection(soci::session& sql);

// True when this is a PostgreSQL session whose current transaction failed
// and ignores every statement until rolled back (no round trip).
bool TransactionAborted(soci::session& sql);

// The ResolveContext for a chain run inside the caller's open write
// transaction. On PostgreSQL a failing statement of one step aborts the
// whole transaction (every later step and the COMMIT would fail). With
// `guard_steps` the context sets a savepoint before the first step reads
// and rolls back to it when a step left the transaction aborted (plugins
// only read). Without it no savepoint is set (one round trip less on every
// registration): Finish() then reports the abort, and the caller rolls back
// and runs the registration again with `guard_steps`. Finish() must be
// called after the chain returned. Not thread-safe: one resolution.
class TransactionResolveContext : public ResolveContext {
 public:
  // All three must outlive the context.
  TransactionResolveContext(const Device& device, soci::session& sql, Logger& log,
                            bool guard_steps);
  const Device& device() override { return device_; }
  soci::session& sql() override;
  Logger& log() override { return log_; }
  // True when the transaction is usable. False when a step aborted it and
  // there was no savepoint: the resolution must be discarded and the
  // transaction rolled back.
  [[nodiscard]] bool Finish();

 private:
  const Device& device_;
  soci::session& sql_;
  Logger& log_;
  const bool postgresql_;
  const bool guard_steps_;
  bool savepoint_ = false;
};

}  // namespace switchboard
