// defines: scalelab::fnv1a64, scalelab::fnv1a64_hex
//
// A stable 64-bit content hash (FNV-1a; Fowler, Noll and Vo) for naming and comparing
// configs and specs across processes and builds; not for security.
//
//   std::string h = fnv1a64_hex(config_json.dump());   // 16 hex digits
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include <fmt/format.h>

namespace scalelab {

inline uint64_t fnv1a64(std::string_view text) {
  uint64_t h = 0xcbf29ce484222325ull;  // FNV offset basis
  for (unsigned char c : text) {
    h ^= c;
    h *= 0x100000001b3ull;             // FNV prime
  }
  return h;
}

inline std::string fnv1a64_hex(std::string_view text) { return fmt::format("{:016x}", fnv1a64(text)); }

}  // namespace scalelab
