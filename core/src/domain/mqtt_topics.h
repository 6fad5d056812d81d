// MQTT topic names and filters (MQTT 3.1.1 §4.7, 5.0 §4.7): validity and
// matching, as the live admission routes (mqtt_auth.h) and the export
// (mosquitto_export.h) need them. Pure functions on byte strings; thread-safe.
//
// Levels are separated by '/'. In a filter, `+` stands for exactly one level
// and `#` (only as the whole last level) for any number of levels, zero
// included ("a/#" matches "a"). A topic starting with '$' is matched only by
// a filter whose first level is the same literal (never by `+` or `#` there),
// as brokers treat `$SYS` topics.
#pragma once

#include <string_view>

namespace switchboard {

// The most bytes an MQTT string (topic, username, password, client id) can
// hold on the wire.
inline constexpr std::size_t kMaxMqttStringBytes = 65535;

// A topic a client may publish to: 1..65535 bytes, no NUL, no `+` or `#`.
// UTF-8 is not checked here (the JSON layer already refuses invalid UTF-8).
bool IsValidTopicName(std::string_view topic);

// A topic filter a client may subscribe to: 1..65535 bytes, no NUL, `+` only
// as a whole level, `#` only as the whole last level.
bool IsValidTopicFilter(std::string_view filter);

// True when `topic` (a valid topic name) matches `filter` (a valid filter).
// False when either is invalid.
bool TopicMatchesFilter(std::string_view filter, std::string_view topic);

// True when every topic `requested` can match is also matched by `granted`
// (both valid filters): what a subscription needs to be allowed whole.
// "a/#" covers "a/+/b" and "a"; "a/+" covers "a/b" but not "a/#". False when
// either is invalid.
bool FilterCoversFilter(std::string_view granted, std::string_view requested);

}  // namespace switchboard
