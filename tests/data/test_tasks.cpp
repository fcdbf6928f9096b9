// Synthetic tasks (data/tasks.h) and their mixing into the corpus (DataConfig::load).
#include "data/tasks.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "core/config.h"
#include "data/data_config.h"
#include "data/shard.h"
#include "data/tokenizer.h"
#include "data_testing.h"

namespace scalelab::data {
namespace {

using testing::expect_input_error;

TaskOptions options(const std::string& name) {
  TaskOptions o;
  o.name = name;
  o.fraction = 1;
  return o;
}

std::string reversed(std::string s) {
  std::reverse(s.begin(), s.end());
  return s;
}

bool all_digits(const std::string& s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](unsigned char c) { return std::isdigit(c); });
}

TEST(Tasks, AdditionAnswersAreTheReversedPaddedSum) {
  EXPECT_EQ(addition_example(42, 917, 3).prompt, "042+917=");
  EXPECT_EQ(addition_example(42, 917, 3).answer, "9590");  // 959 -> "0959" -> reversed
  EXPECT_EQ(addition_example(999, 1, 3).prompt, "999+001=");
  EXPECT_EQ(addition_example(999, 1, 3).answer, "0001");   // carry chain: 1000 reversed
  EXPECT_EQ(addition_example(0, 0, 3).prompt, "000+000=");
  EXPECT_EQ(addition_example(0, 0, 3).answer, "0000");
  EXPECT_EQ(addition_example(999, 999, 3).answer, "8991");  // 1998
  EXPECT_EQ(addition_example(5, 7, 1).prompt, "5+7=");
  EXPECT_EQ(addition_example(5, 7, 1).answer, "21");        // 12
  const uint64_t big = 999999999999999999ull;                // 18 nines
  EXPECT_EQ(addition_example(big, big, 18).answer, reversed("1999999999999999998"));

  // Sampled problems: the answer, read back, is a + b.
  auto task = make_task(options("addition"));
  Rng rng(5);
  for (int i = 0; i < 2000; ++i) {
    const TaskExample e = task->sample(rng);
    ASSERT_EQ(e.prompt.size(), 8u);
    ASSERT_EQ(e.answer.size(), 4u);
    ASSERT_EQ(e.prompt[3], '+');
    ASSERT_EQ(e.prompt[7], '=');
    const int a = std::stoi(e.prompt.substr(0, 3)), b = std::stoi(e.prompt.substr(4, 3));
    ASSERT_TRUE(all_digits(e.answer));
    EXPECT_EQ(std::stoi(reversed(e.answer)), a + b) << e.prompt << e.answer;
  }
}

TEST(Tasks, ModularAnswersArePaddedResidues) {
  EXPECT_EQ(modular_example(37, 85, 97).prompt, "37+85%97=");
  EXPECT_EQ(modular_example(37, 85, 97).answer, "25");
  EXPECT_EQ(modular_example(3, 4, 97).prompt, "03+04%97=");
  EXPECT_EQ(modular_example(3, 4, 97).answer, "07");
  EXPECT_EQ(modular_example(96, 1, 97).answer, "00");
  EXPECT_EQ(modular_example(5, 6, 101).prompt, "005+006%101=");  // width of 100 is 3
  EXPECT_EQ(modular_example(5, 6, 101).answer, "011");
  EXPECT_EQ(modular_example(9, 9, 10).prompt, "9+9%10=");
  EXPECT_EQ(modular_example(9, 9, 10).answer, "8");

  TaskOptions o = options("modular");
  o.modulus = 113;
  auto task = make_task(o);
  Rng rng(9);
  for (int i = 0; i < 2000; ++i) {
    const TaskExample e = task->sample(rng);
    ASSERT_EQ(e.prompt.substr(3, 1) + e.prompt.substr(7, 5), "+%113=");
    const int a = std::stoi(e.prompt.substr(0, 3)), b = std::stoi(e.prompt.substr(4, 3));
    EXPECT_LT(a, 113);
    EXPECT_LT(b, 113);
    ASSERT_TRUE(all_digits(e.answer));
    EXPECT_EQ(std::stoi(e.answer), (a + b) % 113);
  }
}

