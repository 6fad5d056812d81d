#include "domain/domain_errors.h"

namespace switchboard {

const char* DomainCodeName(DomainCode code) {
  switch (code) {
    case DomainCode::kInvalidField:
      return "invalid_field";
    case DomainCode::kUnauthenticated:
      return "unauthenticated";
    case DomainCode::kRefused:
      return "refused";
    case DomainCode::kNotFound:
      return "not_found";
    case DomainCode::kConflict:
      return "conflict";
    case DomainCode::kNoBroker:
      return "no_broker";
    case DomainCode::kStorageUnavailable:
      return "storage_unavailable";
  }
  return "unknown";
}

}  // namespace switchboard
