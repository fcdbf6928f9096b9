// Text corpora: files and directories, the block split, size checks, bits per byte.
#include "data/corpus.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <numeric>

#include "core/rng.h"
#include "data_testing.h"

namespace scalelab::data {
namespace {

using testing::expect_input_error;
using testing::TempDir;
using testing::write_text;

std::string random_text(size_t n, uint64_t seed) {
  Rng rng(seed);
  std::string s(n, ' ');
  for (char& c : s) c = static_cast<char>('a' + rng.below(26));
  return s;
}

std::vector<uint16_t> iota_tokens(size_t n) {
  std::vector<uint16_t> t(n);
  for (size_t i = 0; i < n; ++i) t[i] = static_cast<uint16_t>(i);  // unique while n <= 65536
  return t;
}

std::vector<uint16_t> concat(const std::vector<uint16_t>& a, const std::vector<uint16_t>& b) {
  std::vector<uint16_t> r = a;
  r.insert(r.end(), b.begin(), b.end());
  return r;
}

TEST(Split, BlockLengthAdaptsToSmallCorpora) {
  EXPECT_EQ(split_block_tokens(1'000'000, 8192), 8192);
  EXPECT_EQ(split_block_tokens(32 * 100, 8192), 100);
  EXPECT_EQ(split_block_tokens(32 * 100 + 1, 8192), 101);
  EXPECT_EQ(split_block_tokens(5, 8192), 1);
}

TEST(Split, PartitionsTheStreamWithoutOverlapAndKeepsOrder) {
  const auto tokens = iota_tokens(60'000);
  CorpusOptions opt;
  opt.val_fraction = 0.2;
  opt.block_tokens = 500;
  std::vector<uint16_t> train, val;
  split_tokens(tokens, opt, train, val);
  EXPECT_EQ(train.size() + val.size(), tokens.size());
  EXPECT_TRUE(std::is_sorted(train.begin(), train.end()));  // corpus order on each side
  EXPECT_TRUE(std::is_sorted(val.begin(), val.end()));
  std::vector<uint16_t> all = concat(train, val);
  std::sort(all.begin(), all.end());
  EXPECT_EQ(all, tokens);  // every token exactly once: no overlap, nothing lost
  // 120 blocks, k = round(0.2 * 120) = 24 whole blocks.
  EXPECT_EQ(val.size(), 24u * 500u);
  // Whole blocks: each val run starts at a multiple of the block length.
  for (size_t i = 0; i < val.size(); i += 500) EXPECT_EQ(val[i] % 500, 0) << i;
}

TEST(Split, IsDeterministicAndDependsOnTheSeed) {
  const auto tokens = iota_tokens(40'000);
  CorpusOptions opt;
  opt.block_tokens = 100;
  std::vector<uint16_t> t1, v1, t2, v2, t3, v3;
  split_tokens(tokens, opt, t1, v1);
  split_tokens(tokens, opt, t2, v2);
  EXPECT_EQ(t1, t2);
  EXPECT_EQ(v1, v2);
  opt.split_seed = 1;
  split_tokens(tokens, opt, t3, v3);
  EXPECT_EQ(v3.size(), v1.size());
  EXPECT_NE(v3, v1);
}

TEST(Split, ValidationBlocksAreSpreadOverTheWholeCorpus) {
  // 2000 blocks of 30 tokens, 10% to validation. An order-biased split (the tail, the
  // head) would put the mean validation position near 0.95 or 0.05.
  const auto tokens = iota_tokens(60'000);
  CorpusOptions opt;
  opt.block_tokens = 30;
  std::vector<uint16_t> train, val;
  split_tokens(tokens, opt, train, val);
  ASSERT_EQ(val.size(), 200u * 30u);
  int quarters[4] = {0, 0, 0, 0};
  double mean = 0;
  for (uint16_t v : val) {
    mean += v / 60'000.0;
    ++quarters[v * 4 / 60'000];
  }
  mean /= static_cast<double>(val.size());
  EXPECT_NEAR(mean, 0.5, 0.05);
  for (int q = 0; q < 4; ++q) EXPECT_GT(quarters[q], 900) << "quarter " << q;  // ~1500 each
}

TEST(Split, HonoursTheValFractionOnRealSizedCorpora) {
  for (double f : {0.01, 0.05, 0.1, 0.3, 0.5}) {
    const auto tokens = iota_tokens(65'536);
    CorpusOptions opt;
    opt.val_fraction = f;
    opt.block_tokens = 256;
    std::vector<uint16_t> train, val;
    split_tokens(tokens, opt, train, val);
    EXPECT_NEAR(static_cast<double>(val.size()) / 65'536.0, f, 0.5 * 256 / 65'536.0 + 1e-12) << f;
  }
}

TEST(Split, SmallCorporaStillGetBothSplits) {
  const auto tokens = iota_tokens(10);
  CorpusOptions opt;
  opt.val_fraction = 0.001;  // rounds to 0 blocks, clamped to 1
  std::vector<uint16_t> train, val;
  split_tokens(tokens, opt, train, val);
  EXPECT_EQ(val.size(), 1u);
  EXPECT_EQ(train.size(), 9u);
  opt.val_fraction = 0.999;  // rounds to all blocks, clamped to blocks - 1
  split_tokens(tokens, opt, train, val);
  EXPECT_EQ(train.size(), 1u);
}

TEST(LoadCorpus, TextFileGivesEveryByteOnceWithByteTokenizer) {
  TempDir dir;
  const std::string text = random_text(50'000, 1);
  write_text(dir / "a.txt", text);
  ByteTokenizer tok;
  CorpusOptions opt;
  const Corpus c = load_corpus(dir / "a.txt", opt, tok);
  EXPECT_EQ(c.total_tokens(), 50'000);
  EXPECT_EQ(c.vocab_size, 256);
  EXPECT_DOUBLE_EQ(c.bytes_per_token, 1.0);
  EXPECT_EQ(c.bytes, 50'000);
  EXPECT_EQ(c.files, 1);
  EXPECT_EQ(c.tokenizer, "byte");
  EXPECT_FALSE(c.from_shards);
  EXPECT_NE(c.source.find("a.txt"), std::string::npos) << c.source;
  // Loading = encoding then the documented split.
  std::vector<uint16_t> train, val;
  split_tokens(tok.encode(text), opt, train, val);
  EXPECT_EQ(c.train, train);
  EXPECT_EQ(c.val, val);
  EXPECT_NEAR(static_cast<double>(c.val.size()) / 50'000.0, 0.1, 0.01);
}

TEST(LoadCorpus, DirectoryIsReadRecursivelyInNameOrderSkippingHiddenAndBinary) {
  TempDir dir;
  write_text(dir / "b" / "c.txt", "second\n");
  write_text(dir / "a.txt", "first");          // no final newline: one is put after it
  write_text(dir / "b" / "d.md", "third");     // any text file counts, not only *.txt
  write_text(dir / "b" / "empty.txt", "");
  write_text(dir / ".hidden.txt", "HIDDEN");
  write_text(dir / ".git" / "x.txt", "GIT");
  write_text(dir / "z.dat", std::string("bin\0ary", 7));
  write_text(dir / "zz.txt", random_text(2000, 2));
  ByteTokenizer tok;
  CorpusOptions opt;
  const Corpus c = load_corpus(dir.path(), opt, tok);
  const std::string expected = "first\nsecond\nthird\n" + random_text(2000, 2);
  std::vector<uint16_t> train, val;
  split_tokens(tok.encode(expected), opt, train, val);
  EXPECT_EQ(c.train, train);
  EXPECT_EQ(c.val, val);
  EXPECT_EQ(c.files, 5);  // a, b/c, b/d, b/empty, zz
  EXPECT_EQ(c.bytes, static_cast<int64_t>(expected.size()));
  EXPECT_NE(c.source.find("skipped 1 binary file(s): z.dat"), std::string::npos) << c.source;
}

TEST(LoadCorpus, MissingPathNamesItAndSaysWhatIsExpected) {
  ByteTokenizer tok;
  expect_input_error([&] { load_corpus("/nonexistent/corpus.txt", 0.1, tok); },
                     {"/nonexistent/corpus.txt", "no such file", "data.path"});
}

TEST(LoadCorpus, EmptyCorporaAreRejected) {
  TempDir dir;
  ByteTokenizer tok;
  write_text(dir / "empty.txt", "");
  expect_input_error([&] { load_corpus(dir / "empty.txt", 0.1, tok); }, {"empty.txt", "empty corpus"});
  std::filesystem::create_directories(dir / "nothing");
  write_text(dir / "nothing" / ".only_hidden", "x");
  expect_input_error([&] { load_corpus(dir / "nothing", 0.1, tok); }, {"nothing", "empty corpus"});
  write_text(dir / "blank" / "a.txt", "");
  expect_input_error([&] { load_corpus(dir / "blank", 0.1, tok); }, {"blank", "empty corpus"});
}

TEST(LoadCorpus, ABinaryFileNamedDirectlyIsRejected) {
  TempDir dir;
  write_text(dir / "model.ckpt", std::string("\x01\x00\x00\x00", 4));
  ByteTokenizer tok;
  expect_input_error([&] { load_corpus(dir / "model.ckpt", 0.1, tok); }, {"model.ckpt", "not text"});
}

TEST(LoadCorpus, ValFractionOutsideTheOpenIntervalIsRejected) {
  TempDir dir;
  write_text(dir / "a.txt", random_text(1000, 3));
  ByteTokenizer tok;
  for (double f : {0.0, 1.0, -0.1, 1.5, std::nan("")})
    expect_input_error([&] { load_corpus(dir / "a.txt", f, tok); }, {"data.val_fraction"});
}

TEST(Corpus, RequireMinTokensBlamesTheTooSmallSplit) {
  TempDir dir;
  ByteTokenizer tok;
  write_text(dir / "tiny.txt", random_text(100, 4));
  const Corpus tiny = load_corpus(dir / "tiny.txt", 0.1, tok);
  expect_input_error([&] { tiny.require_min_tokens(129, "data.path"); },
                     {"data.path", "training split", "tiny.txt", "129"});

  // 2000 bytes: 32 blocks of 63; 5% -> 2 blocks, at most 126 validation tokens.
  write_text(dir / "small.txt", random_text(2000, 5));
  CorpusOptions opt;
  opt.val_fraction = 0.05;
  const Corpus small = load_corpus(dir / "small.txt", opt, tok);
  EXPECT_LE(small.val.size(), 126u);
  small.require_min_tokens(small.val.size(), "data.path");  // exactly enough passes
  expect_input_error([&] { small.require_min_tokens(129, "data.path"); },
                     {"data.path", "validation split", "data.val_fraction"});
}

TEST(Corpus, BitsPerByteConvertsNatsPerToken) {
  EXPECT_NEAR(bits_per_byte(8 * std::log(2.0), 1.0), 8.0, 1e-12);
  EXPECT_NEAR(bits_per_byte(std::log(2.0), 4.0), 0.25, 1e-12);
  Corpus c;
  c.bytes_per_token = 1.0;
  EXPECT_NEAR(c.bpb(std::log(256.0)), 8.0, 1e-12);  // uniform over bytes = 8 bits
  c.bytes_per_token = std::nan("");
  EXPECT_TRUE(std::isnan(c.bpb(1.0)));
}

TEST(Corpus, FingerprintTellsDifferentDataApart) {
  Corpus a;
  a.train = iota_tokens(1001);
  a.val = iota_tokens(37);
  Corpus b = a;
  EXPECT_EQ(a.fingerprint(), b.fingerprint());
  b.train[1000] ^= 1;  // last token, in the partial final word
  EXPECT_NE(a.fingerprint(), b.fingerprint());
  b = a;
  b.val[0] = 9;
  EXPECT_NE(a.fingerprint(), b.fingerprint());
  b = a;  // same concatenation, other split point
  b.val.insert(b.val.begin(), b.train.back());
  b.train.pop_back();
  EXPECT_NE(a.fingerprint(), b.fingerprint());
}

}  // namespace
}  // namespace scalelab::data
