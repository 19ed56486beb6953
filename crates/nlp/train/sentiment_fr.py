#!/usr/bin/env python3
"""Trains the French sentiment model embedded in tutti-nlp (`lexicons/fr-sentiment-model.tsv`).

Standard library only, deterministic (fixed seed, features in sorted order). A logistic
regression over the words, word pairs and word stems (`>` and the first five letters of a word
longer than five) of a text, plus one feature: the score of the valence lexicon (what `tutti nlp`
said before the model), so that the model corrects the lexicon rather than replaces it, and a
post without any known word keeps the lexicon's verdict.

Chosen by 5-fold cross-validation on the training split, never on the held-out one:

- the regularisation (accuracy of the sign of the score);
- the neutral band on z (the log-odds): the widest band of a fixed grid inside which the
  out-of-fold answers are right at most half of the time (no better than a coin), or the
  narrowest of the grid when there is none, so that a text where the model has a signal is not
  neutral. Where the lexicon is silent (a factual post, `le train arrive à huit heures`, where
  only words learnt from book reviews speak) the band is wider and fixed (`QUIET_BAND`). The
  library maps that band onto its `NEUTRAL_BAND` (`Model::squash` in
  `src/model.rs`).

Input: a TSV of `label<TAB>lexicon_score<TAB>words` (label `pos` or `neg`), written by the
library itself from the training split (`training_input` in `src/training.rs`), so that the words
are exactly the ones the library reads. Output (stdout): `feature<TAB>weight` lines, the first
one `__lexicon__<TAB>alpha`, then `__band__<TAB>band` and `__quiet_band__<TAB>band` (when
the lexicon is silent); the cross-validation figures on standard error.

    python3 sentiment_fr.py input.tsv > ../lexicons/fr-sentiment-model.tsv
"""

import math
import random
import sys

# The library's neutral band on the lexicon score and on the final score (`NEUTRAL_BAND`).
NEUTRAL_BAND = 0.1
L2_GRID = (0.01, 0.03, 0.1)
# Candidate neutral bands on z (the model's log-odds); 0.1 is a probability within 2.5 points of
# even.
BAND_GRID = (0.1, 0.15, 0.2, 0.3, 0.4)
# The band when the lexicon is silent (its score inside its neutral band, so the model has only
# the words it learnt from book reviews): fixed, not chosen (a handful of training reviews are
# lexicon-silent and near zero, too few to choose from); the library's band before, `tanh(z / 2)`
# inside 0.1.
QUIET_BAND = 0.2
FOLDS = 5
STEM = 5
# Weights smaller than this are dropped: size, not accuracy.
KEEP = 0.05


def features(words):
    feats = set(words)
    feats.update(a + " " + b for a, b in zip(words, words[1:]))
    feats.update(">" + w[:STEM] for w in words if len(w) > STEM)
    return feats


def fit(rows, l2, epochs=25, seed=1):
    """rows: (y in {0,1}, lexicon score, sorted features). Returns (alpha, weights) such that
    z = alpha * lexicon + sum of the weights of the features."""
    rnd = random.Random(seed)
    w = {}
    alpha = 0.0
    order = list(range(len(rows)))
    for epoch in range(epochs):
        rnd.shuffle(order)
        rate = 0.1 / (1 + epoch * 0.2)
        for i in order:
            y, lex, feats = rows[i]
            z = alpha * lex + sum(w.get(f, 0.0) for f in feats)
            g = 1 / (1 + math.exp(-max(-30.0, min(30.0, z)))) - y
            alpha -= rate * g * lex
            for f in feats:
                v = w.get(f, 0.0)
                w[f] = v - rate * (g + l2 * v)
    return alpha, w


def z_of(row, alpha, w):
    _, lex, feats = row
    return alpha * lex + sum(w.get(f, 0.0) for f in feats)


def out_of_fold(rows, l2):
    """(z, y, lexicon) of every row, each scored by the model trained on the other folds."""
    out = []
    for k in range(FOLDS):
        train = [r for i, r in enumerate(rows) if i % FOLDS != k]
        alpha, w = fit(train, l2)
        out.extend((z_of(r, alpha, w), r[0], r[1]) for i, r in enumerate(rows) if i % FOLDS == k)
    return out


def choose_band(oof, grid):
    """The widest band of `grid` inside which the out-of-fold answers are right at most half of
    the time, or the narrowest of `grid`."""
    band = grid[0]
    for b in grid:
        inside = [(z, y) for z, y in oof if abs(z) < b]
        hits = sum(right(z, y) for z, y in inside)
        print(f"  band |z|<{b}: {len(inside)} texts, {hits} right", file=sys.stderr)
        if inside and hits <= len(inside) / 2:
            band = b
    return band


def right(z, y):
    return (z > 0) == (y == 1)


def main():
    rows = []
    df = {}
    for line in open(sys.argv[1], encoding="utf-8"):
        label, lex, text = line.rstrip("\n").split("\t", 2)
        feats = features(text.split())
        for f in feats:
            df[f] = df.get(f, 0) + 1
        lex = float(lex)
        # A lexicon score inside the neutral band enters as neutral (as in `src/model.rs`).
        rows.append((1 if label == "pos" else 0, lex if abs(lex) >= NEUTRAL_BAND else 0.0, feats))
    # Features seen in at least two training texts only: the rest is noise and size.
    rows = [(y, lex, sorted(f for f in feats if df[f] >= 2)) for y, lex, feats in rows]
    best = None
    for l2 in L2_GRID:
        oof = out_of_fold(rows, l2)
        acc = sum(right(z, y) for z, y, _ in oof) / len(oof)
        print(f"l2={l2} cv accuracy (sign)={acc:.3f}", file=sys.stderr)
        if best is None or acc > best[0]:
            best = (acc, l2, oof)
    _, l2, oof = best
    band = choose_band([(z, y) for z, y, lex in oof if lex != 0.0], BAND_GRID)
    quiet = QUIET_BAND
    kept = sum(abs(z) >= (band if lex != 0.0 else quiet) and right(z, y) for z, y, lex in oof) / len(oof)
    print(f"chosen l2={l2} band |z|<{band} (lexicon silent: {quiet}): "
          f"cv accuracy, neutral counted wrong={kept:.3f}", file=sys.stderr)
    alpha, w = fit(rows, l2)
    train_acc = sum(right(z_of(r, alpha, w), r[0]) for r in rows) / len(rows)
    print(f"alpha={alpha:.3f} train accuracy={train_acc:.3f}", file=sys.stderr)
    print(f"__lexicon__\t{alpha:.4f}")
    print(f"__band__\t{band}")
    print(f"__quiet_band__\t{quiet}")
    out = sorted(((f, v) for f, v in w.items() if abs(v) >= KEEP), key=lambda x: (-abs(x[1]), x[0]))
    for f, v in out:
        print(f"{f}\t{v:.3f}")
    print(f"kept {len(out)} of {len(w)} features", file=sys.stderr)


if __name__ == "__main__":
    main()
