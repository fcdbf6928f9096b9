// defines: scalelab::data::read_token_shard, write_token_shard, kShardMagic
//
// llm.c-compatible uint16 token shards (Karpathy, llm.c, dev/data/data_common.py):
//   bytes [0, 1024)        256 x int32 header: [0] magic 20240520, [1] version 1,
//                          [2] token count n, the rest zero
//   bytes [1024, 1024+2n)  n x uint16 tokens
// The file must be exactly 1024 + 2n bytes long. Integers are little endian.
//
//   data::write_token_shard(dir / "demo_val_000000.bin", tokens);   // atomic
//   std::vector<uint16_t> t = data::read_token_shard(dir / "demo_val_000000.bin");
#pragma once

#include <cstdint>
#include <filesystem>
#include <span>
#include <vector>

namespace scalelab::data {

inline constexpr int32_t kShardMagic = 20240520;
inline constexpr int32_t kShardVersion = 1;
inline constexpr int kShardHeaderInts = 256;
inline constexpr int64_t kShardHeaderBytes = kShardHeaderInts * 4;

// Reads one shard. InputError naming the file on: unreadable file, short header, wrong
// magic (with a hint: not an llm.c shard, or a model checkpoint), wrong version,
// negative count, body shorter (truncated) or longer than the count says.
std::vector<uint16_t> read_token_shard(const std::filesystem::path& path);

// Writes one shard atomically (temp file + rename).
void write_token_shard(const std::filesystem::path& path, std::span<const uint16_t> tokens);

}  // namespace scalelab::data
