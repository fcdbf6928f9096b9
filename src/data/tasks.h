// defines: scalelab::data::TaskOptions, TaskExample, Task, make_task, sample_examples,
//          task_names, addition_example, modular_example, task_lines, mix_task_lines,
//          task_line_count
//
// Synthetic tasks with exact answers, for probing emergence (Wei et al. 2022; Schaeffer
// et al. 2023): a generator draws (prompt, answer) pairs whose lengths are fixed by the
// task's config, so examples batch without padding, and whose answers are checked
// character by character. All text is ASCII, one example per line: prompt + answer + "\n".
//
//   TaskOptions o;  o.name = "addition";  o.digits = 3;
//   auto task = make_task(o);                          // InputError naming data.task
//   auto val = sample_examples(*task, /*validation=*/true, 500, /*seed=*/0);
//   // val[0].prompt == "042+917=", val[0].answer == "9590" (959 reversed, padded to 4)
//
// The tasks:
//   "addition"  a, b uniform in [0, 10^digits), zero-padded to `digits`; prompt "042+917=";
//               answer = the sum's decimal digits REVERSED, lowest first, zero-padded to
//               digits + 1 ("9590" for 959): Lee et al. 2023 ("Teaching arithmetic to small
//               transformers", section 4) find the reversed order far easier to learn,
//               because each output digit then depends only on digits already seen.
//   "modular"   a, b uniform in [0, p), zero-padded to the width of p - 1; prompt
//               "37+85%97="; answer (a + b) mod p, zero-padded to the same width ("25").
//   "recall"    in-context associative recall (Ba et al. 2016; Olsson et al. 2022): `pairs`
//               distinct lowercase keys, each with a digit value, then a query of one key:
//               prompt "k7 b2 x9 q4 m1 c3|x=", answer "9".
//
// Problems, not only text, are split: an example is a validation problem when a hash of
// its prompt says so (1 in 8, independent of the seed), so a model is scored on problems
// it never trained on, whichever seed drew its training set.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/rng.h"

namespace scalelab::data {

class Tokenizer;

struct TaskOptions {
  std::string name;          // "" = no task; otherwise one of task_names()
  double fraction = 0;       // share of corpus tokens that are task examples; 1 = task alone
  int64_t tokens = 2000000;  // task alone: total tokens (train + val, split by val_fraction)
  int digits = 3;            // addition: operand digits, 1..18
  int modulus = 97;          // modular: p, 2..1000000000
  int pairs = 6;             // recall: key-value pairs in the context, 1..26
  int64_t seed = 0;          // which problems are drawn (not which are validation)

  // InputError naming the data.task_* key. An empty name is valid only with fraction 0.
  void validate() const;
};

struct TaskExample {
  std::string prompt, answer;
};

class Task {
 public:
  virtual ~Task();
  virtual std::string name() const = 0;
  // One example; lengths are prompt_length() and answer_length() exactly.
  virtual TaskExample sample(Rng& rng) const = 0;
  // A one-line description of the config, e.g. "addition (digits 3)".
  virtual std::string describe() const = 0;

  size_t prompt_length() const { return prompt_length_; }  // characters (= byte tokens)
  size_t answer_length() const { return answer_length_; }
  size_t line_length() const { return prompt_length_ + answer_length_ + 1; }

  // True for 1 in 8 prompts, by a hash of the prompt alone.
  bool is_validation(const TaskExample& e) const;
  std::string line(const TaskExample& e) const { return e.prompt + e.answer + "\n"; }

 protected:
  Task(size_t prompt_length, size_t answer_length)
      : prompt_length_(prompt_length), answer_length_(answer_length) {}

 private:
  size_t prompt_length_, answer_length_;
};

std::vector<std::string> task_names();  // {"addition", "modular", "recall"}

// The example for given operands, as the generators write it (a, b < 10^digits, resp. < p).
TaskExample addition_example(uint64_t a, uint64_t b, int digits);
TaskExample modular_example(uint64_t a, uint64_t b, int modulus);

// The task `options.name` names (validated first). InputError naming data.task, with the
// choices listed, for an unknown or empty name.
std::unique_ptr<Task> make_task(const TaskOptions& options);

// `count` examples of one split: validation problems or training problems, drawn with
// replacement, deterministic in (task config, validation, count, seed). InputError naming
// data.task when the task has too few problems of that split to draw from.
std::vector<TaskExample> sample_examples(const Task& task, bool validation, int64_t count,
                                         uint64_t seed);

// Concatenated lines of `examples`, tokenized. Every line has the same token count when
// the tokenizer is "byte".
std::vector<uint16_t> task_lines(const Task& task, const std::vector<TaskExample>& examples,
                                 const Tokenizer& tokenizer);

// Inserts the task lines `lines` (each `line_tokens` long) into the text stream `text` at
// line starts (just after a `newline` token), spread evenly: line j goes to the line start
// nearest to position (j + 1/2) n / k of the text (n tokens, k lines). Lines that land on
// the same line start follow one another. InputError naming `field` when the text holds
// no newline. Returns the mixed stream.
std::vector<uint16_t> mix_task_lines(const std::vector<uint16_t>& text,
                                     const std::vector<uint16_t>& lines, size_t line_tokens,
                                     uint16_t newline, const std::string& field);

// Number of task lines of `line_tokens` tokens that make them `fraction` of a stream
// holding `text_tokens` text tokens: round(fraction / (1 - fraction) * text / line).
int64_t task_line_count(int64_t text_tokens, double fraction, size_t line_tokens);

}  // namespace scalelab::data