TEST(Tasks, RecallAnswerIsTheValueOfTheQueriedKey) {
  for (int pairs : {1, 6, 26}) {
    TaskOptions o = options("recall");
    o.pairs = pairs;
    auto task = make_task(o);
    EXPECT_EQ(task->prompt_length(), static_cast<size_t>(3 * pairs + 2));
    Rng rng(pairs);
    std::set<char> queried;
    for (int i = 0; i < 500; ++i) {
      const TaskExample e = task->sample(rng);
      ASSERT_EQ(e.prompt.size(), task->prompt_length());
      ASSERT_EQ(e.answer.size(), 1u);
      std::map<char, char> kv;
      for (int k = 0; k < pairs; ++k) {
        const char key = e.prompt[3 * k], value = e.prompt[3 * k + 1];
        ASSERT_TRUE(key >= 'a' && key <= 'z') << e.prompt;
        ASSERT_TRUE(value >= '0' && value <= '9') << e.prompt;
        ASSERT_EQ(e.prompt[3 * k + 2], k + 1 < pairs ? ' ' : '|') << e.prompt;
        EXPECT_TRUE(kv.emplace(key, value).second) << "repeated key in " << e.prompt;
      }
      const char q = e.prompt[3 * pairs];
      ASSERT_EQ(e.prompt.back(), '=');
      ASSERT_TRUE(kv.count(q)) << e.prompt;
      EXPECT_EQ(e.answer[0], kv[q]) << e.prompt;
      queried.insert(q);
    }
    if (pairs > 1) {
      EXPECT_GT(queried.size(), 1u);  // the query is not always the same key
    }
  }
}

TEST(Tasks, EveryExampleHasTheConfiguredFixedLength) {
  struct Case {
    std::string name;
    int digits = 3, modulus = 97, pairs = 6;
    size_t prompt, answer;
  };
  const std::vector<Case> cases = {{"addition", 1, 97, 6, 4, 2},   {"addition", 5, 97, 6, 12, 6},
                                    {"modular", 3, 7, 6, 6, 1},    {"modular", 3, 1000, 6, 13, 3},
                                    {"modular", 3, 1001, 6, 15, 4}, {"recall", 3, 97, 3, 11, 1}};
  // "3+4%7=", "999+999%1000=", "1000+1000%1001=", "k7 b2 x9|x=".
  for (const Case& c : cases) {
    TaskOptions o = options(c.name);
    o.digits = c.digits, o.modulus = c.modulus, o.pairs = c.pairs;
    auto task = make_task(o);
    EXPECT_EQ(task->name(), c.name);
    EXPECT_EQ(task->prompt_length(), c.prompt) << task->describe();
    EXPECT_EQ(task->answer_length(), c.answer) << task->describe();
    EXPECT_EQ(task->line_length(), c.prompt + c.answer + 1);
    for (bool val : {false, true})
      for (const TaskExample& e : sample_examples(*task, val, 300, 1)) {
        ASSERT_EQ(e.prompt.size(), c.prompt) << e.prompt;
        ASSERT_EQ(e.answer.size(), c.answer) << e.answer;
        ASSERT_EQ(task->line(e).size(), task->line_length());
        ASSERT_EQ(task->line(e).back(), '\n');
      }
  }
}

TEST(Tasks, SamplingIsDeterministicInTheSeed) {
  auto task = make_task(options("addition"));
  const auto a = sample_examples(*task, false, 200, 7), b = sample_examples(*task, false, 200, 7);
  const auto c = sample_examples(*task, false, 200, 8);
  ASSERT_EQ(a.size(), 200u);
  int same_ac = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(a[i].prompt, b[i].prompt);
    EXPECT_EQ(a[i].answer, b[i].answer);
    same_ac += a[i].prompt == c[i].prompt;
  }
  EXPECT_LT(same_ac, 5);
  // A longer draw extends a shorter one of the same split.
  const auto longer = sample_examples(*task, false, 300, 7);
  for (size_t i = 0; i < a.size(); ++i) EXPECT_EQ(longer[i].prompt, a[i].prompt);
}

