#include "storage/libpq.h"

#include <libpq-fe.h>

#include <soci/postgresql/soci-postgresql.h>
#include <soci/soci.h>

namespace switchboard {

PGconn* PostgresConnection(soci::session& sql) {
  soci::details::session_backend* backend = sql.get_backend();
  if (backend == nullptr || backend->get_backend_name() != "postgresql") return nullptr;
  // The backend class exports no typeinfo (no dynamic_cast): the name is the
  // check, as in storage.cc.
  return static_cast<soci::postgresql_session_backend*>(backend)->conn_;
}

bool IsPostgresql(soci::session& sql) { return PostgresConnection(sql) != nullptr; }

bool TransactionAborted(soci::session& sql) {
  PGconn* connection = PostgresConnection(sql);
  return connection != nullptr && PQtransactionStatus(connection) == PQTRANS_INERROR;
}

}  // namespace switchboard
