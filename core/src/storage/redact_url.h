// Masks the password in a storage URL, so the URL can be printed (the
// startup line, storage warnings, explain trace reasons).
//
// The PostgreSQL part is read the way libpq reads a conninfo string
// (PQconnectdb): `key = value` pairs, spaces allowed around `=`, values
// single-quoted with backslash escapes (`password='a \' b'`) or bare with
// backslash escapes; or a URI, `postgresql://user:password@host/db?password=…`
// (also `postgres://`). Keywords are compared without regard to case, and in
// a URI's query after percent-decoding, so nothing libpq would take as a
// password is left. Text libpq could not parse is masked whole from the
// scheme on: it cannot be known which part of it is secret.
//
// Pure function; thread-safe.
#pragma once

#include <string>
#include <string_view>

namespace switchboard {

// `sqlite3://…` is returned as it is (SQLite has no password);
// `postgresql://…` with every password value replaced by `***`.
std::string RedactDatabaseUrl(std::string_view url);

}  // namespace switchboard
