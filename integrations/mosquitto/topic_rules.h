// Topic rights, evaluated inside the broker: the `acl` list of an allow from
// `POST /api/v1/mqtt/auth` (EMQX 5's client-ACL shape), checked against each
// publish, subscribe and delivery without an HTTP call. Pure functions;
// thread-safe.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace switchboard::mosquitto_plugin {

struct Rule {
  enum class Action { kPublish, kSubscribe, kAll };
  bool allow = false;
  Action action = Action::kAll;
  std::string topic;  // a topic filter
};
using Rules = std::vector<Rule>;

// What the client is doing (Mosquitto's MOSQ_ACL_* without UNSUBSCRIBE).
enum class Access {
  kPublish,    // MOSQ_ACL_WRITE: `topic` is a topic name
  kRead,       // MOSQ_ACL_READ, a delivery: `topic` is a topic name
  kSubscribe,  // MOSQ_ACL_SUBSCRIBE: `topic` is a filter
};

// The first rule whose action fits and whose filter matches decides (publish
// rules for kPublish, subscribe rules for kRead and kSubscribe, `all` for
// any); no rule: denied. Names are matched with mosquitto_topic_matches_sub;
// a subscription needs a rule whose filter covers all of it (FilterCovers).
bool Allowed(const Rules& rules, Access access, std::string_view topic);

// True when every topic `requested` can match is matched by `granted`
// ("a/#" covers "a/+/b" and "a"; "a/+" does not cover "a/#"). False when
// either is not a valid filter.
bool FilterCovers(std::string_view granted, std::string_view requested);

// The `action` string Switchboard's ACL route expects for `access`.
const char* HookAction(Access access);

}  // namespace switchboard::mosquitto_plugin