TEST(Tasks, ValidationAndTrainingProblemsAreDisjoint) {
  for (const char* name : {"addition", "modular", "recall"}) {
    auto task = make_task(options(name));
    const auto train = sample_examples(*task, false, 4000, 3);
    const auto val = sample_examples(*task, true, 600, 3);
    std::set<std::string> train_prompts;
    for (const auto& e : train) {
      EXPECT_FALSE(task->is_validation(e));
      train_prompts.insert(e.prompt);
    }
    for (const auto& e : val) {
      EXPECT_TRUE(task->is_validation(e));
      EXPECT_EQ(train_prompts.count(e.prompt), 0u) << name << ": " << e.prompt;
    }
    // About 1 in 8 of all problems are validation problems.
    Rng rng(11);
    int n_val = 0;
    for (int i = 0; i < 8000; ++i) n_val += task->is_validation(task->sample(rng));
    EXPECT_NEAR(n_val / 8000.0, 0.125, 0.015) << name;
  }
}

TEST(Tasks, TinyProblemSpaceEitherSamplesOrNamesTheKey) {
  // modulus 2: four problems. Whatever the hash assigns, a split with none of them must
  // fail with a message rather than loop, and a split with some must sample only those.
  TaskOptions o = options("modular");
  o.modulus = 2;
  auto task = make_task(o);
  for (bool val : {false, true}) {
    std::set<std::string> in_split;
    for (int a = 0; a < 2; ++a)
      for (int b = 0; b < 2; ++b) {
        const TaskExample e = modular_example(a, b, 2);
        if (task->is_validation(e) == val) in_split.insert(e.prompt);
      }
    if (in_split.empty()) {
      expect_input_error([&] { sample_examples(*task, val, 10, 0); }, {"data.task", "modular"});
    } else {
      for (const auto& e : sample_examples(*task, val, 50, 0)) EXPECT_EQ(in_split.count(e.prompt), 1u);
    }
  }
}

// ---- mixing into the corpus ----------------------------------------------------------

std::string prose(int lines) {
  const char* words[] = {"the", "jury", "said", "it", "did", "find", "that", "many", "laws",
                         "are", "outmoded", "or", "inadequate", "and", "often", "ambiguous"};
  std::string text;
  Rng rng(1);
  for (int i = 0; i < lines; ++i) {
    const int n = 3 + static_cast<int>(rng.below(12));
    for (int w = 0; w < n; ++w) text += std::string(w ? " " : "") + words[rng.below(16)];
    text += ".\n";
  }
  return text;
}

std::vector<std::string> split_lines(const std::vector<uint16_t>& tokens) {
  std::vector<std::string> lines(1);
  for (uint16_t t : tokens) {
    lines.back() += static_cast<char>(t);
    if (t == '\n') lines.emplace_back();
  }
  return lines;  // the last entry holds what follows the last newline
}

// "042+917=9590\n" with digits 3.
bool is_addition_line(const std::string& l) {
  return l.size() == 13 && l[3] == '+' && l[7] == '=' && l[12] == '\n' &&
         all_digits(l.substr(0, 3) + l.substr(4, 3) + l.substr(8, 4));
}

