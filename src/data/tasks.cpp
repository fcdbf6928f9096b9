// The synthetic tasks (tasks.h): generators, the hash split of problems, and the
// insertion of task lines into a text token stream.
#include "data/tasks.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "core/error.h"
#include "core/hash.h"
#include "data/tokenizer.h"

namespace scalelab::data {

namespace {

// 1 validation problem in kValidationModulus.
constexpr uint64_t kValidationModulus = 8;

constexpr int kMaxDigits = 18;            // 2 * 10^18 < 2^63: sums fit int64
constexpr int kMaxModulus = 1000000000;
constexpr int kMaxPairs = 26;             // distinct lowercase keys

uint64_t pow10(int k) {
  uint64_t v = 1;
  for (int i = 0; i < k; ++i) v *= 10;
  return v;
}

int decimal_width(uint64_t v) {
  int w = 1;
  while (v >= 10) v /= 10, ++w;
  return w;
}

std::string padded(uint64_t v, int width) {
  std::string s = std::to_string(v);
  if (static_cast<int>(s.size()) < width) s.insert(0, width - s.size(), '0');
  return s;
}

class AdditionTask final : public Task {
 public:
  explicit AdditionTask(int digits)
      : Task(2 * digits + 2, digits + 1), digits_(digits), bound_(pow10(digits)) {}
  std::string name() const override { return "addition"; }
  std::string describe() const override { return fmt::format("addition (digits {})", digits_); }
  TaskExample sample(Rng& rng) const override {
    const uint64_t a = rng.below(bound_), b = rng.below(bound_);
    return addition_example(a, b, digits_);
  }

 private:
  int digits_;
  uint64_t bound_;
};

class ModularTask final : public Task {
 public:
  explicit ModularTask(int p)
      : Task(2 * decimal_width(p - 1) + 3 + decimal_width(p), decimal_width(p - 1)),
        p_(p) {}
  std::string name() const override { return "modular"; }
  std::string describe() const override { return fmt::format("modular (modulus {})", p_); }
  TaskExample sample(Rng& rng) const override {
    const uint64_t a = rng.below(p_), b = rng.below(p_);
    return modular_example(a, b, static_cast<int>(p_));
  }

 private:
  uint64_t p_;
};

class RecallTask final : public Task {
 public:
  // "k7 b2 ... c3|x=": pairs of 2 characters with pairs - 1 spaces, then "|", key, "=".
  explicit RecallTask(int pairs) : Task(3 * pairs + 2, 1), pairs_(pairs) {}
  std::string name() const override { return "recall"; }
  std::string describe() const override { return fmt::format("recall (pairs {})", pairs_); }
  TaskExample sample(Rng& rng) const override {
    // Distinct keys: a partial Fisher-Yates shuffle of the alphabet.
    std::string alphabet = "abcdefghijklmnopqrstuvwxyz";
    std::string values(pairs_, '0');
    TaskExample e;
    for (int i = 0; i < pairs_; ++i) {
      std::swap(alphabet[i], alphabet[i + rng.below(26 - i)]);
      values[i] = static_cast<char>('0' + rng.below(10));
      if (i > 0) e.prompt += ' ';
      e.prompt += alphabet[i];
      e.prompt += values[i];
    }
    const int q = static_cast<int>(rng.below(pairs_));
    e.prompt += '|';
    e.prompt += alphabet[q];
    e.prompt += '=';
    e.answer = std::string(1, values[q]);
    return e;
  }

