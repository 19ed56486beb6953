#!/usr/bin/env python3
"""Writes `benches/nlp/profane-obfuscation.tsv`: swear words spelt around filters, and clean
look-alikes spelt the same ways, in English and French carrier sentences.

Standard library only, fixed seed: the file is the same at every run. The swear words are
common entries of the embedded lists (`lexicons/en-profanity.txt`, `lexicons/fr-profanity.txt`);
the set measures how well the enrichment reads through the spellings, not the lists' coverage.

    python3 make_obfuscation.py > ../../../benches/nlp/profane-obfuscation-tuned.tsv
    python3 make_obfuscation.py heldout > ../../../benches/nlp/profane-obfuscation-heldout.tsv

The `tuned` set is the one the rules were adjusted on; the `heldout` set (other swear words,
other look-alikes, other sentences, another seed) was generated once the rules were frozen and
is reported apart.
"""

import sys

import random
import unicodedata

EN = ["fuck", "shit", "bitch", "asshole", "bastard", "cunt", "dick", "motherfucker", "whore",
      "slut", "dickhead", "wanker", "prick", "twat", "pussy", "fucker"]
FR = ["connard", "connasse", "salope", "putain", "merde", "enculé", "pute", "bâtard", "couille",
      "foutre", "bordel", "pétasse", "enfoiré", "abruti", "pouffiasse", "conne"]
# Clean words that hold, or look like, a swear word.
CLEAN_EN = ["Scunthorpe", "cocktail", "assassin", "Dickens", "Penistone", "Sussex", "classic",
            "passion", "assistant", "analyst", "therapist", "shiitake", "cumulative", "peacock",
            "Hancock", "cockpit", "button", "butter", "arsenal", "document", "scrap", "class",
            "grass", "glass", "titanic", "Shakespeare", "hello", "Essex", "pushover", "spicy",
            "Matsushita", "bass", "harass", "Cockburn", "skyscraper", "sextant", "Dick Van Dyke",
            "bitcoin", "shitsuke", "Whitby"]
CLEAN_FR = ["Bitche", "constitution", "conseil", "contrat", "concert", "conduite", "économie",
            "compter", "computer", "dépit", "racon", "falcon", "bacon", "Mâcon", "flacon",
            "balcon", "deconnexion", "connaissance", "connard-free", "conseiller", "cocon",
            "salopette", "putatif", "emmental", "bordelais", "merdier"]
# `connard-free` and `merdier` are traps of another kind: kept out below.
CLEAN_FR = [w for w in CLEAN_FR if w not in ("connard-free", "merdier")]

CARRIERS_EN = ["what a {w} day", "oh {w}, I missed the bus again", "{w}!!", "this is {w}",
               "I read about {w} yesterday", "so much {w} in the news", "look at this {w}"]
CARRIERS_FR = ["quel {w} ce match", "{w}, j'ai encore raté le bus", "{w} !!", "c'est {w}",
               "j'ai lu un article sur {w} hier", "trop de {w} aujourd'hui", "regarde ce {w}"]

HELDOUT_EN = ["bugger", "dildo", "cocksucker", "shithead", "bitches", "knob", "bellend", "tosser"]
HELDOUT_FR = ["enculer", "niquer", "grognasse", "couillon", "branleur", "trouduc", "emmerdeur",
              "salopard", "bouffon", "crétin", "raclure"]
HELDOUT_CLEAN_EN = ["Middlesex", "Cockermouth", "assume", "passage", "Titicaca", "Sextus",
                    "manuscript", "cumin", "scrapbook", "Hitchcock", "knowledge", "pushcart",
                    "Shitterton", "dickensian", "grassland", "bassoon", "massive", "specialist",
                    "buttress", "cockatoo"]
HELDOUT_CLEAN_FR = ["Conques", "conifère", "déconfiture", "concombre", "compétition", "bitumé",
                    "Montcuq", "consommer", "connexion", "contour", "puteaux", "cuillère",
                    "salon", "merlan", "bordure", "conquête", "Bitche-sur-Moselle", "connu"]
HELDOUT_CARRIERS_EN = ["honestly {w}", "{w} and then the train was late", "my friend said {w}",
                       "guess what: {w}", "{w} lol"]
HELDOUT_CARRIERS_FR = ["franchement {w}", "{w} et en plus le train était en retard",
                       "mon pote a dit {w}", "devine quoi : {w}", "{w} mdr"]

LEET = {"a": "4@", "e": "3", "i": "1!", "o": "0", "s": "5$", "t": "7", "b": "8", "g": "9"}
CYRILLIC = {"a": "а", "e": "е", "o": "о", "c": "с", "p": "р", "x": "х", "y": "у", "i": "і",
            "s": "ѕ", "k": "к"}
