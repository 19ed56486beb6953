#!/usr/bin/env python3
"""Trains the French sentiment model embedded in tutti-nlp (`lexicons/fr-sentiment-model.tsv`).

Standard library only. A logistic regression over the folded words and word pairs of a text,
plus one feature: the score of the valence lexicon (what `tutti nlp` said before the model),
so that the model corrects the lexicon rather than replaces it, and a post without any known
word keeps the lexicon's verdict.

Input: a TSV of `label<TAB>lexicon_score<TAB>text` (label `pos` or `neg`), made from the training
split only (see the crate README for the commands). Output (stdout): `feature<TAB>weight` lines,
the first one `__lexicon__<TAB>alpha`.

    python3 sentiment_fr.py train.tsv > ../lexicons/fr-sentiment-model.tsv

The tokenizer mirrors `src/text.rs` (fold: lower case, accents removed, `œ` → `oe`; words are
runs of letters and digits; French elision split off as `l'`, `n'`, `qu'`…).
"""

import math
import random
import sys
import unicodedata

ELISIONS = {"c", "d", "j", "l", "m", "n", "s", "t", "qu", "jusqu", "lorsqu", "puisqu", "quoiqu"}
APOSTROPHES = "'\u2019\u02bc"
NEUTRAL_BAND = 0.1


def fold_char(c):
    if c.isascii():
        return c.lower()
    if c in "\u2019\u02bc\u2018":
        return "'"
    if c in "œŒ":
        return "oe"
    if c in "æÆ":
        return "ae"
    if c == "ß":
        return "ss"
    d = unicodedata.normalize("NFD", c)
    return "".join(x.lower() for x in d if not unicodedata.combining(x))


def words(text):
    out = []
    for piece in text.split():
        word = ""
        chars = list(piece)
        for i, c in enumerate(chars):
            if c.isalnum():
                word += fold_char(c)
                continue
            if c in APOSTROPHES and word:
                nxt = chars[i + 1] if i + 1 < len(chars) else ""
                if nxt.isalpha() and word in ELISIONS:
                    out.append(word)
                    word = ""
                elif nxt.isalpha():
                    word += "'"
                continue
            if word:
                out.append(word)
                word = ""
        if word:
            out.append(word)
    return out


def features(text):
    ws = words(text)
    feats = set(ws)
    feats.update(a + " " + b for a, b in zip(ws, ws[1:]))
    return feats


def train(rows, l2, epochs=25, seed=1):
    """rows: (y in {0,1}, lexicon score, feature set). Returns (alpha, weights)."""
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
            p = 1 / (1 + math.exp(-max(-30.0, min(30.0, z))))
            g = p - y
            alpha -= rate * g * lex
            for f in feats:
                v = w.get(f, 0.0)
                w[f] = v - rate * (g + l2 * v)
    return alpha, w


def accuracy(rows, alpha, w):
    right = 0
    for y, lex, feats in rows:
        z = alpha * lex + sum(w.get(f, 0.0) for f in feats)
        right += (z > 0) == (y == 1)
    return right / max(1, len(rows))


def main():
    rows = []
    df = {}
    for line in open(sys.argv[1], encoding="utf-8"):
        label, lex, text = line.rstrip("\n").split("\t", 2)
        feats = features(text)
        for f in feats:
            df[f] = df.get(f, 0) + 1
        lex = float(lex)
        # A lexicon score inside the neutral band enters as neutral (as in `src/model.rs`).
        rows.append((1 if label == "pos" else 0, lex if abs(lex) >= NEUTRAL_BAND else 0.0, feats))
    # Features seen in at least two training texts only: the rest is noise and size.
    rows = [(y, lex, {f for f in feats if df[f] >= 2}) for y, lex, feats in rows]
    # Regularisation chosen by 5-fold cross-validation on the training split.
    best = None
    for l2 in (0.01, 0.03, 0.1, 0.3):
        accs = []
        for k in range(5):
            tr = [r for i, r in enumerate(rows) if i % 5 != k]
            te = [r for i, r in enumerate(rows) if i % 5 == k]
            a, w = train(tr, l2)
            accs.append(accuracy(te, a, w))
        mean = sum(accs) / len(accs)
        print(f"l2={l2} cv accuracy={mean:.3f}", file=sys.stderr)
        if best is None or mean > best[0]:
            best = (mean, l2)
    alpha, w = train(rows, best[1])
    print(f"chosen l2={best[1]} alpha={alpha:.3f} train accuracy={accuracy(rows, alpha, w):.3f}", file=sys.stderr)
    print(f"__lexicon__\t{alpha:.4f}")
    kept = sorted(((f, v) for f, v in w.items() if abs(v) >= 0.05), key=lambda x: (-abs(x[1]), x[0]))
    for f, v in kept:
        print(f"{f}\t{v:.3f}")
    print(f"kept {len(kept)} of {len(w)} features", file=sys.stderr)


if __name__ == "__main__":
    main()
