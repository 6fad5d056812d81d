// The request log: one line per answered request, on the process log.
//
//   text: `… INFO request method=GET route=/api/v1/devices/:uuid status=200
//          duration_ms=1.234 remote=127.0.0.1 request_id=6f1c…`
//   json: {"ts":…,"level":"info","msg":"request","request_id":"6f1c…",
//          "method":"GET","route":"/api/v1/devices/:uuid","status":200,
//          "duration_ms":1.234,"remote":"127.0.0.1"}
// `route` is the route pattern, never the raw path (a path carries device
// uuids and, from a careless client, anything else), so no secret reaches
// the log through it; "unmatched" for 404s and requests refused before
// routing. 5xx lines are WARN, the rest INFO.
//
// Thread-safe; `log` must outlive the returned function.
#pragma once

#include "http/http_message.h"
#include "util/log.h"

namespace switchboard::http {

RequestLog RequestLogTo(StderrLogger& log);

}  // namespace switchboard::http
