// Docs that cannot rot: every config in configs/ and every ```yaml block in
// each plugin README and in docs/chain.md passes the real
// `switchboard check-config`.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>

#include "process.h"
#include "test_database.h"

namespace switchboard {
namespace {

namespace fs = std::filesystem;
using testing::RunCommand;
using testing::ShellQuote;
using testing::SwitchboardBinary;

const fs::path kSource = SWITCHBOARD_SOURCE_DIR;

// The ```yaml fenced blocks of a Markdown file.
std::vector<std::string> YamlBlocks(const fs::path& markdown) {
  const std::string text = testing::ReadFile(markdown.string());
  static const std::regex block("```yaml\\n([\\s\\S]*?)```");
  std::vector<std::string> out;
  for (std::sregex_iterator it(text.begin(), text.end(), block), end; it != end; ++it) {
    out.push_back((*it)[1].str());
  }
  return out;
}

// Runs check-config on `file` from the source directory (where configs
// expect to be run from); returns "" on success, else the output.
std::string CheckConfig(const fs::path& file) {
  const auto result =
      RunCommand("cd " + ShellQuote(kSource.string()) + " && " + ShellQuote(SwitchboardBinary()) +
                 " check-config --config " + ShellQuote(file.string()) + " 2>&1");
  return result.exit_code == 0 ? ""
                               : "exit " + std::to_string(result.exit_code) + ": " + result.output;
}

TEST(DocsExamplesTest, EveryShippedConfigPassesCheckConfig) {
  int checked = 0;
  for (const auto& entry : fs::directory_iterator(kSource / "configs")) {
    if (entry.path().extension() != ".yaml") continue;
    EXPECT_EQ(CheckConfig(entry.path()), "") << entry.path();
    ++checked;
  }
  EXPECT_GE(checked, 1);
}

TEST(DocsExamplesTest, ShippedChainIsTheSeedOrder) {
  const auto result =
      RunCommand("cd " + ShellQuote(kSource.string()) + " && " + ShellQuote(SwitchboardBinary()) +
                 " check-config --config configs/switchboard.yaml");
  ASSERT_EQ(result.exit_code, 0) << result.output;
  EXPECT_THAT(result.output,
              ::testing::ContainsRegex("1\\. device .*\n.*2\\. fleet .*\n.*3\\. "
                                       "regional .*\n.*4\\. default .*\n.*5\\. env"));
}

TEST(DocsExamplesTest, EveryYamlExampleInThePluginReadmesAndChainDocsPasses) {
  testing::TempDir dir;
  std::vector<fs::path> documents = {kSource / "docs" / "chain.md"};
  for (const auto& entry : fs::directory_iterator(kSource / "plugins")) {
    if (entry.is_directory()) documents.push_back(entry.path() / "README.md");
  }
  int checked = 0;
  for (const auto& document : documents) {
    ASSERT_TRUE(fs::exists(document)) << document << " is missing";
    const auto blocks = YamlBlocks(document);
    EXPECT_FALSE(blocks.empty()) << document << " has no ```yaml example";
    for (std::size_t i = 0; i < blocks.size(); ++i) {
      const fs::path file = fs::path(dir.path()) / ("example_" + std::to_string(checked) + ".yaml");
      testing::WriteFile(file.string(), blocks[i]);
      EXPECT_EQ(CheckConfig(file), "") << document << " example #" << i + 1 << ":\n" << blocks[i];
      ++checked;
    }
  }
  EXPECT_GE(checked, 6);
}

TEST(DocsExamplesTest, EveryPluginFolderHasTheFixedReadmeSections) {
  for (const auto& entry : fs::directory_iterator(kSource / "plugins")) {
    if (!entry.is_directory()) continue;
    const std::string text = testing::ReadFile((entry.path() / "README.md").string());
    for (const char* section : {"## Name", "## Description", "## Params", "## Examples",
                                "## Outcomes", "## Tables read"}) {
      EXPECT_NE(text.find(section), std::string::npos) << entry.path() << " lacks " << section;
    }
  }
}

}  // namespace
}  // namespace switchboard
