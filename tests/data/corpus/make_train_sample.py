#!/usr/bin/env python3
"""Writes train_sample.txt: about 150 KB of English-like prose for the trainer's tests.

The text is generated here from a small hand-written grammar and word list (no text is
copied from anywhere), so it is free of copyright and reproducible: the same seed gives
the same bytes. It has the statistics a byte-level model learns first (letter and word
frequencies, spelling, spacing, punctuation, capitals, sentence and paragraph shape),
which is what tests/train/test_trainer.cpp checks: validation bits per byte well below 8.

Regenerate (the committed file must then be committed again):
    python3 tests/data/corpus/make_train_sample.py > tests/data/corpus/train_sample.txt
"""
import random

SEED = 20241123
TARGET_BYTES = 150_000

NAMES = ["Anna", "Tom", "the miller", "the old farmer", "a young sailor", "the teacher",
         "my grandmother", "the doctor", "the children", "our neighbour", "the captain",
         "a stranger", "the baker", "her brother", "the mayor", "the two girls"]
NOUNS = ["house", "river", "garden", "road", "village", "window", "letter", "boat", "bridge",
         "field", "market", "mountain", "forest", "table", "door", "lamp", "horse", "dog",
         "bell", "church", "winter", "summer", "morning", "evening", "storm", "harbour",
         "book", "kitchen", "school", "train", "station", "orchard", "well", "hill"]
ADJECTIVES = ["old", "small", "quiet", "green", "cold", "bright", "long", "narrow", "heavy",
              "warm", "empty", "busy", "little", "dark", "wide", "gentle", "wet", "famous",
              "crooked", "distant", "friendly", "tired", "early", "late"]
VERBS_T = ["saw", "found", "carried", "painted", "opened", "closed", "watched", "visited",
           "crossed", "followed", "repaired", "sold", "bought", "cleaned", "remembered",
           "described", "passed", "reached", "built", "left"]
VERBS_I = ["waited", "slept", "laughed", "listened", "walked home", "sang", "worked hard",
           "stayed inside", "looked around", "sat down", "went out", "came back"]
ADVERBS = ["slowly", "quietly", "early", "again", "at last", "every day", "once more",
           "without a word", "in silence", "before noon", "after dinner", "together"]
PREPS = ["near", "behind", "beside", "across", "along", "under", "above", "beyond",
         "through", "towards", "around"]
CONNECTIVES = ["and then", "but", "because", "while", "so", "although", "when", "after"]
OPENERS = ["In the morning,", "Later that day,", "Long ago,", "That winter,", "On Sunday,",
           "Every spring,", "One evening,", "For many years,", "At the end of the week,",
           "Some time after,"]
SPEECH = ["\"We should go home,\" said {n}.", "\"Look at the {a} {o}!\" cried {n}.",
          "\"I never saw such a {a} {o},\" said {n}.", "\"Is it far?\" asked {n}.",
          "\"It will rain before night,\" said {n}."]


def np(rng):
    noun = rng.choice(NOUNS)
    if rng.random() < 0.5:
        return f"the {rng.choice(ADJECTIVES)} {noun}"
    return f"the {noun}"


def clause(rng):
    subject = rng.choice(NAMES)
    if rng.random() < 0.6:
        s = f"{subject} {rng.choice(VERBS_T)} {np(rng)}"
    else:
        s = f"{subject} {rng.choice(VERBS_I)}"
    if rng.random() < 0.5:
        s += f" {rng.choice(PREPS)} {np(rng)}"
    if rng.random() < 0.3:
        s += f" {rng.choice(ADVERBS)}"
    return s


def sentence(rng):
    r = rng.random()
    if r < 0.12:
        return rng.choice(SPEECH).format(n=rng.choice(NAMES), a=rng.choice(ADJECTIVES), o=rng.choice(NOUNS))
    s = clause(rng)
    if rng.random() < 0.4:
        s += f", {rng.choice(CONNECTIVES)} {clause(rng)}"
    if rng.random() < 0.25:
        s = f"{rng.choice(OPENERS)} {s}"
    s = s[0].upper() + s[1:]
    return s + ("?" if rng.random() < 0.03 else ".")


def main():
    rng = random.Random(SEED)
    out, size = [], 0
    while size < TARGET_BYTES:
        para = " ".join(sentence(rng) for _ in range(rng.randint(3, 7)))
        out.append(para)
        size += len(para) + 2
    print("\n\n".join(out))


if __name__ == "__main__":
    main()
