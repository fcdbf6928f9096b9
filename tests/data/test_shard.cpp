// llm.c token shards: format round trip, each malformed case, shard corpora and splits.
#include "data/shard.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <fstream>

#include "core/atomic_file.h"
#include "data/corpus.h"
#include "data_testing.h"

namespace scalelab::data {
namespace {

using testing::expect_input_error;
using testing::TempDir;

std::vector<uint16_t> tokens_from(uint16_t first, size_t n) {
  std::vector<uint16_t> t(n);
  for (size_t i = 0; i < n; ++i) t[i] = static_cast<uint16_t>(first + i);
  return t;
}

// A shard built byte by byte, so the reader is checked against the layout, not against
// our own writer. Fields past the header are as given.
void write_raw_shard(const std::filesystem::path& p, int32_t magic, int32_t version, int32_t count,
                     const std::vector<uint16_t>& body) {
  std::vector<int32_t> header(256, 0);
  header[0] = magic;
  header[1] = version;
  header[2] = count;
  std::ofstream out(p, std::ios::binary);
  out.write(reinterpret_cast<const char*>(header.data()), 1024);
  out.write(reinterpret_cast<const char*>(body.data()), static_cast<std::streamsize>(2 * body.size()));
  ASSERT_TRUE(out.good());
}

TEST(Shard, WriterProducesTheLlmcLayoutAndReaderReadsIt) {
  TempDir dir;
  const auto tokens = tokens_from(50000, 777);
  write_token_shard(dir / "x.bin", tokens);
  const std::string bytes = read_file(dir / "x.bin");
  ASSERT_EQ(bytes.size(), 1024u + 2u * 777u);
  int32_t h[3];
  std::memcpy(h, bytes.data(), sizeof(h));
  EXPECT_EQ(h[0], 20240520);
  EXPECT_EQ(h[1], 1);
  EXPECT_EQ(h[2], 777);
  uint16_t first;
  std::memcpy(&first, bytes.data() + 1024, 2);
  EXPECT_EQ(first, 50000);
  EXPECT_EQ(read_token_shard(dir / "x.bin"), tokens);

  write_raw_shard(dir / "raw.bin", kShardMagic, kShardVersion, 5, {1, 2, 3, 4, 65535});
  EXPECT_EQ(read_token_shard(dir / "raw.bin"), (std::vector<uint16_t>{1, 2, 3, 4, 65535}));
  write_token_shard(dir / "empty.bin", {});
  EXPECT_TRUE(read_token_shard(dir / "empty.bin").empty());
}

TEST(Shard, WrongMagicNamesTheFile) {
  TempDir dir;
  write_raw_shard(dir / "bad_magic.bin", 20240326, 1, 3, {1, 2, 3});  // llm.c's model magic
  expect_input_error([&] { read_token_shard(dir / "bad_magic.bin"); },
                     {(dir / "bad_magic.bin").string(), "magic 20240326", "20240520"});
}

TEST(Shard, WrongVersionNamesTheFile) {
  TempDir dir;
  write_raw_shard(dir / "v2.bin", kShardMagic, 2, 3, {1, 2, 3});
  expect_input_error([&] { read_token_shard(dir / "v2.bin"); },
                     {(dir / "v2.bin").string(), "version 2", "expected 1"});
}

TEST(Shard, TruncatedBodyNamesTheFile) {
  TempDir dir;
  write_raw_shard(dir / "cut.bin", kShardMagic, 1, 100, tokens_from(0, 60));
  expect_input_error([&] { read_token_shard(dir / "cut.bin"); },
                     {(dir / "cut.bin").string(), "truncated", "100 tokens"});
  std::ofstream(dir / "short.bin", std::ios::binary) << "abc";
  expect_input_error([&] { read_token_shard(dir / "short.bin"); },
                     {(dir / "short.bin").string(), "header"});
}

TEST(Shard, TrailingBytesAndNegativeCountsAreRejected) {
  TempDir dir;
  write_raw_shard(dir / "long.bin", kShardMagic, 1, 3, tokens_from(0, 4));
  expect_input_error([&] { read_token_shard(dir / "long.bin"); }, {"long.bin", "2 bytes after"});
  write_raw_shard(dir / "neg.bin", kShardMagic, 1, -5, {});
  expect_input_error([&] { read_token_shard(dir / "neg.bin"); }, {"neg.bin", "negative"});
}

TEST(ShardCorpus, ValShardsFormTheValidationSplit) {
  TempDir dir;
  write_token_shard(dir / "demo_train_000001.bin", tokens_from(1000, 300));
  write_token_shard(dir / "demo_train_000000.bin", tokens_from(0, 200));
  write_token_shard(dir / "demo_val_000000.bin", tokens_from(9000, 50));
  ByteTokenizer tok;  // unused for shards
  CorpusOptions opt;
  const Corpus c = load_corpus(dir.path(), opt, tok);
  auto want_train = tokens_from(0, 200);
  const auto second = tokens_from(1000, 300);
  want_train.insert(want_train.end(), second.begin(), second.end());
  EXPECT_EQ(c.train, want_train);  // name order: 000000 before 000001
  EXPECT_EQ(c.val, tokens_from(9000, 50));
  EXPECT_TRUE(c.from_shards);
  EXPECT_TRUE(c.val_from_shards);
  EXPECT_EQ(c.files, 3);
  EXPECT_EQ(c.vocab_size, 9050);  // largest id + 1
  EXPECT_TRUE(std::isnan(c.bytes_per_token));
  EXPECT_TRUE(std::isnan(c.bpb(1.0)));

  opt.shard_bytes_per_token = 4.0;
  EXPECT_DOUBLE_EQ(load_corpus(dir.path(), opt, tok).bytes_per_token, 4.0);
}

TEST(ShardCorpus, WithoutValShardsTheStreamIsSplitLikeText) {
  TempDir dir;
  const auto tokens = tokens_from(0, 5000);
  write_token_shard(dir / "only.bin", tokens);
  ByteTokenizer tok;
  CorpusOptions opt;
  const Corpus c = load_corpus(dir / "only.bin", opt, tok);
  std::vector<uint16_t> train, val;
  split_tokens(tokens, opt, train, val);
  EXPECT_EQ(c.train, train);
  EXPECT_EQ(c.val, val);
  EXPECT_FALSE(c.val_from_shards);
  EXPECT_EQ(c.vocab_size, 5000);
}

TEST(ShardCorpus, GlobSelectsMatchingShards) {
  TempDir dir;
  write_token_shard(dir / "a_train_0.bin", tokens_from(0, 100));
  write_token_shard(dir / "a_train_1.bin", tokens_from(100, 100));
  write_token_shard(dir / "a_val_0.bin", tokens_from(500, 40));
  ByteTokenizer tok;
  const Corpus c = load_corpus((dir.path() / "*train*.bin").string(), 0.1, tok);
  EXPECT_FALSE(c.val_from_shards);  // the val shard was not matched
  EXPECT_EQ(c.total_tokens(), 200);
  const Corpus all = load_corpus((dir.path() / "a_*.bin").string(), 0.1, tok);
  EXPECT_TRUE(all.val_from_shards);
  EXPECT_EQ(all.val, tokens_from(500, 40));
  expect_input_error([&] { load_corpus((dir.path() / "zzz*.bin").string(), 0.1, tok); },
                     {"zzz*.bin", "no files match"});
}

TEST(ShardCorpus, BadShardInADirectoryIsNamed) {
  TempDir dir;
  write_token_shard(dir / "s_train_0.bin", tokens_from(0, 100));
  write_raw_shard(dir / "s_train_1.bin", kShardMagic, 1, 100, tokens_from(0, 10));
  ByteTokenizer tok;
  expect_input_error([&] { load_corpus(dir.path(), 0.1, tok); }, {"s_train_1.bin", "truncated"});
}

TEST(ShardCorpus, MixedAllValAndEmptyShardSetsAreRejected) {
  ByteTokenizer tok;
  {
    TempDir dir;
    write_token_shard(dir / "s.bin", tokens_from(0, 100));
    testing::write_text(dir / "notes.txt", "hello");
    expect_input_error([&] { load_corpus(dir.path(), 0.1, tok); }, {"mixes 1 .bin", "1 other"});
  }
  {
    TempDir dir;
    write_token_shard(dir / "x_val.bin", tokens_from(0, 100));
    expect_input_error([&] { load_corpus(dir.path(), 0.1, tok); }, {"validation shards"});
  }
  {
    TempDir dir;
    write_token_shard(dir / "x_train.bin", {});
    expect_input_error([&] { load_corpus(dir.path(), 0.1, tok); }, {"empty corpus"});
  }
}

}  // namespace
}  // namespace scalelab::data
