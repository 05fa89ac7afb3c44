"""Text normalisation shared by the search index and the search box.

Both databases index the same normalised text with a plain word tokenizer (SQLite FTS5's
unicode61, PostgreSQL's 'simple' configuration), so search behaves the same on both:
- NFKC and case folding, so full-width letters, 'Ё'/'ё' case and ligatures match;
- Japanese, Chinese and Korean have no spaces between words, so runs of those scripts are
  indexed as overlapping bigrams plus the run's last character; a query becomes the phrase of its
  bigrams, which finds any substring of two or more characters, and a prefix for one character;
- everything that is not a letter or digit separates words, so e-mail addresses and order numbers
  become phrases of words, and no character typed by a user can become query syntax.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

_CJK_RANGES = (
    (0x3040, 0x30FF),  # Hiragana, Katakana
    (0x31F0, 0x31FF),  # Katakana phonetic extensions
    (0x3400, 0x4DBF),  # CJK extension A
    (0x4E00, 0x9FFF),  # CJK unified ideographs
    (0xAC00, 0xD7AF),  # Hangul syllables
    (0xF900, 0xFAFF),  # CJK compatibility ideographs
    (0x20000, 0x2FA1F),  # CJK extensions B-F and supplement
)

_WORD = re.compile(r"[^\W_]+")
MAX_QUERY_TERMS = 12


def _is_cjk(char: str) -> bool:
    code = ord(char)
    return any(lo <= code <= hi for lo, hi in _CJK_RANGES)


def _split_scripts(word: str) -> list[tuple[bool, str]]:
    """Split a word into runs of CJK and non-CJK characters."""
    runs: list[tuple[bool, str]] = []
    for char in word:
        cjk = _is_cjk(char)
        if runs and runs[-1][0] == cjk:
            runs[-1] = (cjk, runs[-1][1] + char)
        else:
            runs.append((cjk, char))
    return runs


def _bigrams(run: str) -> list[str]:
    if len(run) == 1:
        return [run]
    return [run[i : i + 2] for i in range(len(run) - 1)] + [run[-1]]


def _fold(text: str) -> str:
    return unicodedata.normalize("NFKC", text).casefold()


def index_tokens(text: str) -> list[str]:
    """The tokens stored in the index for a piece of text."""
    tokens: list[str] = []
    for word in _WORD.findall(_fold(text)):
        for cjk, run in _split_scripts(word):
            tokens.extend(_bigrams(run) if cjk else [run])
    return tokens


def index_text(*parts: str | None) -> str:
    """The normalised document stored in the search table."""
    return " ".join(" ".join(index_tokens(part)) for part in parts if part)


@dataclass(frozen=True)
class QueryTerm:
    """One typed word: a phrase of index tokens whose last token may match as a prefix."""

    tokens: tuple[str, ...]
    prefix: bool


def query_terms(text: str) -> list[QueryTerm]:
    """Turn what a person typed into terms that must all match (AND).

    Every word becomes a phrase; the last token of each word matches as a prefix so results
    appear while typing. CJK phrases use bigrams; their final token drops the trailing unigram
    that index_tokens adds, since the bigram already covers it.
    """
    terms: list[QueryTerm] = []
    for raw_word in _fold(text).split():
        tokens: list[str] = []
        for word in _WORD.findall(raw_word):
            for cjk, run in _split_scripts(word):
                if cjk and len(run) > 1:
                    tokens.extend(run[i : i + 2] for i in range(len(run) - 1))
                else:
                    tokens.append(run)
        if tokens:
            terms.append(QueryTerm(tuple(tokens), prefix=True))
    return terms[:MAX_QUERY_TERMS]
