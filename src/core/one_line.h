// defines: scalelab::one_line
//
// Another program's message (libpq's, sbatch's) on one line, for the one-line errors
// scalelab prints: line breaks and tabs become spaces, runs of spaces one space, the ends
// trimmed. "could not connect\n\tIs the server running?\n" -> "could not connect Is the server running?"
#pragma once

#include <string>
#include <string_view>

namespace scalelab {

inline std::string one_line(std::string_view text) {
  std::string out;
  for (char c : text) {
    if (c == '\n' || c == '\r' || c == '\t') c = ' ';
    if (c == ' ' && (out.empty() || out.back() == ' ')) continue;
    out += c;
  }
  while (!out.empty() && out.back() == ' ') out.pop_back();
  return out;
}

}  // namespace scalelab
