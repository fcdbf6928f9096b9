// defines: scalelab::probe::edit_distance, AnswerScore, score_answer, MetricSummary,
//          summarize
//
// One model output scored four ways. Schaeffer et al. 2023 ("Are emergent abilities of
// large language models a mirage?", section 2) argue that an ability looks "emergent"
// (flat, then a sudden jump with scale) under a discontinuous, nonlinear metric such as
// exact match, while continuous metrics of the same outputs (per-token accuracy, token
// edit distance, the log-likelihood of the correct answer) improve smoothly. Scoring one
// set of greedy answers all four ways lets a probe show both pictures side by side.
//
//   std::vector<uint16_t> gen = {'9', '5', '9', '1'}, target = {'9', '5', '9', '0'};
//   AnswerScore s = score_answer(gen, target, /*loglik=*/-2.3);
//   // s.exact == false, s.token_accuracy == 0.75, s.edit_distance == 1, s.loglik == -2.3
//   MetricSummary m = summarize(scores);          // means over examples
#pragma once

#include <cstdint>
#include <span>

namespace scalelab::probe {

// Levenshtein distance (Levenshtein 1966): the fewest single-token insertions, deletions
// and substitutions, each of cost 1, turning a into b. O(|a| |b|) time, O(|b|) memory.
int edit_distance(std::span<const uint16_t> a, std::span<const uint16_t> b);

struct AnswerScore {
  bool exact = false;         // generated == target, token for token and in length
  double token_accuracy = 0;  // position-wise matches / target length, in [0, 1]
  int edit_distance = 0;      // tokens, >= 0
  double loglik = 0;          // nats, <= 0 for a proper model
};

// generated: the model's greedy answer tokens; target: the correct answer (non-empty);
// loglik: sum over the target's tokens of ln p(target token | prompt, previous target
// tokens), i.e. under teacher forcing. Positions of the target past the end of
// `generated` count as wrong; extra generated tokens lower exact and edit distance only.
AnswerScore score_answer(std::span<const uint16_t> generated, std::span<const uint16_t> target,
                         double loglik);

// Means over examples; exact_match is the share of exact answers. With n = 0 the means
// are NaN (there is nothing to average), never a made-up 0.
struct MetricSummary {
  int64_t n = 0;
  double exact_match = 0, token_accuracy = 0, edit_distance = 0, loglik = 0;
};
MetricSummary summarize(std::span<const AnswerScore> scores);

}  // namespace scalelab::probe
