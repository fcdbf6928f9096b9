#include "data/data_config.h"

#include <cstdlib>

#include "core/config.h"
#include "core/error.h"

namespace scalelab::data {

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
  const std::string p = resolved_path();
  if (path.empty())
    SL_REQUIRE(std::filesystem::exists(p),
               "data.path: not set and the demo corpus {} is missing; run scripts/prepare_brown, "
               "or point scalelab at any text with --set data.path=/path/to/text_or_dir",
               p);
  const auto tok = make_tokenizer(tokenizer, "data.tokenizer");
  Corpus c = load_corpus(p, corpus_options(), *tok);
  c.require_min_tokens(static_cast<int64_t>(seq_len) + 1, "data.path");
  return c;
}

}  // namespace scalelab::data
