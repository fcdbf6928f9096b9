#include "data/data_config.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <limits>

#include "core/config.h"
#include "core/error.h"

namespace scalelab::data {

namespace {

// The int64 config value of `key` as an int, InputError if it does not fit (TaskOptions'
// own validate() then checks the range that matters).
int narrow(int64_t v, const char* key) {
  SL_REQUIRE(v >= std::numeric_limits<int>::min() && v <= std::numeric_limits<int>::max(),
             "{}: {} is out of range", key, v);
  return static_cast<int>(v);
}

// Corpus of the task alone: whole lines, split by val_fraction into training problems
// and validation problems.
Corpus task_corpus(const Task& task, const TaskOptions& o, double val_fraction,
                   const Tokenizer& tok) {
  const int64_t L = static_cast<int64_t>(task.line_length());
  const int64_t lines = o.tokens / L;
  SL_REQUIRE(lines >= 2, "data.task_tokens: {} holds fewer than 2 lines of {} ({} tokens each)",
             o.tokens, task.describe(), L);
  const int64_t n_val =
      std::clamp<int64_t>(std::llround(val_fraction * static_cast<double>(lines)), 1, lines - 1);
  const int64_t n_train = lines - n_val;
  const uint64_t seed = static_cast<uint64_t>(o.seed);
  Corpus c;
  c.train = task_lines(task, sample_examples(task, false, n_train, seed), tok);
  c.val = task_lines(task, sample_examples(task, true, n_val, seed), tok);
  c.tokenizer = tok.name();
  c.vocab_size = tok.vocab_size();
  c.bytes = lines * L;
  c.bytes_per_token = static_cast<double>(c.bytes) / static_cast<double>(c.total_tokens());
  c.source = fmt::format("task {} alone, seed {} ({} training + {} validation problems, {} tokens)",
                         task.describe(), o.seed, n_train, n_val, c.total_tokens());
  return c;
}

// Task lines into both splits of a text corpus, to `fraction` of each split's tokens.
void mix_task(Corpus& c, const Task& task, const TaskOptions& o, const Tokenizer& tok) {
  SL_REQUIRE(!c.from_shards, "data.task_fraction: {} mixes task lines into text, but data.path "
             "is token shards ({}); use a text corpus, or data.task_fraction=1 for the task alone",
             o.fraction, c.source);
  const std::vector<uint16_t> nl = tok.encode("\n");
  SL_REQUIRE(nl.size() == 1, "data.tokenizer: '{}' does not encode a newline as one token, which "
             "task mixing needs", tok.name());
  const size_t L = task.line_length();
  int64_t counts[2] = {0, 0};
  for (int split = 0; split < 2; ++split) {
    std::vector<uint16_t>& text = split == 0 ? c.train : c.val;
    const int64_t k = task_line_count(static_cast<int64_t>(text.size()), o.fraction, L);
    const auto ex = sample_examples(task, split == 1, k, static_cast<uint64_t>(o.seed));
    text = mix_task_lines(text, task_lines(task, ex, tok), L, nl[0],
                          split == 0 ? "data.path (training split)" : "data.path (validation split)");
    counts[split] = k;
  }
  c.bytes += (counts[0] + counts[1]) * static_cast<int64_t>(L);
  c.bytes_per_token = static_cast<double>(c.bytes) / static_cast<double>(c.total_tokens());
  c.source += fmt::format("; mixed with task {} at {:g} of tokens, seed {} ({} training + {} "
                          "validation lines)",
                          task.describe(), o.fraction, o.seed, counts[0], counts[1]);
}

}  // namespace

void DataConfig::bind(ConfigBinder& b) {
  b.bind("data.path", &path,
         "text file, directory of text files, or llm.c .bin shards (file, directory, glob); "
         "empty = the demo corpus from scripts/prepare_brown");
  b.bind("data.val_fraction", &val_fraction, "share of the corpus held out for validation, (0, 1)");
  b.bind("data.tokenizer", &tokenizer, "tokenizer for text corpora: byte");
  b.bind("data.split_seed", &split_seed, "seed choosing which blocks are validation");
  b.bind("data.split_block_tokens", &split_block_tokens, "largest train/val split block, tokens");
  b.bind("data.val_max_tokens", &val_max_tokens,
         "cap on validation tokens per evaluation (evenly spaced windows); 0 = all");
  b.bind("data.shard_bytes_per_token", &shard_bytes_per_token,
         "bytes per token of .bin shards, for bits per byte; 0 = unknown");
  b.bind("data.task", &task_name, "synthetic task mixed into or replacing the corpus: addition, "
         "modular, recall; empty = none");
  b.bind("data.task_fraction", &task_fraction,
         "share of tokens that are task lines, (0, 1]; 1 = the task alone (data.path unused)");
  b.bind("data.task_tokens", &task_tokens, "task alone: total tokens generated, train + val");
  b.bind("data.task_digits", &task_digits, "addition: digits per operand, 1..18");
  b.bind("data.task_modulus", &task_modulus, "modular: the modulus p, 2..1e9");
  b.bind("data.task_pairs", &task_pairs, "recall: key-value pairs per prompt, 1..26");
  b.bind("data.task_seed", &task_seed, "seed drawing the task problems");
}

void DataConfig::validate() const {
  corpus_options().validate();
  make_tokenizer(tokenizer, "data.tokenizer");
  SL_REQUIRE(split_seed >= 0, "data.split_seed: {} (expected >= 0)", split_seed);
  SL_REQUIRE(val_max_tokens >= 0, "data.val_max_tokens: {} (expected >= 0; 0 = all)",
             val_max_tokens);
  SL_REQUIRE(shard_bytes_per_token >= 0.0,
             "data.shard_bytes_per_token: {} (expected > 0, or 0 when unknown)",
             shard_bytes_per_token);
  task_options().validate();
}

TaskOptions DataConfig::task_options() const {
  TaskOptions o;
  o.name = task_name;
  o.fraction = task_fraction;
  o.tokens = task_tokens;
  o.digits = narrow(task_digits, "data.task_digits");
  o.modulus = narrow(task_modulus, "data.task_modulus");
  o.pairs = narrow(task_pairs, "data.task_pairs");
  o.seed = task_seed;
  return o;
}

std::unique_ptr<Task> DataConfig::task() const {
  if (task_name.empty()) return nullptr;
  return make_task(task_options());
}

std::string demo_corpus_path() {
  const char* dir = std::getenv("SCALELAB_DATA_DIR");
  if (dir && *dir) return (std::filesystem::path(dir) / "brown.txt").string();
  const char* home = std::getenv("HOME");
  return (std::filesystem::path(home && *home ? home : ".") / ".cache" / "scalelab" / "brown.txt")
      .string();
}

std::string DataConfig::resolved_path() const { return path.empty() ? demo_corpus_path() : path; }

CorpusOptions DataConfig::corpus_options() const {
  CorpusOptions o;
  o.val_fraction = val_fraction;
  o.split_seed = static_cast<uint64_t>(split_seed);
  o.block_tokens = split_block_tokens;
  if (shard_bytes_per_token > 0.0) o.shard_bytes_per_token = shard_bytes_per_token;
  return o;
}

Corpus DataConfig::load(int seq_len) const {
  validate();
  const TaskOptions topt = task_options();
  const std::unique_ptr<Task> t = task();
  if (t && topt.fraction == 1.0) {
    const auto tok = make_tokenizer(tokenizer, "data.tokenizer");
    Corpus c = task_corpus(*t, topt, val_fraction, *tok);
    c.require_min_tokens(static_cast<int64_t>(seq_len) + 1, "data.task_tokens");
    return c;
  }
  const std::string p = resolved_path();
  if (path.empty())
    SL_REQUIRE(std::filesystem::exists(p),
               "data.path: not set and the demo corpus {} is missing; run scripts/prepare_brown, "
               "or point scalelab at any text with --set data.path=/path/to/text_or_dir",
               p);
  const auto tok = make_tokenizer(tokenizer, "data.tokenizer");
  Corpus c = load_corpus(p, corpus_options(), *tok);
  if (t) mix_task(c, *t, topt, *tok);
  c.require_min_tokens(static_cast<int64_t>(seq_len) + 1, "data.path");
  return c;
}

}  // namespace scalelab::data
