// defines: scalelab::data::DataConfig
//
// The [data] section of a run config, bound to dotted keys through core's ConfigBinder,
// with every key defaulted so `--set data.path=...` alone is enough.
//
//   data::DataConfig data;
//   data.bind(binder);                       // data.path, data.val_fraction, ...
//   binder.apply_set("data.path=/corpora/brown.txt");
//   data.validate();                         // InputError naming the field
//   data::Corpus c = data.load(seq_len);     // tokenizer, options, size checks in one call
//
// Synthetic task data (data/tasks.h) comes in through the data.task_* keys: with
// data.task_fraction = 1 the corpus is the task alone (data.path is not read); with a
// fraction in (0, 1) task lines are mixed into both splits of the text corpus.
//   binder.apply_set("data.task=addition");
//   binder.apply_set("data.task_fraction=0.1");
//   std::unique_ptr<data::Task> t = data.task();   // to regenerate validation problems
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "data/corpus.h"
#include "data/tasks.h"

namespace scalelab {
class ConfigBinder;
}

namespace scalelab::data {

struct DataConfig {
  // Text file, directory of text files, or llm.c .bin shard(s) (file, directory or glob).
  // Empty means the demo corpus, ${SCALELAB_DATA_DIR:-$HOME/.cache/scalelab}/brown.txt.
  std::string path;
  double val_fraction = 0.1;       // share of the corpus held out, in (0, 1)
  std::string tokenizer = "byte";  // see tokenizer_names()
  int64_t split_seed = 0;          // which blocks go to validation
  int64_t split_block_tokens = 8192;  // largest split block, tokens
  int64_t val_max_tokens = 0;      // cap on evaluated val tokens; 0 = the whole split
  double shard_bytes_per_token = 0.0;  // for shards, if known (0 = unknown -> bpb NaN)

  // Synthetic task (data/tasks.h); "" = none. The int64 fields mirror TaskOptions.
  std::string task_name;          // data.task
  double task_fraction = 0;       // share of tokens in task lines, (0, 1]; 1 = task alone
  int64_t task_tokens = 2000000;  // task alone: total tokens, split by val_fraction
  int64_t task_digits = 3;        // addition
  int64_t task_modulus = 97;      // modular
  int64_t task_pairs = 6;         // recall
  int64_t task_seed = 0;          // which problems are drawn

  void bind(ConfigBinder& binder);
  void validate() const;
  // The path to read: `path`, or the demo corpus location when empty.
  std::string resolved_path() const;
  CorpusOptions corpus_options() const;
  // The task_* keys as TaskOptions (call validate() first: the fields are narrowed to int).
  TaskOptions task_options() const;
  // The configured task, or nullptr when data.task is empty.
  std::unique_ptr<Task> task() const;
  // Loads with the configured tokenizer and checks that both splits hold at least
  // seq_len + 1 tokens (one window), blaming data.path / data.val_fraction.
  //   - task alone (task_fraction 1): both splits are task lines, task_tokens in all
  //     (whole lines), the training split from training problems and the validation split
  //     from validation problems, in the ratio val_fraction; data.path is not read.
  //   - mixed (0 < task_fraction < 1): the text corpus, split as usual; then each split
  //     gets task lines of its own problems (training / validation) inserted at line
  //     starts and spread evenly (mix_task_lines) until they are task_fraction of its
  //     tokens (to within half a line). Text corpora only, not token shards.
  // Corpus::source says what was mixed.
  Corpus load(int seq_len) const;
};

// ${SCALELAB_DATA_DIR:-$HOME/.cache/scalelab}/brown.txt, the file scripts/prepare_brown
// writes.
std::string demo_corpus_path();

}  // namespace scalelab::data
