"""Text normalisation shared by the search index and the search box.

Both databases index the same normalised text with a plain word tokenizer (SQLite FTS5's
unicode61, PostgreSQL's 'simple' configuration), so search behaves the same on both:
- NFKC and case folding, so full-width letters, 'Ё'/'ё' case and ligatures match;
- Japanese, Chinese and Korean have no spaces between words, so runs of those scripts are
  indexed as overlapping bigrams plus the run's last character; a query becomes the phrase of its
  bigrams, which finds any substring of two or more characters, and a prefix for one character;
- everything that is not a letter or digit separates words, so e-mail addresses and order numbers
  become phrases of words, and no character typed by a user can become query syntax;
- Russian and English words are also indexed by their Snowball stem, appended after the text so
  phrases keep their word order, and a typed word matches its own letters or its stem: "доставка"
  finds "доставки", "refunds" finds "refunded".
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

import Stemmer

_CJK = (
    "\u3040-\u30ff"  # Hiragana, Katakana
    "\u31f0-\u31ff"  # Katakana phonetic extensions
    "\u3400-\u4dbf"  # CJK extension A
    "\u4e00-\u9fff"  # CJK unified ideographs
    "\uac00-\ud7af"  # Hangul syllables
    "\uf900-\ufaff"  # CJK compatibility ideographs
    "\U00020000-\U0002fa1f"  # CJK extensions B-F and supplement
)
_HAS_CJK = re.compile(f"[{_CJK}]")
_SCRIPT_RUNS = re.compile(f"([{_CJK}]+)|([^{_CJK}]+)")
_NOT_WORD = re.compile(r"[\W_]+")
MAX_QUERY_TERMS = 12


def _bigrams(run: str) -> list[str]:
    if len(run) == 1:
        return [run]
    return [run[i : i + 2] for i in range(len(run) - 1)] + [run[-1]]


def _fold(text: str) -> str:
    return unicodedata.normalize("NFKC", text).casefold()


def index_tokens(text: str) -> list[str]:
    """The tokens stored in the index for a piece of text."""
    tokens: list[str] = []
    # Splitting on non-letters first also drops the punctuation and unassigned code points that
    # the CJK blocks contain (the katakana middle dot in ジョン・スミス).
    for word in _NOT_WORD.split(_fold(text)):
        if not word:
            continue
        if word.isascii() or not _HAS_CJK.search(word):
            tokens.append(word)
            continue
        for cjk, other in _SCRIPT_RUNS.findall(word):
            if cjk:
                tokens.extend(_bigrams(cjk))
            else:
                tokens.append(other)
    return tokens


_RUSSIAN = Stemmer.Stemmer("russian")
_ENGLISH = Stemmer.Stemmer("english")
_CYRILLIC = re.compile("[\u0400-\u04ff]")
_LATIN = re.compile("[a-z]")


@lru_cache(maxsize=200_000)
def stem(token: str) -> str:
    """The Snowball stem of a Russian or English word; other tokens are their own stem."""
    if _CYRILLIC.search(token):
        return str(_RUSSIAN.stemWord(token))
    if _LATIN.search(token) and not any(ch.isdigit() for ch in token):
        return str(_ENGLISH.stemWord(token))
    return token


def index_text(*parts: str | None) -> str:
    """The normalised document stored in the search table: the tokens, then the stems."""
    # One pass over all parts (a newline cannot join two words); stems once per distinct word.
    tokens = index_tokens("\n".join(part for part in parts if part))
    distinct = dict.fromkeys(tokens)
    extra = [s for s in dict.fromkeys(map(stem, distinct)) if s not in distinct]
    return " ".join(tokens + extra)


@dataclass(frozen=True)
class QueryTerm:
    """One typed word: a phrase of index tokens whose last token may match as a prefix, or,
    for a single word with a different stem, that stem."""

    tokens: tuple[str, ...]
    prefix: bool
    stem: str | None = None


def query_terms(text: str) -> list[QueryTerm]:
    """Turn what a person typed into terms that must all match (AND).

    Every whitespace-separated word becomes a phrase of exactly the tokens the index holds for
    it, so a word matches wherever the same characters were indexed; its last token matches as
    a prefix so results appear while typing.
    """
    terms = []
    for tokens in map(index_tokens, text.split()):
        if not tokens:
            continue
        word_stem = stem(tokens[0]) if len(tokens) == 1 else None
        terms.append(
            QueryTerm(
                tuple(tokens), prefix=True, stem=word_stem if word_stem != tokens[0] else None
            )
        )
    return terms[:MAX_QUERY_TERMS]
