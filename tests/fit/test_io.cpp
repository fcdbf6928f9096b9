// Observations from CSV / JSONL: column mapping, derived D and C, filters, and every
// bad-input case naming the file, line and column.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <string>

#include "../core/core_testing.h"
#include "fit/observations_io.h"

namespace scalelab::fit {
namespace {

using core_testing::input_error_message;

TEST(ObservationsIo, CsvDerivesCFromND) {
  Observations obs = parse_csv_observations("N,D,loss\n1e6,2e7,3.5\n2e6,4e7,3.1\n", "t.csv");
  ASSERT_EQ(obs.size(), 2u);
  EXPECT_DOUBLE_EQ(obs[0].N, 1e6);
  EXPECT_DOUBLE_EQ(obs[0].D, 2e7);
  EXPECT_DOUBLE_EQ(obs[0].C, 6 * 1e6 * 2e7);
  EXPECT_DOUBLE_EQ(obs[1].loss, 3.1);
  EXPECT_EQ(obs[0].run, "");
  EXPECT_EQ(obs[0].U, 0);
}

TEST(ObservationsIo, CsvDerivesDFromC) {
  Observations obs = parse_csv_observations("loss,C,N\n2.5,1.2e19,1e8\n", "t.csv");
  ASSERT_EQ(obs.size(), 1u);
  EXPECT_DOUBLE_EQ(obs[0].D, 1.2e19 / 6e8);
  EXPECT_DOUBLE_EQ(obs[0].C, 1.2e19);
}

TEST(ObservationsIo, QuotedFieldsAndMappedColumns) {
  // Header names with spaces, a quoted field holding a comma, an escaped quote and a newline.
  std::string csv =
      "x,\"Model Size\",\"Training FLOP\",loss,note\r\n"
      "1,\"6795600349.28\",9.99e18,5.0,\"big, \"\"odd\"\"\nmodel\"\r\n"
      "\r\n"
      "2, 2979521172.19 ,9.22e18,4.66,plain\r\n";
  ReadOptions opt;
  opt.cols.N = "Model Size";
  opt.cols.C = "Training FLOP";
  Observations obs = parse_csv_observations(csv, "q.csv", opt);
  ASSERT_EQ(obs.size(), 2u);
  EXPECT_DOUBLE_EQ(obs[0].N, 6795600349.28);
  EXPECT_DOUBLE_EQ(obs[0].C, 9.99e18);
  EXPECT_DOUBLE_EQ(obs[0].D, 9.99e18 / (6 * 6795600349.28));
  EXPECT_DOUBLE_EQ(obs[1].N, 2979521172.19);  // unquoted blanks are trimmed
}

TEST(ObservationsIo, RunStepAndUniqueTokens) {
  Observations obs =
      parse_csv_observations("run,step,N,D,loss,U\na,10,1e6,1e7,4,5e6\nb,20,2e6,2e7,3,\n", "r.csv");
  ASSERT_EQ(obs.size(), 2u);
  EXPECT_EQ(obs[0].run, "a");
  EXPECT_EQ(obs[1].run, "b");
  EXPECT_DOUBLE_EQ(obs[0].step, 10);
  EXPECT_DOUBLE_EQ(obs[0].U, 5e6);
  EXPECT_DOUBLE_EQ(obs[1].U, 0);  // empty U cell: unknown
}

TEST(ObservationsIo, JsonlWithStringNumbersAndMissingKeys) {
  std::string jsonl =
      "{\"N\": 1e6, \"D\": 2e7, \"loss\": 3.5, \"run\": \"r1\"}\n"
      "\n"
      "{\"N\": \"2e6\", \"C\": 4.8e14, \"loss\": 3.0, \"run\": 7}\n";
  Observations obs = parse_jsonl_observations(jsonl, "o.jsonl");
  ASSERT_EQ(obs.size(), 2u);
  EXPECT_DOUBLE_EQ(obs[0].C, 6 * 1e6 * 2e7);
  EXPECT_EQ(obs[0].run, "r1");
  EXPECT_DOUBLE_EQ(obs[1].N, 2e6);
  EXPECT_DOUBLE_EQ(obs[1].D, 4.8e14 / 1.2e7);  // D from C on the row that lacks D
  EXPECT_EQ(obs[1].run, "7");
}

TEST(ObservationsIo, DropTopLossAndNFilter) {
  std::string csv = "N,D,loss\n1e6,1e7,5\n2e6,1e7,4\n3e6,1e7,9\n4e6,1e7,3\n5e6,1e7,7\n";
  ReadOptions opt;
  opt.drop_top_loss = 2;
  Observations obs = parse_csv_observations(csv, "d.csv", opt);
  ASSERT_EQ(obs.size(), 3u);
  EXPECT_DOUBLE_EQ(obs[0].loss, 5);  // order kept, losses 9 and 7 gone
  EXPECT_DOUBLE_EQ(obs[1].loss, 4);
  EXPECT_DOUBLE_EQ(obs[2].loss, 3);
  ReadOptions range;
  range.min_N = 2e6;
  range.max_N = 4e6;
  obs = parse_csv_observations(csv, "d.csv", range);
  ASSERT_EQ(obs.size(), 3u);
  EXPECT_DOUBLE_EQ(obs.front().N, 2e6);
  EXPECT_DOUBLE_EQ(obs.back().N, 4e6);
}

TEST(ObservationsIo, MissingColumnNamesItAndListsAvailable) {
  std::string msg = input_error_message([] { parse_csv_observations("N,D,val\n1,2,3\n", "m.csv"); });
  EXPECT_NE(msg.find("m.csv"), std::string::npos) << msg;
  EXPECT_NE(msg.find("\"loss\""), std::string::npos) << msg;
  EXPECT_NE(msg.find("\"val\""), std::string::npos) << msg;  // available columns listed
  ReadOptions opt;
  opt.cols.N = "Model Size";
  msg = input_error_message([&] { parse_csv_observations("N,D,loss\n1,2,3\n", "m.csv", opt); });
  EXPECT_NE(msg.find("\"Model Size\""), std::string::npos) << msg;
}

TEST(ObservationsIo, MissingBothDAndC) {
  std::string msg = input_error_message([] { parse_csv_observations("N,loss\n1,2\n", "m.csv"); });
  EXPECT_NE(msg.find("\"D\""), std::string::npos) << msg;
  EXPECT_NE(msg.find("\"C\""), std::string::npos) << msg;
}

TEST(ObservationsIo, ExplicitOptionalColumnMustExist) {
  ReadOptions opt;
  opt.cols.run = "run_id";
  std::string msg = input_error_message([&] { parse_csv_observations("N,D,loss\n1,2,3\n", "m.csv", opt); });
  EXPECT_NE(msg.find("\"run_id\""), std::string::npos) << msg;
}

TEST(ObservationsIo, BadValuesNameLineAndColumn) {
  struct Case {
    const char* csv;
    const char* expect;
  } cases[] = {
      {"N,D,loss\n1e6,1e7,3\n1e6,abc,3\n", "line 3, column \"D\": \"abc\" is not a number"},
      {"N,D,loss\n1e6,1e7,3\n-1e6,1e7,3\n", "line 3, column \"N\": -1000000 is not positive"},
      {"N,D,loss\n0,1e7,3\n", "line 2, column \"N\": 0 is not positive"},
      {"N,D,loss\n1e6,1e7,nan\n", "line 2, column \"loss\": nan is not a finite number"},
      {"N,D,loss\n1e6,1e7,inf\n", "line 2, column \"loss\": inf is not a finite number"},
      {"N,D,loss\n1e6,1e7,\n", "line 2, column \"loss\": empty value"},
      {"N,D,loss\n1e6,1e7,3,4\n", "line 2: 4 fields, header has 3"},
      {"N,D,loss\n1e6,1e7,\"3\n", "line 2: unterminated quoted field"},
      {"N,D,loss\n1e6,1e7,3x\n", "\"3x\" is not a number"},
      {"N,N,loss\n1,2,3\n", "duplicate column \"N\""},
      {"", "empty file"},
      {"N,D,loss\n", "no data rows"},
  };
  for (const auto& c : cases) {
    std::string msg = input_error_message([&] { parse_csv_observations(c.csv, "bad.csv"); });
    EXPECT_NE(msg.find(c.expect), std::string::npos) << "csv: " << c.csv << "\nmessage: " << msg;
    EXPECT_NE(msg.find("bad.csv"), std::string::npos) << msg;
  }
}

TEST(ObservationsIo, BadJsonlNamesLine) {
  std::string msg =
      input_error_message([] { parse_jsonl_observations("{\"N\":1,\"D\":1,\"loss\":1}\n{nope\n", "b.jsonl"); });
  EXPECT_NE(msg.find("b.jsonl: line 2: not valid JSON"), std::string::npos) << msg;
  msg = input_error_message([] { parse_jsonl_observations("[1,2]\n", "b.jsonl"); });
  EXPECT_NE(msg.find("line 1: expected a JSON object"), std::string::npos) << msg;
  msg = input_error_message([] { parse_jsonl_observations("{\"N\":1,\"D\":1,\"loss\":null}\n", "b.jsonl"); });
  EXPECT_NE(msg.find("column \"loss\": empty value"), std::string::npos) << msg;
  msg = input_error_message([] { parse_jsonl_observations("{\"N\":1,\"D\":true,\"loss\":2}\n", "b.jsonl"); });
  EXPECT_NE(msg.find("column \"D\": \"true\" is not a number"), std::string::npos) << msg;
}

TEST(ObservationsIo, FilterErrors) {
  ReadOptions opt;
  opt.drop_top_loss = 2;
  std::string msg = input_error_message([&] { parse_csv_observations("N,D,loss\n1,2,3\n2,2,3\n", "f.csv", opt); });
  EXPECT_NE(msg.find("--drop-top-loss 2"), std::string::npos) << msg;
  ReadOptions range;
  range.min_N = 10;
  msg = input_error_message([&] { parse_csv_observations("N,D,loss\n1,2,3\n", "f.csv", range); });
  EXPECT_NE(msg.find("--min-N/--max-N"), std::string::npos) << msg;
}

TEST(ObservationsIo, ReadFileByExtensionAndMissingFile) {
  auto dir = std::filesystem::temp_directory_path() / ("scalelab_io_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  {
    std::ofstream(dir / "a.csv") << "N,D,loss\n1e6,1e7,3\n";
    std::ofstream(dir / "b.jsonl") << "{\"N\":1e6,\"D\":1e7,\"loss\":3}\n";
  }
  EXPECT_EQ(read_observations(dir / "a.csv").size(), 1u);
  EXPECT_EQ(read_observations(dir / "b.jsonl").size(), 1u);
  std::string msg = input_error_message([&] { read_observations(dir / "nope.csv"); });
  EXPECT_NE(msg.find("nope.csv: no such file"), std::string::npos) << msg;
  std::filesystem::remove_all(dir);
}

TEST(ObservationsIo, CheckDesign) {
  Observations three = parse_csv_observations("N,D,loss\n1e6,1e7,3\n2e6,1e7,2.9\n3e6,2e7,2.8\n", "d.csv");
  std::string msg = input_error_message([&] { check_design(three, 5, "chinchilla"); });
  EXPECT_NE(msg.find("law chinchilla: 5 parameters but only 3 points"), std::string::npos) << msg;
  Observations oneN = parse_csv_observations("N,D,loss\n1e6,1e7,3\n1e6,2e7,2.9\n1e6,3e7,2.8\n", "d.csv");
  msg = input_error_message([&] { check_design(oneN, 2, "power"); });
  EXPECT_NE(msg.find("degenerate design, every point has N = 1e+06"), std::string::npos) << msg;
  EXPECT_NO_THROW(check_design(oneN, 2, "power", /*needs_N=*/false, /*needs_D=*/true));
  EXPECT_NO_THROW(check_design(three, 3, "chinchilla"));
}

}  // namespace
}  // namespace scalelab::fit
