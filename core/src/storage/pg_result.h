// PgResult: owns a libpq PGresult (PQclear on destruction), for the few
// places that talk to libpq directly (device_read_pipeline.cc,
// registration_writes.cc: pipeline mode, which SOCI does not offer).
#pragma once

#include <libpq-fe.h>

#include <memory>

namespace switchboard {

struct PgResultClear {
  void operator()(PGresult* result) const { PQclear(result); }
};

using PgResult = std::unique_ptr<PGresult, PgResultClear>;

}  // namespace switchboard
