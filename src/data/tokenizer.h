// defines: scalelab::data::Tokenizer, ByteTokenizer, make_tokenizer
//
// A tokenizer maps text to uint16 token ids and back. The byte tokenizer (vocab 256) is
// the identity on bytes, so bits per byte follow directly from the loss; a BPE tokenizer
// can be added later behind the same interface (and then report its own bytes/token).
//
//   auto tok = scalelab::data::make_tokenizer("byte");      // InputError if unknown
//   std::vector<uint16_t> ids = tok->encode("Hello");        // {72, 101, 108, 108, 111}
//   std::string back = tok->decode(ids);                     // "Hello"
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace scalelab::data {

class Tokenizer {
 public:
  virtual ~Tokenizer();
  // Short stable name, as written in configs and summaries ("byte").
  virtual std::string name() const = 0;
  // Token ids lie in [0, vocab_size()).
  virtual int vocab_size() const = 0;
  virtual std::vector<uint16_t> encode(std::string_view text) const = 0;
  // InputError if a token is outside [0, vocab_size()).
  virtual std::string decode(std::span<const uint16_t> tokens) const = 0;
};

// Identity on bytes: token = unsigned byte value, vocab 256, exactly 1 byte per token.
class ByteTokenizer final : public Tokenizer {
 public:
  std::string name() const override { return "byte"; }
  int vocab_size() const override { return 256; }
  std::vector<uint16_t> encode(std::string_view text) const override;
  std::string decode(std::span<const uint16_t> tokens) const override;
};

// Names accepted by make_tokenizer, for help text and error messages.
std::vector<std::string> tokenizer_names();

// "byte" -> ByteTokenizer. Unknown names throw InputError naming `field` and the choices.
std::unique_ptr<Tokenizer> make_tokenizer(std::string_view name,
                                          std::string_view field = "data.tokenizer");

}  // namespace scalelab::data