TEST(TaskMixing, FractionIsMetAtLineStartsAndTheTextIsKept) {
  testing::TempDir dir;
  testing::write_text(dir / "prose.txt", prose(3000));
  DataConfig d;
  d.path = (dir / "prose.txt").string();
  const Corpus text = d.load(64);
  d.task_name = "addition";
  d.task_fraction = 0.2;
  d.task_seed = 4;
  const Corpus mixed = d.load(64);
  EXPECT_NE(mixed.source.find("mixed with task addition"), std::string::npos) << mixed.source;
  EXPECT_NE(mixed.fingerprint(), text.fingerprint());
  EXPECT_DOUBLE_EQ(mixed.bytes_per_token, 1.0);
  auto task = d.task();
  ASSERT_NE(task, nullptr);

  for (int split = 0; split < 2; ++split) {
    const auto& m = split == 0 ? mixed.train : mixed.val;
    const auto& t = split == 0 ? text.train : text.val;
    std::string kept;           // the mixed stream less its task lines
    size_t task_tokens = 0, task_lines_first_half = 0, n_task = 0, pos = 0;
    for (const std::string& l : split_lines(m)) {
      if (is_addition_line(l)) {
        task_tokens += l.size();
        ++n_task;
        task_lines_first_half += pos < m.size() / 2;
        TaskExample e{l.substr(0, 8), l.substr(8, 4)};
        EXPECT_EQ(task->is_validation(e), split == 1) << l;
        EXPECT_EQ(addition_example(std::stoi(l.substr(0, 3)), std::stoi(l.substr(4, 3)), 3).answer,
                  e.answer);
      } else {
        kept += l;
      }
      pos += l.size();
    }
    // Lines are cut at every newline, so a task line found whole started at a line start;
    // and removing them gives back the text split exactly: nothing was inserted mid-line.
    EXPECT_EQ(kept, std::string(t.begin(), t.end())) << "split " << split;
    EXPECT_NEAR(static_cast<double>(task_tokens) / m.size(), 0.2, 0.01) << "split " << split;
    EXPECT_GT(n_task, 20u);
    // Spread evenly: about half of the task lines lie in each half of the stream.
    EXPECT_NEAR(static_cast<double>(task_lines_first_half) / n_task, 0.5, 0.1);
  }
}

TEST(TaskMixing, InsertsAtTheNearestLineStartsInOrder) {
  // Text "aa\nbb\ncc\n" (line starts after positions 2, 5, 8), two task lines "X\n", "Y\n".
  const std::vector<uint16_t> text = {'a', 'a', '\n', 'b', 'b', '\n', 'c', 'c', '\n'};
  const std::vector<uint16_t> lines = {'X', '\n', 'Y', '\n'};
  // Targets 2.25 and 6.75 -> line starts 3 and 6.
  const auto m = mix_task_lines(text, lines, 2, '\n', "f");
  EXPECT_EQ(std::string(m.begin(), m.end()), "aa\nX\nbb\nY\ncc\n");
  // More lines than line starts: several lines share one start, order kept.
  const std::vector<uint16_t> short_text = {'a', '\n'};
  const auto m2 = mix_task_lines(short_text, lines, 2, '\n', "f");
  EXPECT_EQ(std::string(m2.begin(), m2.end()), "a\nX\nY\n");
  expect_input_error([&] { mix_task_lines({'a', 'b'}, lines, 2, '\n', "data.path (training split)"); },
                     {"data.path (training split)", "line break"});
  EXPECT_EQ(task_line_count(8000, 0.2, 10), 200);  // 2000 task tokens of 10000
  EXPECT_EQ(task_line_count(8000, 0.5, 10), 800);
}

