// defines: scalelab::probe::ContextCurve, fit_context_curve, IclPositions, icl_positions,
//          icl_score, induction_tokens, InductionScore, induction_score
//
// In-context learning, measured two ways:
//  - Loss against context position (Kaplan et al. 2020, fig. 20; Olsson et al. 2022): the
//    mean loss of the token at position t falls as the model sees more context; the fit
//    L(t) = a + b t^-c summarises it, and the in-context-learning score is the loss at a
//    late position minus the loss at an early one (tokens 500 and 50 when the context
//    holds 512 or more; the same fractions of shorter contexts). More negative = more
//    learning from context.
//  - An induction probe (Olsson et al. 2022, sec. 2): a sequence of L random tokens
//    followed by the same L tokens again. No statistic of the corpus predicts the random
//    tokens, so the loss on the repeat can drop only by copying from the context.
//
//   std::vector<double> per_pos = scorer.position_losses(val);   // model_eval.h
//   double s = icl_score(per_pos);                                 // e.g. -0.41 nats
//   ContextCurve f = fit_context_curve(per_pos);                   // a, b, c
#pragma once

#include <cstdint>
#include <span>
#include <vector>

namespace scalelab::probe {

// L(t) = a + b t^-c over t = 1..T, where losses[t-1] is the loss of the token predicted
// from t tokens of context. Least squares: for each c on a log grid over [0.01, 4] the
// best (a, b) is linear regression on t^-c; the best c is then refined by golden section.
struct ContextCurve {
  double a = 0, b = 0, c = 0;
  double rms = 0;   // root-mean-square residual, nats
  bool ok = false;  // needs >= 4 finite points
  double at(double t) const;
};
ContextCurve fit_context_curve(std::span<const double> losses);

// 0-based indices into per-position losses (index t-1 holds context length t).
struct IclPositions {
  int early = 0, late = 0;
};
// T >= 512: the 50th and 500th tokens (indices 49, 499); shorter: round(T * 50/512) and
// round(T * 500/512) tokens, at least 1 and at most T.
IclPositions icl_positions(int seq_len);
// Mean of losses over the band [center - T/64, center + T/64] (clipped to the context):
// per-position losses of a few hundred windows are noisy, and a band of +-1.6% of the
// context steadies them without moving the positions (T = losses.size()).
double band_mean(std::span<const double> losses, int center);
// band_mean at late - band_mean at early (nats); negative when later tokens are
// predicted better. For T < 64 the band is the single position.
double icl_score(std::span<const double> losses);

// `count` rows of 2L tokens: L tokens drawn uniformly (with replacement) from `alphabet`,
// then the same L again. Row-major. The model reads tokens 0..2L-2 of a row and predicts
// tokens 1..2L-1 (2L - 1 positions), so 2L - 1 <= seq_len.
std::vector<int32_t> induction_tokens(int count, int length, std::span<const uint16_t> alphabet, uint64_t seed);

struct InductionScore {
  double first = 0;   // mean loss predicting tokens 2..L of the first copy (nats)
  double repeat = 0;  // mean loss predicting tokens 2..L of the repeat
  double drop = 0;    // first - repeat: what copying from context buys
};
// position_losses: per-row losses of the induction rows (count rows x 2L - 1 positions;
// position p predicts token p + 1). The first token of the repeat is skipped: nothing in
// the context says what follows the last random token.
InductionScore induction_score(std::span<const float> position_losses, int count, int length);

}  // namespace scalelab::probe
