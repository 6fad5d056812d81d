// The headers nearly every test file includes, compiled once per build tree
// into a precompiled header that every test executable reuses
// (switchboard_test_pch, tests/CMakeLists.txt). Parsing GoogleTest, gMock
// and these was about half the compile time of a small test file. Only
// third-party and standard headers belong here: a project header would make
// every test recompile when it changes.
#pragma once

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <soci/soci.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <regex>
#include <set>
#include <sstream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <vector>