TEST(TaskMixing, TaskAloneNeedsNoCorpusAndSplitsProblems) {
  DataConfig d;
  d.path = "/nonexistent/never/read.txt";
  d.task_name = "modular";
  d.task_fraction = 1;
  d.task_tokens = 100000;
  d.val_fraction = 0.2;
  const Corpus c = d.load(64);
  auto task = d.task();
  ASSERT_NE(task, nullptr);
  EXPECT_EQ(task->line_length(), 12u);  // "37+85%97=25\n"
  EXPECT_LE(c.total_tokens(), 100000);
  EXPECT_GT(c.total_tokens(), 100000 - 12);
  EXPECT_NEAR(static_cast<double>(c.val.size()) / c.total_tokens(), 0.2, 0.001);
  EXPECT_EQ(c.train.size() % 12, 0u);
  EXPECT_EQ(c.vocab_size, 256);
  EXPECT_NE(c.source.find("task modular (modulus 97) alone"), std::string::npos) << c.source;
  for (int split = 0; split < 2; ++split) {
    const auto lines = split_lines(split == 0 ? c.train : c.val);
    ASSERT_TRUE(lines.back().empty());  // ends with a newline
    for (size_t i = 0; i + 1 < lines.size(); ++i) {
      const std::string& l = lines[i];
      ASSERT_EQ(l.size(), 12u) << l;
      const TaskExample e{l.substr(0, 9), l.substr(9, 2)};
      ASSERT_EQ(task->is_validation(e), split == 1) << l;
      ASSERT_EQ(modular_example(std::stoi(l.substr(0, 2)), std::stoi(l.substr(3, 2)), 97).answer,
                e.answer);
    }
  }
  // Deterministic in the seed; another seed draws other problems.
  EXPECT_EQ(d.load(64).fingerprint(), c.fingerprint());
  d.task_seed = 1;
  EXPECT_NE(d.load(64).fingerprint(), c.fingerprint());
  // Too few tokens for one window.
  d.task_tokens = 120;
  expect_input_error([&] { d.load(64); }, {"data.task_tokens"});
}

TEST(TaskMixing, BadKeysNameTheKey) {
  DataConfig d;
  ConfigBinder b;
  d.bind(b);
  b.apply_set("data.task=addition");
  b.apply_set("data.task_fraction=0.1");
  b.apply_set("data.task_digits=5");
  b.apply_set("data.task_seed=2");
  d.validate();
  EXPECT_EQ(d.task_options().digits, 5);
  EXPECT_EQ(d.task()->describe(), "addition (digits 5)");

  auto bad = [&](const std::string& set, const std::vector<std::string>& parts) {
    DataConfig e;
    ConfigBinder eb;
    e.bind(eb);
    eb.apply_set("data.task=addition");
    eb.apply_set("data.task_fraction=0.5");
    eb.apply_set(set);
    expect_input_error([&] { e.validate(); }, parts);
  };
  bad("data.task=multiplication", {"data.task", "multiplication", "addition, modular, recall"});
  bad("data.task_fraction=0", {"data.task_fraction"});
  bad("data.task_fraction=1.5", {"data.task_fraction"});
  bad("data.task_tokens=0", {"data.task_tokens"});
  bad("data.task_digits=0", {"data.task_digits"});
  bad("data.task_digits=19", {"data.task_digits", "1..18"});
  bad("data.task_digits=100000000000", {"data.task_digits"});
  bad("data.task_modulus=1", {"data.task_modulus"});
  bad("data.task_pairs=27", {"data.task_pairs"});
  bad("data.task_seed=-1", {"data.task_seed"});
  bad("data.task=", {"data.task_fraction"});  // a fraction with no task

  DataConfig none;
  EXPECT_EQ(none.task(), nullptr);
  TaskOptions empty;
  expect_input_error([&] { make_task(empty); }, {"data.task", "recall"});
}

TEST(TaskMixing, ShardsAndTextWithoutNewlinesAreRejected) {
  testing::TempDir dir;
  std::vector<uint16_t> tokens(5000);
  for (size_t i = 0; i < tokens.size(); ++i) tokens[i] = static_cast<uint16_t>(i % 300);
  write_token_shard(dir / "s_train.bin", tokens);
  DataConfig d;
  d.path = (dir / "s_train.bin").string();
  d.task_name = "recall";
  d.task_fraction = 0.1;
  expect_input_error([&] { d.load(64); }, {"data.task_fraction", "token shards"});

  testing::write_text(dir / "one_line.txt", std::string(5000, 'z'));
  d.path = (dir / "one_line.txt").string();
  expect_input_error([&] { d.load(64); }, {"data.path", "line break"});
}

}  // namespace
}  // namespace scalelab::data
