// The `switchboard` subcommands. Each takes the words after its name and
// returns the process exit code: 0 success, 1 failure (a one-line message on
// stderr, `file:line:col: message` for configuration problems), 2 usage.
#pragma once

#include <string>
#include <vector>

namespace switchboard::cli {

using Args = std::vector<std::string>;

int RunServe(const Args& args);            // serve the HTTP API
int RunMigrate(const Args& args);          // apply pending migrations
int RunCheckConfig(const Args& args);      // validate the YAML and load every plugin
int RunResolve(const Args& args);          // resolve one device, no server needed
int RunKeys(const Args& args);             // provisioning keys: create
int RunExport(const Args& args);           // write Mosquitto password and ACL files
int RunRotateSecretKey(const Args& args);  // seal broker secrets with the current key

}  // namespace switchboard::cli
