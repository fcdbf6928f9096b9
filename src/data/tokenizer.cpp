#include "data/tokenizer.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "core/error.h"

namespace scalelab::data {

Tokenizer::~Tokenizer() = default;

std::vector<uint16_t> ByteTokenizer::encode(std::string_view text) const {
  std::vector<uint16_t> out(text.size());
  for (size_t i = 0; i < text.size(); ++i) out[i] = static_cast<unsigned char>(text[i]);
  return out;
}

std::string ByteTokenizer::decode(std::span<const uint16_t> tokens) const {
  std::string out(tokens.size(), '\0');
  for (size_t i = 0; i < tokens.size(); ++i) {
    SL_REQUIRE(tokens[i] < 256, "byte tokenizer: token {} at position {} is outside [0, 256)",
               tokens[i], i);
    out[i] = static_cast<char>(tokens[i]);
  }
  return out;
}

std::vector<std::string> tokenizer_names() { return {"byte"}; }

std::unique_ptr<Tokenizer> make_tokenizer(std::string_view name, std::string_view field) {
  if (name == "byte") return std::make_unique<ByteTokenizer>();
  throw InputError(fmt::format("{}: unknown tokenizer '{}' (expected one of: {})", field, name,
                               fmt::join(tokenizer_names(), ", ")));
}

}  // namespace scalelab::data
