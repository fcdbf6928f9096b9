// defines: scalelab::data::Corpus, CorpusOptions, load_corpus, bits_per_byte
//
// Loads a corpus into memory as uint16 tokens and splits it deterministically into a
// training and a validation stream.
//
//   data::ByteTokenizer tok;
//   data::CorpusOptions opt;             // val_fraction 0.1, split_seed 0, 8192-token blocks
//   data::Corpus c = data::load_corpus("brown.txt", opt, tok);
//   c.require_min_tokens(seq_len + 1, "data.path");   // InputError if too small
//   double bpb = c.bpb(val_loss_nats);                  // NaN if bytes/token unknown
//
// What `path` may be (InputError naming the file, and what was expected, otherwise):
//   - a text file: read whole, encoded with the tokenizer;
//   - a directory of text files: every regular file below it, recursively, sorted by
//     relative path, skipping hidden entries (a name starting with '.') and files holding
//     a NUL byte in their first 4 KiB (binary; Corpus::source counts the skips and names
//     the first).
//     Each file is encoded separately; a "\n" is put between files when the previous one
//     does not end with one. A directory holding *.bin files is a shard directory, and
//     one that mixes *.bin with text files is an error;
//   - llm.c-compatible token shards: one *.bin file, a directory of them, or a glob
//     ("dir/fineweb_*.bin"; wildcards in the last component only). Layout (little endian):
//     256 x int32 header {magic 20240520, version 1, token count n, 0...}, then n uint16
//     tokens, and nothing else. Shards whose file name has a part "val", "valid" or "validation"
//     (parts split at '_', '-', '.') form the validation split, as in llm.c's naming
//     ("tinyshakespeare_val.bin", "fineweb_val_000000.bin"); when there are none, all
//     shards are concatenated in name order and split like text. A glob's matches are
//     treated like a directory's files.
//
// The split. The token stream is cut into blocks of B tokens, B = min(block_tokens,
// ceil(n / 32)), so that even a small corpus has about 32 blocks and larger ones use
// block_tokens. Each block gets the key splitmix64(split_seed ^ splitmix64(block index));
// the k = round(val_fraction * blocks) blocks with the smallest keys (clamped to
// 1 <= k <= blocks - 1) go to validation, the rest to training, each side keeping corpus
// order. Hence the split depends only on (corpus, block size, seed): it does not favour
// the corpus's beginning or end, the fraction is met to within one block, and no token
// is in both splits.
#pragma once

#include <cmath>
#include <cstdint>
#include <filesystem>
#include <limits>
#include <string>
#include <string_view>
#include <vector>

#include "data/tokenizer.h"

namespace scalelab::data {

struct CorpusOptions {
  double val_fraction = 0.1;    // share of blocks sent to validation; must lie in (0, 1)
  uint64_t split_seed = 0;      // picks which blocks are validation
  int64_t block_tokens = 8192;  // maximum split block length in tokens; >= 1
  // Bytes per token of pre-tokenised shards, if the user knows it (e.g. ~4.0 for
  // GPT-2 BPE on English web text); NaN means unknown, and then bpb is NaN too.
  double shard_bytes_per_token = std::numeric_limits<double>::quiet_NaN();
  // Names the val_fraction field in error messages.
  std::string val_fraction_field = "data.val_fraction";

  void validate() const;  // InputError naming the field
};

struct Corpus {
  std::vector<uint16_t> train, val;
  // Token ids lie in [0, vocab_size). Text: the tokenizer's vocabulary. Shards: the
  // largest token id + 1 (the header does not say; the model's vocab must be >= this).
  int vocab_size = 0;
  // Text: bytes read / tokens produced (exactly 1 for the byte tokenizer). Shards:
  // CorpusOptions::shard_bytes_per_token (NaN unless known).
  double bytes_per_token = std::numeric_limits<double>::quiet_NaN();
  // One line describing what was read: kind, path, file count, sizes, skipped files.
  std::string source;
  std::string tokenizer;       // tokenizer name; "shards" for pre-tokenised input
  int64_t files = 0;           // files read
  int64_t bytes = 0;           // text bytes encoded, separators included (0 for shards)
  bool from_shards = false;
  bool val_from_shards = false;  // true when *val* shards gave the validation split

  int64_t total_tokens() const { return static_cast<int64_t>(train.size() + val.size()); }
  // InputError unless both splits hold at least `tokens` tokens (seq_len + 1 for one
  // training window). `field` names the config key to blame, e.g. "data.path".
  void require_min_tokens(int64_t tokens, std::string_view field) const;
  // Bits per byte of a loss in nats per token; NaN when bytes_per_token is unknown.
  double bpb(double loss_nats_per_token) const;
  // A 64-bit hash of both splits (sizes and every token), for checkpoints to check that a
  // resumed run reads the same data. Not cryptographic.
  uint64_t fingerprint() const;
};

Corpus load_corpus(const std::filesystem::path& path, const CorpusOptions& options,
                   const Tokenizer& tokenizer);
// Shorthand with default options apart from the validation fraction.
Corpus load_corpus(const std::filesystem::path& path, double val_fraction,
                   const Tokenizer& tokenizer);

// Split a token stream as described above; exposed for tests and tools.
void split_tokens(const std::vector<uint16_t>& tokens, const CorpusOptions& options,
                  std::vector<uint16_t>& train, std::vector<uint16_t>& val);
// The block length used for a stream of n tokens: min(block_tokens, ceil(n / 32)), >= 1.
int64_t split_block_tokens(int64_t n, int64_t block_tokens);

// bpb = loss / ln 2 / bytes_per_token: nats -> bits per token -> bits per byte. Makes
// losses comparable across tokenizers (Gao et al. 2020, "The Pile", section 4).
inline double bits_per_byte(double loss_nats_per_token, double bytes_per_token) {
  return loss_nats_per_token / std::log(2.0) / bytes_per_token;
}

}  // namespace scalelab::data
