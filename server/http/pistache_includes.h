// The one way the HTTP layer includes Pistache.
//
// Debian's libpistache 0.0.5 is built with PISTACHE_USE_SSL, but its .pc file
// does not say so. Headers have inline code under that macro (the SSL_CTX
// deleter in ssl_wrappers.h): define it, so our copies match the library's.
// Only server/http/*.cc include this; handlers never see Pistache.
#pragma once

#ifndef PISTACHE_USE_SSL
#define PISTACHE_USE_SSL 1
#endif

#include <pistache/endpoint.h>
#include <pistache/http.h>
#include <pistache/peer.h>
#include <pistache/router.h>