ACCENTS = {"a": "àâä", "e": "éèë", "i": "ïî", "o": "ôö", "u": "üû", "c": "ç", "n": "ñ"}


def plain(w):
    return "".join(c for c in unicodedata.normalize("NFD", w) if not unicodedata.combining(c))


def leet(w, r):
    out = "".join(r.choice(LEET[c]) if c in LEET and r.random() < 0.7 else c for c in plain(w))
    return out if out != plain(w) else None


def fullwidth(w, r):
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in plain(w))


def cyrillic(w, r):
    p = plain(w)
    idx = [i for i, c in enumerate(p) if c in CYRILLIC]
    if not idx:
        return None
    pick = set(r.sample(idx, max(1, len(idx) // 2)))
    return "".join(CYRILLIC[c] if i in pick else c for i, c in enumerate(p))


def accents(w, r):
    p = plain(w)
    out = "".join(r.choice(ACCENTS[c]) if c in ACCENTS and r.random() < 0.6 else c for c in p)
    return out if out != p else None


def separators(w, r):
    return r.choice([".", "-", "_", " ", "*"]).join(plain(w))


def repeated(w, r):
    p = plain(w)
    i = r.randrange(len(p))
    return p[:i] + p[i] * r.randint(3, 6) + p[i + 1:]


def bold(w, r):
    out = []
    for c in plain(w):
        if "a" <= c <= "z":
            out.append(chr(0x1D41A + ord(c) - ord("a")))
        elif "A" <= c <= "Z":
            out.append(chr(0x1D400 + ord(c) - ord("A")))
        else:
            out.append(c)
    return "".join(out)


def strike(w, r):
    return "".join(c + "\u0336" for c in plain(w))


def mixed_case(w, r):
    return "".join(c.upper() if i % 2 else c.lower() for i, c in enumerate(plain(w)))


def masked(w, r):
    p = plain(w)
    if len(p) < 4:
        return None
    i = r.randrange(1, len(p) - 1)
    return p[:i] + "*" + p[i + 1:]


TRANSFORMS = [leet, fullwidth, cyrillic, accents, separators, repeated, bold, strike, mixed_case, masked]


def glued(w, lang, r):
    if lang == "en":
        return r.choice(["stupid", "dumb", "fat", "ugly"]) + plain(w)
    return r.choice(["gros", "sale", "pauvre", "petit"]) + plain(w)


def respelt(w, r):
    p = plain(w)
    if "u" in p:
        return p.replace("u", "v", 1)
    if len(p) >= 8:
        i = r.randrange(1, len(p) - 1)
        return p[:i] + p[i + 1:]
    return None


def main():
    heldout = sys.argv[1:] == ["heldout"]
    r = random.Random(23 if heldout else 17)
    rows = []
    if heldout:
        sets = (("en", HELDOUT_EN, HELDOUT_CARRIERS_EN), ("fr", HELDOUT_FR, HELDOUT_CARRIERS_FR))
        clean = (("en", HELDOUT_CLEAN_EN, HELDOUT_CARRIERS_EN), ("fr", HELDOUT_CLEAN_FR, HELDOUT_CARRIERS_FR))
    else:
        sets = (("en", EN, CARRIERS_EN), ("fr", FR, CARRIERS_FR))
        clean = (("en", CLEAN_EN, CARRIERS_EN), ("fr", CLEAN_FR, CARRIERS_FR))
    for lang, words, carriers in sets:
        for w in words:
            # Two draws of each transform (the random ones differ) in different sentences.
            for t in TRANSFORMS + TRANSFORMS:
                s = t(w, r)
                if s:
                    rows.append(("profane", r.choice(carriers).format(w=s)))
            for s in (glued(w, lang, r), respelt(w, r)):
                if s:
                    rows.append(("profane", r.choice(carriers).format(w=s)))
            # Two transforms at once: leet then separators, repeated then full-width.
            s = leet(w, r)
            if s:
                rows.append(("profane", r.choice(carriers).format(w=".".join(s))))
            rows.append(("profane", r.choice(carriers).format(w=fullwidth(repeated(w, r), r))))
    for lang, words, carriers in clean:
        for w in words:
            rows.append(("clean", r.choice(carriers).format(w=w)))
            for t in TRANSFORMS + (TRANSFORMS if heldout else []):
                s = t(w, r) if " " not in w else None
                if s:
                    rows.append(("clean", r.choice(carriers).format(w=s)))
    seen = set()
    rows = [x for x in rows if not (x in seen or seen.add(x))]
    print("# Generated by crates/nlp/train/make_obfuscation.py (fixed seed); label<TAB>text.")
    for label, text in rows:
        print(f"{label}\t{text}")


if __name__ == "__main__":
    main()