 private:
  int pairs_;
};

}  // namespace

TaskExample addition_example(uint64_t a, uint64_t b, int digits) {
  SL_ASSERT(digits >= 1 && digits <= kMaxDigits && a < pow10(digits) && b < pow10(digits));
  TaskExample e;
  e.prompt = padded(a, digits) + "+" + padded(b, digits) + "=";
  e.answer = padded(a + b, digits + 1);
  std::reverse(e.answer.begin(), e.answer.end());  // lowest digit first (Lee et al. 2023)
  return e;
}

TaskExample modular_example(uint64_t a, uint64_t b, int modulus) {
  const uint64_t p = static_cast<uint64_t>(modulus);
  SL_ASSERT(modulus >= 2 && a < p && b < p);
  const int w = decimal_width(p - 1);
  TaskExample e;
  e.prompt = fmt::format("{}+{}%{}=", padded(a, w), padded(b, w), p);
  e.answer = padded((a + b) % p, w);
  return e;
}

Task::~Task() = default;

bool Task::is_validation(const TaskExample& e) const {
  // FNV-1a alone has weak low bits for short strings; one more mixing round fixes that.
  Rng mix(fnv1a64(e.prompt));
  return mix.next_u64() % kValidationModulus == 0;
}

std::vector<std::string> task_names() { return {"addition", "modular", "recall"}; }

namespace {
// "addition, modular, recall", for messages.
std::string task_choices() {
  std::string s;
  for (const std::string& n : task_names()) s += (s.empty() ? "" : ", ") + n;
  return s;
}
}  // namespace

void TaskOptions::validate() const {
  if (name.empty()) {
    SL_REQUIRE(fraction == 0, "data.task_fraction: {} with no data.task (expected 0, or set "
               "data.task to one of: {})", fraction, task_choices());
    return;
  }
  const auto names = task_names();
  SL_REQUIRE(std::find(names.begin(), names.end(), name) != names.end(),
             "data.task: '{}' is not a task (expected one of: {})", name, task_choices());
  SL_REQUIRE(fraction > 0 && fraction <= 1,
             "data.task_fraction: {} (expected a share of corpus tokens in (0, 1]; 1 = the task "
             "alone)", fraction);
  SL_REQUIRE(tokens > 0, "data.task_tokens: {} (expected > 0)", tokens);
  SL_REQUIRE(digits >= 1 && digits <= kMaxDigits, "data.task_digits: {} (expected 1..{})", digits,
             kMaxDigits);
  SL_REQUIRE(modulus >= 2 && modulus <= kMaxModulus, "data.task_modulus: {} (expected 2..{})",
             modulus, kMaxModulus);
  SL_REQUIRE(pairs >= 1 && pairs <= kMaxPairs, "data.task_pairs: {} (expected 1..{})", pairs,
             kMaxPairs);
  SL_REQUIRE(seed >= 0, "data.task_seed: {} (expected >= 0)", seed);
}

std::unique_ptr<Task> make_task(const TaskOptions& o) {
  SL_REQUIRE(!o.name.empty(), "data.task: empty (expected one of: {})",
             task_choices());
  o.validate();
  if (o.name == "addition") return std::make_unique<AdditionTask>(o.digits);
  if (o.name == "modular") return std::make_unique<ModularTask>(o.modulus);
  return std::make_unique<RecallTask>(o.pairs);
}

std::vector<TaskExample> sample_examples(const Task& task, bool validation, int64_t count,
                                         uint64_t seed) {
  SL_ASSERT(count >= 0);
  // Separate streams for the two splits, so adding validation examples does not shift
  // the training ones.
  Rng rng = Rng(seed).split(validation ? 0x7661 : 0x7472);
  std::vector<TaskExample> out;
  out.reserve(static_cast<size_t>(count));
  // Rejection sampling: validation accepts ~1/8 of draws. A task with very few problems
  // (modulus 2: four problems) may have none of a split; give up with a message rather
  // than loop forever.
  const int64_t max_draws = 64 * kValidationModulus * count + 100000;
  for (int64_t draws = 0; static_cast<int64_t>(out.size()) < count; ++draws) {
    SL_REQUIRE(draws < max_draws,
               "data.task: {} has too few {} problems to draw {} examples from; use a larger "
               "problem space (data.task_digits, data.task_modulus, data.task_pairs)",
               task.describe(), validation ? "validation" : "training", count);
    TaskExample e = task.sample(rng);
    if (task.is_validation(e) == validation) out.push_back(std::move(e));
  }
  return out;
}

std::vector<uint16_t> task_lines(const Task& task, const std::vector<TaskExample>& examples,
                                 const Tokenizer& tokenizer) {
  std::vector<uint16_t> out;
  out.reserve(examples.size() * task.line_length());
  for (const TaskExample& e : examples) {
    const std::vector<uint16_t> t = tokenizer.encode(task.line(e));
    SL_REQUIRE(t.size() == task.line_length(),
               "data.tokenizer: '{}' encodes the {}-character task line '{}' as {} tokens; task "
               "lines must have a fixed token length (use the byte tokenizer)",
               tokenizer.name(), task.line_length(), e.prompt + e.answer, t.size());
    out.insert(out.end(), t.begin(), t.end());
  }
  return out;
}

int64_t task_line_count(int64_t text_tokens, double fraction, size_t line_tokens) {
  SL_ASSERT(fraction > 0 && fraction < 1 && line_tokens > 0);
  // task / (text + task) = fraction  <=>  task = fraction / (1 - fraction) * text.
  const double task_tokens = fraction / (1 - fraction) * static_cast<double>(text_tokens);
  return std::llround(task_tokens / static_cast<double>(line_tokens));
}

std::vector<uint16_t> mix_task_lines(const std::vector<uint16_t>& text,
                                     const std::vector<uint16_t>& lines, size_t line_tokens,
                                     uint16_t newline, const std::string& field) {
  SL_ASSERT(line_tokens > 0 && lines.size() % line_tokens == 0);
  const size_t k = lines.size() / line_tokens;
  if (k == 0) return text;
  // Line starts: positions p in (0, n] just after a newline.
  std::vector<size_t> starts;
  for (size_t p = 0; p < text.size(); ++p)
    if (text[p] == newline) starts.push_back(p + 1);
  SL_REQUIRE(!starts.empty(), "{}: the text holds no line break, so task lines cannot be put at "
             "line starts (expected text with newlines)", field);

  std::vector<uint16_t> out;
  out.reserve(text.size() + lines.size());
  size_t copied = 0;  // text tokens already in `out`
  size_t s = 0;       // index into `starts`, moves forward only
  const double n = static_cast<double>(text.size());
  for (size_t j = 0; j < k; ++j) {
    const double target = (static_cast<double>(j) + 0.5) * n / static_cast<double>(k);
    // Nearest line start to `target`, not before the previous line's (keeps order).
    while (s + 1 < starts.size() &&
           std::fabs(static_cast<double>(starts[s + 1]) - target) <=
               std::fabs(static_cast<double>(starts[s]) - target))
      ++s;
    out.insert(out.end(), text.begin() + copied, text.begin() + starts[s]);
    copied = starts[s];
    out.insert(out.end(), lines.begin() + j * line_tokens, lines.begin() + (j + 1) * line_tokens);
  }
  out.insert(out.end(), text.begin() + copied, text.end());
  return out;
}

}  // namespace scalelab::data
