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

_CJK = (
    "\u3040-\u30ff"  # Hiragana, Katakana
    "\u31f0-\u31ff"  # Katakana phonetic extensions
    "\u3400-\u4dbf"  # CJK extension A
    "\u4e00-\u9fff"  # CJK unified ideographs
    "\uac00-\ud7af"  # Hangul syllables
    "\uf900-\ufaff"  # CJK compatibility ideographs
    "\U00020000-\U0002fa1f"  # CJK extensions B-F and supplement
)
# One pass finds runs of CJK characters and words of other letters and digits; everything
# else (punctuation, '_', symbols, spaces) only separates.
_TOKEN = re.compile(f"([{_CJK}]+)|([^\\W_{_CJK}]+)")
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
    # The CJK blocks also hold punctuation (the katakana middle dot in ジョン・スミス) and
    # unassigned code points; blanking every non-letter first keeps tokens letters and digits.
    for cjk, word in _TOKEN.findall(_NOT_WORD.sub(" ", _fold(text))):
        if cjk:
            tokens.extend(_bigrams(cjk))
        else:
            tokens.append(word)
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

    Every whitespace-separated word becomes a phrase of exactly the tokens the index holds for
    it, so a word matches wherever the same characters were indexed; its last token matches as
    a prefix so results appear while typing.
    """
    terms = [QueryTerm(tuple(tokens), prefix=True) for tokens in map(index_tokens, text.split())]
    return [term for term in terms if term.tokens][:MAX_QUERY_TERMS]
