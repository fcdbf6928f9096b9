#include "data/shard.h"

#include <bit>
#include <cerrno>
#include <cstring>
#include <fstream>

#include "core/atomic_file.h"
#include "core/error.h"

namespace scalelab::data {

static_assert(std::endian::native == std::endian::little,
              "token shards are little endian; add byte swapping for this platform");

std::vector<uint16_t> read_token_shard(const std::filesystem::path& path) {
  const std::string name = path.string();
  std::ifstream in(path, std::ios::binary);
  SL_REQUIRE(in.good(), "{}: cannot open token shard ({})", name, std::strerror(errno));
  in.seekg(0, std::ios::end);
  const int64_t file_bytes = static_cast<int64_t>(in.tellg());
  in.seekg(0, std::ios::beg);
  SL_REQUIRE(file_bytes >= kShardHeaderBytes,
             "{}: {} bytes is shorter than the {}-byte header of an llm.c token shard", name,
             file_bytes, kShardHeaderBytes);

  int32_t header[kShardHeaderInts];
  in.read(reinterpret_cast<char*>(header), kShardHeaderBytes);
  SL_REQUIRE(in.good(), "{}: cannot read the shard header", name);
  SL_REQUIRE(header[0] == kShardMagic,
             "{}: bad magic {} (expected {}); not an llm.c uint16 token shard - write shards "
             "with llm.c's dev/data scripts or point data.path at text",
             name, header[0], kShardMagic);
  SL_REQUIRE(header[1] == kShardVersion,
             "{}: shard version {} is not supported (expected {}: uint16 tokens)", name,
             header[1], kShardVersion);
  const int64_t count = header[2];
  SL_REQUIRE(count >= 0, "{}: negative token count {} in the shard header", name, count);
  const int64_t expected = kShardHeaderBytes + 2 * count;
  SL_REQUIRE(file_bytes >= expected,
             "{}: truncated shard: header says {} tokens ({} bytes) but the file has {} bytes",
             name, count, expected, file_bytes);
  SL_REQUIRE(file_bytes == expected,
             "{}: shard has {} bytes after its {} tokens (expected a file of exactly {} bytes)",
             name, file_bytes - expected, count, expected);

  std::vector<uint16_t> tokens(static_cast<size_t>(count));
  in.read(reinterpret_cast<char*>(tokens.data()), 2 * count);
  SL_REQUIRE(in.good() || count == 0, "{}: read error in the shard body", name);
  return tokens;
}

void write_token_shard(const std::filesystem::path& path, std::span<const uint16_t> tokens) {
  SL_REQUIRE(tokens.size() <= static_cast<size_t>(INT32_MAX),
             "{}: {} tokens do not fit one shard (int32 count)", path.string(), tokens.size());
  int32_t header[kShardHeaderInts] = {};
  header[0] = kShardMagic;
  header[1] = kShardVersion;
  header[2] = static_cast<int32_t>(tokens.size());
  AtomicFile f(path, /*binary=*/true);
  f.write(header, sizeof(header));
  f.write(tokens.data(), tokens.size() * sizeof(uint16_t));
  f.commit();
}

}  // namespace scalelab::data
