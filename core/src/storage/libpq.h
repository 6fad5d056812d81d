// The libpq connection under a SOCI session, for what SOCI cannot do
// (pipeline mode: device_read_pipeline.cc, registration_writes.cc) and for
// asking the connection's state without a round trip. Thread-safe, no state.
#pragma once

namespace soci {
class session;
}

struct pg_conn;  // libpq's PGconn

namespace switchboard {

// The libpq connection under a PostgreSQL session; nullptr for any other.
// Leave it idle afterwards.
pg_conn* PostgresConnection(soci::session& sql);

// True when `sql` is connected to PostgreSQL (no round trip).
bool IsPostgresql(soci::session& sql);

// True when this is a PostgreSQL session whose current transaction failed
// and ignores every statement until rolled back (no round trip).
bool TransactionAborted(soci::session& sql);

}  // namespace switchboard
