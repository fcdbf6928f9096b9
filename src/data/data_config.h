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
#pragma once

#include <cstdint>
#include <string>

#include "data/corpus.h"

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

  void bind(ConfigBinder& binder);
  void validate() const;
  // The path to read: `path`, or the demo corpus location when empty.
  std::string resolved_path() const;
  CorpusOptions corpus_options() const;
  // Loads with the configured tokenizer and checks that both splits hold at least
  // seq_len + 1 tokens (one window), blaming data.path / data.val_fraction.
  Corpus load(int seq_len) const;
};

// ${SCALELAB_DATA_DIR:-$HOME/.cache/scalelab}/brown.txt, the file scripts/prepare_brown
// writes.
std::string demo_corpus_path();

}  // namespace scalelab::data
