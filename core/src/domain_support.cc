#include "domain_support.h"

#include <libpq-fe.h>
#include <soci/postgresql/soci-postgresql.h>
#include <soci/soci.h>

#include <cstdio>
#include <ctime>
#include <regex>

#include "domain_errors.h"
#include "storage.h"

namespace switchboard {

std::string UtcIso8601(std::chrono::system_clock::time_point when) {
  using namespace std::chrono;
  const auto millis_since_epoch = duration_cast<milliseconds>(when.time_since_epoch()).count();
  auto seconds = static_cast<std::time_t>(millis_since_epoch / 1000);
  auto millis = static_cast<int>(millis_since_epoch % 1000);
  if (millis < 0) {  // before 1970: keep the fraction positive
    millis += 1000;
    seconds -= 1;
  }
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  char buffer[96];  // generous: the compiler cannot bound tm's fields
  std::snprintf(buffer, sizeof buffer, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", utc.tm_year + 1900,
                utc.tm_mon + 1, utc.tm_mday, utc.tm_hour, utc.tm_min, utc.tm_sec, millis);
  return buffer;
}

std::string UtcNowIso8601() { return UtcIso8601(std::chrono::system_clock::now()); }

std::optional<std::size_t> Utf8Length(std::string_view text) {
  std::size_t count = 0;
  std::size_t i = 0;
  while (i < text.size()) {
    const auto c = static_cast<unsigned char>(text[i]);
    std::size_t extra = 0;
    std::uint32_t code = 0;
    if (c < 0x80) {
      code = c;
    } else if ((c & 0xE0) == 0xC0) {
      extra = 1;
      code = c & 0x1F;
    } else if ((c & 0xF0) == 0xE0) {
      extra = 2;
      code = c & 0x0F;
    } else if ((c & 0xF8) == 0xF0) {
      extra = 3;
      code = c & 0x07;
    } else {
      return std::nullopt;
    }
    if (i + extra >= text.size()) return std::nullopt;  // truncated sequence
    for (std::size_t k = 1; k <= extra; ++k) {
      const auto next = static_cast<unsigned char>(text[i + k]);
      if ((next & 0xC0) != 0x80) return std::nullopt;
      code = (code << 6) | (next & 0x3F);
    }
    // Overlong forms, surrogates and values past U+10FFFF are invalid.
    if ((extra == 1 && code < 0x80) || (extra == 2 && code < 0x800) ||
        (extra == 3 && code < 0x10000) || code > 0x10FFFF || (code >= 0xD800 && code <= 0xDFFF)) {
      return std::nullopt;
    }
    i += extra + 1;
    ++count;
  }
  return count;
}

void CheckText(const std::string& field, const std::string& value, std::size_t min_chars,
               std::size_t max_chars, TextKind kind) {
  const auto length = Utf8Length(value);
  if (!length) throw ValidationError(field, field + " must be valid UTF-8");
  for (const char ch : value) {
    const auto c = static_cast<unsigned char>(ch);
    if (c == 0) throw ValidationError(field, field + " must not contain NUL characters");
    const bool control = c < 0x20 || c == 0x7F;
    if (!control) continue;
    if (kind == TextKind::kSingleLine || (c != '\t' && c != '\n' && c != '\r')) {
      throw ValidationError(field, field + " must not contain control characters");
    }
  }
  if (*length < min_chars || *length > max_chars) {
    if (min_chars > 0 && value.empty()) {
      throw ValidationError(field, field + " must not be empty");
    }
    throw ValidationError(field, field + " must be " + std::to_string(min_chars) + " to " +
                                     std::to_string(max_chars) + " characters long");
  }
}

void CheckRange(const std::string& field, std::int64_t value, std::int64_t min, std::int64_t max) {
  if (value < min || value > max) {
    throw ValidationError(
        field, field + " must be between " + std::to_string(min) + " and " + std::to_string(max));
  }
}

std::string ToLowerAscii(std::string_view text) {
  std::string out(text);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

PGconn* PostgresConnection(soci::session& sql) {
  soci::details::session_backend* backend = sql.get_backend();
  if (backend == nullptr || backend->get_backend_name() != "postgresql") return nullptr;
  // The backend class exports no typeinfo (no dynamic_cast): the name is the
  // check, as in storage.cc.
  return static_cast<soci::postgresql_session_backend*>(backend)->conn_;
}

void RethrowStorageFailure(soci::session& sql) {
  if (IsConnectionFailure(sql)) {
    throw StorageUnavailable("database connection lost; try again");
  }
  try {
    throw;
  } catch (const soci::soci_error& e) {
    static const std::regex busy("database is locked|database table is locked|SQLITE_BUSY",
                                 std::regex::icase);
    if (std::regex_search(e.get_error_message(), busy)) {
      throw StorageUnavailable("storage busy; try again");
    }
    throw;
  }
}

void ReadWithRetry(Storage& storage, const std::function<void(soci::session&)>& work) {
  bool lost = false;
  try {
    storage.WithRetry([&](soci::session& sql) {
      try {
        work(sql);
      } catch (const soci::soci_error&) {
        lost = IsConnectionFailure(sql);
        if (!lost) RethrowStorageFailure(sql);
        throw;  // WithRetry reconnects and runs `work` once more
      }
    });
  } catch (const soci::soci_error&) {
    if (lost) throw StorageUnavailable("database connection lost; try again");
    throw;
  }
}

bool IsUniqueViolation(const soci::soci_error& error) {
  static const std::regex pattern("UNIQUE constraint failed|duplicate key value|unique constraint",
                                  std::regex::icase);
  return std::regex_search(error.get_error_message(), pattern);
}

bool IsPostgresql(soci::session& sql) { return PostgresConnection(sql) != nullptr; }

bool TransactionAborted(soci::session& sql) {
  PGconn* connection = PostgresConnection(sql);
  return connection != nullptr && PQtransactionStatus(connection) == PQTRANS_INERROR;
}

TransactionResolveContext::TransactionResolveContext(const Device& device, soci::session& sql,
                                                     Logger& log, bool guard_steps)
    : device_(device),
      sql_(sql),
      log_(log),
      postgresql_(IsPostgresql(sql)),
      guard_steps_(guard_steps) {}

soci::session& TransactionResolveContext::sql() {
  if (postgresql_ && guard_steps_) {
    if (!savepoint_) {
      sql_ << "SAVEPOINT switchboard_resolve";
      savepoint_ = true;
    } else if (TransactionAborted(sql_)) {
      sql_ << "ROLLBACK TO SAVEPOINT switchboard_resolve";
    }
  }
  return sql_;
}

bool TransactionResolveContext::Finish() {
  if (!TransactionAborted(sql_)) return true;
  if (!savepoint_) return false;
  sql_ << "ROLLBACK TO SAVEPOINT switchboard_resolve";
  return true;
}

}  // namespace switchboard
