// Corpus loading: resolve the path to a list of files, read text or shards, split.
#include "data/corpus.h"

#include <fmt/format.h>
#include <glob.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <system_error>

#include "core/atomic_file.h"
#include "core/error.h"
#include "data/shard.h"

namespace scalelab::data {

namespace fs = std::filesystem;

namespace {

// Blocks per corpus aimed at when the corpus is small (see the header).
constexpr int64_t kMinSplitBlocks = 32;
// Bytes inspected for a NUL when deciding whether a file is text.
constexpr size_t kSniffBytes = 4096;

uint64_t splitmix64(uint64_t z) {
  z += 0x9E3779B97F4A7C15ull;
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

bool is_hidden(const fs::path& p) {
  const std::string n = p.filename().string();
  return !n.empty() && n[0] == '.';
}

bool is_shard_name(const fs::path& p) { return p.extension() == ".bin"; }

// llm.c names validation shards "<name>_val[_NNNNNN].bin".
bool is_val_shard_name(const fs::path& p) {
  const std::string stem = p.stem().string();
  size_t i = 0;
  while (i <= stem.size()) {
    size_t j = stem.find_first_of("_-.", i);
    if (j == std::string::npos) j = stem.size();
    const std::string part = stem.substr(i, j - i);
    if (part == "val" || part == "valid" || part == "validation") return true;
    i = j + 1;
  }
  return false;
}

bool looks_binary(std::string_view text) {
  return std::memchr(text.data(), '\0', std::min(text.size(), kSniffBytes)) != nullptr;
}

bool has_glob_chars(const std::string& s) { return s.find_first_of("*?[") != std::string::npos; }

// Every non-hidden regular file below `dir`, sorted by relative path.
std::vector<fs::path> list_directory(const fs::path& dir) {
  std::vector<fs::path> files;
  std::error_code ec;
  fs::recursive_directory_iterator it(dir, ec), end;
  SL_REQUIRE(!ec, "{}: cannot list directory ({})", dir.string(), ec.message());
  for (; it != end; it.increment(ec)) {
    SL_REQUIRE(!ec, "{}: cannot list directory ({})", dir.string(), ec.message());
    const fs::path& p = it->path();
    if (is_hidden(p)) {
      if (it->is_directory(ec)) it.disable_recursion_pending();
      continue;
    }
    if (it->is_regular_file(ec)) files.push_back(p);
  }
  std::sort(files.begin(), files.end(), [&](const fs::path& a, const fs::path& b) {
    return a.lexically_relative(dir).generic_string() < b.lexically_relative(dir).generic_string();
  });
  return files;
}

std::vector<fs::path> expand_glob(const std::string& pattern) {
  glob_t g{};
  const int rc = ::glob(pattern.c_str(), 0, nullptr, &g);
  std::vector<fs::path> files;
  if (rc == 0) {
    for (size_t i = 0; i < g.gl_pathc; ++i)
      if (fs::is_regular_file(g.gl_pathv[i]) && !is_hidden(g.gl_pathv[i]))
        files.emplace_back(g.gl_pathv[i]);
  }
  globfree(&g);
  SL_REQUIRE(!files.empty(), "{}: no files match this pattern (expected .bin shards or text files)",
             pattern);
  std::sort(files.begin(), files.end());  // glob sorts too; make it explicit
  return files;
}

std::string mb(int64_t bytes) { return fmt::format("{:.2f} MB", bytes / 1e6); }

void load_text_files(const std::vector<fs::path>& files, const Tokenizer& tok, bool skip_binary,
                     std::vector<uint16_t>& tokens, Corpus& c, std::vector<std::string>& skipped) {
  const std::vector<uint16_t> newline = tok.encode("\n");
  bool needs_newline = false;
  for (const fs::path& f : files) {
    const std::string text = read_file(f);
    if (looks_binary(text)) {
      SL_REQUIRE(skip_binary,
                 "{}: holds NUL bytes, so it is not text (expected a text file, a directory of "
                 "text files, or llm.c .bin token shards)",
                 f.string());
      skipped.push_back(f.filename().string());
      continue;
    }
    ++c.files;
    if (text.empty()) continue;
    // Documents are joined by a newline so that the last line of one file and the first
    // of the next do not fuse into one line.
    if (needs_newline) {
      tokens.insert(tokens.end(), newline.begin(), newline.end());
      c.bytes += 1;
    }
    std::vector<uint16_t> t = tok.encode(text);
    if (tokens.empty())
      tokens = std::move(t);  // the common single-file case: no copy
    else
      tokens.insert(tokens.end(), t.begin(), t.end());
    c.bytes += static_cast<int64_t>(text.size());
    needs_newline = text.back() != '\n';
  }
}

}  // namespace

void CorpusOptions::validate() const {
  SL_REQUIRE(std::isfinite(val_fraction) && val_fraction > 0.0 && val_fraction < 1.0,
             "{}: {} is outside (0, 1) (expected the share of the corpus held out, e.g. 0.1)",
             val_fraction_field, val_fraction);
  SL_REQUIRE(block_tokens >= 1, "data.split_block_tokens: {} (expected >= 1)", block_tokens);
  SL_REQUIRE(std::isnan(shard_bytes_per_token) || shard_bytes_per_token > 0.0,
             "data.shard_bytes_per_token: {} (expected > 0, or unset when unknown)",
             shard_bytes_per_token);
}

int64_t split_block_tokens(int64_t n, int64_t block_tokens) {
  const int64_t small = (n + kMinSplitBlocks - 1) / kMinSplitBlocks;
  return std::max<int64_t>(1, std::min(block_tokens, small));
}

void split_tokens(const std::vector<uint16_t>& tokens, const CorpusOptions& options,
                  std::vector<uint16_t>& train, std::vector<uint16_t>& val) {
  options.validate();
  const int64_t n = static_cast<int64_t>(tokens.size());
  SL_ASSERT(n >= 2);
  const int64_t block = split_block_tokens(n, options.block_tokens);
  const int64_t blocks = (n + block - 1) / block;
  const int64_t k = std::clamp<int64_t>(std::llround(options.val_fraction * blocks), 1, blocks - 1);

  // Rank blocks by a keyed hash of their index; the k smallest keys are validation.
  std::vector<std::pair<uint64_t, int64_t>> keyed(blocks);
  for (int64_t b = 0; b < blocks; ++b)
    keyed[b] = {splitmix64(options.split_seed ^ splitmix64(static_cast<uint64_t>(b))), b};
  std::nth_element(keyed.begin(), keyed.begin() + (k - 1), keyed.end());
  std::vector<char> is_val(blocks, 0);
  for (int64_t i = 0; i < k; ++i) is_val[keyed[i].second] = 1;

  train.clear();
  val.clear();
  int64_t val_tokens = 0;
  for (int64_t b = 0; b < blocks; ++b)
    if (is_val[b]) val_tokens += std::min(block, n - b * block);
  train.reserve(n - val_tokens);
  val.reserve(val_tokens);
  for (int64_t b = 0; b < blocks; ++b) {
    auto first = tokens.begin() + b * block;
    auto last = tokens.begin() + std::min(n, (b + 1) * block);
    auto& out = is_val[b] ? val : train;
    out.insert(out.end(), first, last);
  }
}

void Corpus::require_min_tokens(int64_t tokens, std::string_view field) const {
  SL_REQUIRE(static_cast<int64_t>(train.size()) >= tokens,
             "{}: training split of {} holds {} tokens, fewer than one sequence ({} tokens); "
             "use a larger corpus or a shorter model.seq_len",
             field, source, train.size(), tokens);
  SL_REQUIRE(static_cast<int64_t>(val.size()) >= tokens,
             "{}: validation split of {} holds {} tokens, fewer than one sequence ({} tokens); "
             "raise data.val_fraction, use a larger corpus or a shorter model.seq_len",
             field, source, val.size(), tokens);
}

double Corpus::bpb(double loss_nats_per_token) const {
  return bits_per_byte(loss_nats_per_token, bytes_per_token);
}

uint64_t Corpus::fingerprint() const {
  // Four tokens per 64-bit word, each word folded in with splitmix64; sizes first, so a
  // different split point changes the hash even when the concatenation is the same.
  uint64_t h = splitmix64(train.size()) ^ splitmix64(val.size() + 0x5bd1e995ull);
  for (const auto* v : {&train, &val}) {
    const size_t n = v->size();
    size_t i = 0;
    for (; i + 4 <= n; i += 4) {
      uint64_t w = 0;
      std::memcpy(&w, v->data() + i, 8);
      h = splitmix64(h ^ w);
    }
    uint64_t w = 0;
    if (i < n) std::memcpy(&w, v->data() + i, 2 * (n - i));
    h = splitmix64(h ^ w ^ 0xfeedull);
  }
  return h;
}

Corpus load_corpus(const fs::path& path, const CorpusOptions& options, const Tokenizer& tok) {
  options.validate();
  const std::string name = path.string();
  SL_REQUIRE(!name.empty(), "data.path: empty (expected a text file, a directory of text files, "
             "or llm.c .bin shards)");

  // 1. Resolve to a list of files.
  std::vector<fs::path> files;
  std::string kind;
  bool explicit_file = false;
  std::error_code ec;
  if (!fs::exists(path, ec) && has_glob_chars(path.filename().string())) {
    files = expand_glob(name);
    kind = "glob";
  } else {
    SL_REQUIRE(fs::exists(path, ec),
               "{}: no such file or directory (expected a text file, a directory of text "
               "files, or llm.c .bin shards; set data.path)",
               name);
    if (fs::is_directory(path, ec)) {
      files = list_directory(path);
      kind = "directory";
      SL_REQUIRE(!files.empty(), "{}: empty corpus: the directory holds no files (expected text "
                 "files or llm.c .bin shards)", name);
    } else {
      files = {path};
      kind = "file";
      explicit_file = true;
    }
  }
  const auto n_bin = std::count_if(files.begin(), files.end(), [](auto& f) { return is_shard_name(f); });
  SL_REQUIRE(n_bin == 0 || n_bin == static_cast<int64_t>(files.size()),
             "{}: mixes {} .bin shard files with {} other files (expected only text files or "
             "only llm.c .bin shards)",
             name, n_bin, files.size() - n_bin);

  Corpus c;
  std::vector<uint16_t> tokens;
  if (n_bin == 0) {
    // 2a. Text.
    std::vector<std::string> skipped;
    load_text_files(files, tok, /*skip_binary=*/!explicit_file, tokens, c, skipped);
    SL_REQUIRE(!tokens.empty(), "{}: empty corpus ({} text file(s), 0 bytes{}); expected text",
               name, c.files, skipped.empty() ? "" : fmt::format(", {} binary skipped", skipped.size()));
    c.tokenizer = tok.name();
    c.vocab_size = tok.vocab_size();
    c.bytes_per_token = static_cast<double>(c.bytes) / static_cast<double>(tokens.size());
    c.source = fmt::format("text {} {} ({} file(s), {}, {} tokens)", kind, name, c.files,
                           mb(c.bytes), tokens.size());
    if (!skipped.empty()) {
      c.source += fmt::format("; skipped {} binary file(s): {}", skipped.size(), skipped[0]);
      if (skipped.size() > 1) c.source += ", ...";
    }
  } else {
    // 2b. Shards; *val* ones become the validation split.
    std::vector<uint16_t> val;
    int64_t n_val = 0;
    for (const fs::path& f : files) {
      std::vector<uint16_t> t = read_token_shard(f);
      auto& out = is_val_shard_name(f) ? val : tokens;
      n_val += is_val_shard_name(f);
      out.insert(out.end(), t.begin(), t.end());
      ++c.files;
    }
    SL_REQUIRE(n_val == 0 || n_val < static_cast<int64_t>(files.size()),
               "{}: all {} shards are validation shards (a name part 'val'); expected training "
               "shards too", name, files.size());
    SL_REQUIRE(!tokens.empty(), "{}: empty corpus: the training shards hold 0 tokens", name);
    SL_REQUIRE(n_val == 0 || !val.empty(), "{}: empty corpus: the validation shards hold 0 tokens",
               name);
    c.from_shards = true;
    c.tokenizer = "shards";
    c.bytes_per_token = options.shard_bytes_per_token;
    const uint16_t mx = std::max(tokens.empty() ? 0 : *std::max_element(tokens.begin(), tokens.end()),
                                 val.empty() ? 0 : *std::max_element(val.begin(), val.end()));
    c.vocab_size = static_cast<int>(mx) + 1;
    c.source = fmt::format("token shards {} {} ({} file(s), {} val, {} tokens)", kind, name,
                           c.files, n_val, tokens.size() + val.size());
    if (n_val > 0) {
      c.train = std::move(tokens);
      c.val = std::move(val);
      c.val_from_shards = true;
      return c;
    }
  }

  // 3. Split.
  SL_REQUIRE(tokens.size() >= 2, "{}: corpus of {} token(s) is too small to split into "
             "training and validation", name, tokens.size());
  split_tokens(tokens, options, c.train, c.val);
  return c;
}

Corpus load_corpus(const fs::path& path, double val_fraction, const Tokenizer& tok) {
  CorpusOptions o;
  o.val_fraction = val_fraction;
  return load_corpus(path, o, tok);
}

}  // namespace scalelab::data
