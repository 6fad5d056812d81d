// ParamsReader: typed getters, every problem at once with its mark, unknown
// keys with "did you mean" suggestions.
#include <gtest/gtest.h>

#include "config/config.h"
#include "switchboard/params.h"

namespace switchboard {
namespace {

// The params of the first chain step of a YAML snippet (through the real
// config parser, so marks are real).
ParamValue ParamsOf(const std::string& params_yaml) {
  const Config config = ParseConfig(
      "resolution:\n  chain:\n    - plugin: x\n      params:\n" + params_yaml, "p.yaml");
  return config.resolution.chain.at(0).params;
}

TEST(ParamValueTest, FindLooksUpMapKeysOnly) {
  const ParamValue params = ParamsOf("        a: 1\n        b: [x, y]\n");
  ASSERT_NE(params.Find("a"), nullptr);
  EXPECT_EQ(params.Find("a")->scalar, "1");
  ASSERT_NE(params.Find("b"), nullptr);
  EXPECT_TRUE(params.Find("b")->IsList());
  EXPECT_EQ(params.Find("c"), nullptr);
  EXPECT_EQ(params.Find("a")->Find("a"), nullptr);  // a scalar has no keys
}

TEST(ParamsReaderTest, TypedGettersAndDefaults) {
  const ParamValue params = ParamsOf(
      "        s: hello\n        i: -42\n        t: true\n        f: no\n        l: [a, b]\n");
  ParamsReader r(params);
  EXPECT_EQ(r.String("s"), "hello");
  EXPECT_EQ(r.String("absent", "dflt"), "dflt");
  EXPECT_EQ(r.Integer("i", 0), -42);
  EXPECT_EQ(r.Integer("absent", 7), 7);
  EXPECT_TRUE(r.Boolean("t", false));
  EXPECT_FALSE(r.Boolean("f", true));
  EXPECT_EQ(r.StringList("l"), (std::vector<std::string>{"a", "b"}));
  EXPECT_TRUE(r.StringList("absent").empty());
  EXPECT_TRUE(r.Finish().empty());
}

TEST(ParamsReaderTest, NullParamsReadAsEmptyMap) {
  const ParamValue null_params;  // must outlive the reader
  ParamsReader r(null_params);
  EXPECT_EQ(r.String("x", "d"), "d");
  EXPECT_TRUE(r.Finish().empty());
}

TEST(ParamsReaderTest, ReportsEveryProblemWithItsOwnMark) {
  const ParamValue params = ParamsOf(
      "        port: eighty\n"    // line 5
      "        verbose: maybe\n"  // line 6
      "        names: plain\n"    // line 7
      "        varible: X\n"      // line 8
      "        zzzzzz: 1\n");     // line 9
  ParamsReader r(params);
  r.Integer("port", 1);
  r.Boolean("verbose", false);
  r.StringList("names");
  r.String("variable");
  const auto problems = r.Finish();
  ASSERT_EQ(problems.size(), 5u);
  EXPECT_EQ(problems[0].mark.line, 5);
  EXPECT_NE(problems[0].message.find("'port' must be an integer, got 'eighty'"), std::string::npos);
  EXPECT_EQ(problems[1].mark.line, 6);
  EXPECT_NE(problems[1].message.find("'verbose' must be true or false"), std::string::npos);
  EXPECT_EQ(problems[2].mark.line, 7);
  EXPECT_NE(problems[2].message.find("'names' must be a list"), std::string::npos);
  EXPECT_EQ(problems[3].mark.line, 8);
  EXPECT_EQ(problems[3].message, "unknown key 'varible' (did you mean 'variable'?)");
  EXPECT_EQ(problems[3].mark.column, 9);
  EXPECT_EQ(problems[4].mark.line, 9);
  EXPECT_NE(
      problems[4].message.find("unknown key 'zzzzzz' (known keys: port, verbose, names, variable)"),
      std::string::npos);
}

TEST(ParamsReaderTest, PluginWithoutParamsSaysSo) {
  const ParamValue params = ParamsOf("        anything: 1\n");
  ParamsReader r(params);
  const auto problems = r.Finish();
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_EQ(problems[0].message, "unknown key 'anything' (this plugin takes no params)");
}

TEST(ParamsReaderTest, PluginProblemsPointAtTheKey) {
  const ParamValue params = ParamsOf("        a: 1\n        url: bad\n");
  ParamsReader r(params);
  r.Integer("a", 0);
  r.String("url");
  r.Problem("url", "not a valid URL");
  r.Problem("custom", SourceMark{3, 4});
  const auto problems = r.Finish();
  ASSERT_EQ(problems.size(), 2u);
  EXPECT_EQ(problems[0].message, "custom");
  EXPECT_EQ(problems[0].mark.line, 3);
  EXPECT_EQ(problems[1].message, "'url': not a valid URL");
  EXPECT_EQ(problems[1].mark.line, 6);
}

TEST(ParamsReaderTest, ParamsThatAreNotAMapAreAProblem) {
  ParamValue params;  // the config parser refuses this; a host building params by hand may not
  params.kind = ParamValue::Kind::kList;
  params.mark = {4, 7};
  ParamsReader r(params);
  const auto problems = r.Finish();
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_EQ(problems[0].message, "params must be a map of key: value");
  EXPECT_EQ(problems[0].mark.line, 4);
}

TEST(ParamsReaderTest, ExplicitNullMeansDefault) {
  const ParamValue params = ParamsOf("        a: ~\n");
  ParamsReader r(params);
  EXPECT_EQ(r.String("a", "default"), "default");
  EXPECT_TRUE(r.Finish().empty());
}

}  // namespace
}  // namespace switchboard
