// Byte tokenizer: identity on bytes, exact round trip; tokenizer factory.
#include "data/tokenizer.h"

#include <gtest/gtest.h>

#include "core/rng.h"
#include "data_testing.h"

namespace scalelab::data {
namespace {

TEST(ByteTokenizer, EncodesBytesAsTheirUnsignedValues) {
  ByteTokenizer tok;
  EXPECT_EQ(tok.name(), "byte");
  EXPECT_EQ(tok.vocab_size(), 256);
  const std::string text = "Hi\n\xff\x80";
  const std::vector<uint16_t> want = {72, 105, 10, 255, 128};
  EXPECT_EQ(tok.encode(text), want);
  EXPECT_TRUE(tok.encode("").empty());
}

TEST(ByteTokenizer, RoundTripsEveryByteAndRandomStrings) {
  ByteTokenizer tok;
  std::string all;
  for (int b = 0; b < 256; ++b) all.push_back(static_cast<char>(b));
  EXPECT_EQ(tok.decode(tok.encode(all)), all);

  Rng rng(7);
  for (int trial = 0; trial < 20; ++trial) {
    std::string s(rng.below(1000), '\0');
    for (char& c : s) c = static_cast<char>(rng.below(256));
    const auto ids = tok.encode(s);
    ASSERT_EQ(ids.size(), s.size());
    for (uint16_t id : ids) ASSERT_LT(id, 256);
    EXPECT_EQ(tok.decode(ids), s);
  }
}

TEST(ByteTokenizer, DecodeRejectsTokensOutsideTheVocabulary) {
  ByteTokenizer tok;
  const std::vector<uint16_t> ids = {65, 256};
  testing::expect_input_error([&] { tok.decode(ids); }, {"256", "position 1"});
}

TEST(MakeTokenizer, KnowsByteAndNamesTheFieldForUnknownNames) {
  auto tok = make_tokenizer("byte");
  ASSERT_NE(tok, nullptr);
  EXPECT_EQ(tok->name(), "byte");
  EXPECT_EQ(tok->vocab_size(), 256);
  testing::expect_input_error([] { make_tokenizer("gpt2"); }, {"data.tokenizer", "gpt2", "byte"});
  testing::expect_input_error([] { make_tokenizer("bpe", "probe.tokenizer"); }, {"probe.tokenizer"});
}

}  // namespace
}  // namespace scalelab::data
