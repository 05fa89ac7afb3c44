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

Speed: a bulk load indexes millions of words drawn from a vocabulary of a few tens of thousands
(support mail repeats itself), so the work per word (script runs, bigrams, stems) is done once
per distinct word and remembered; only the folding and the split run over the whole text.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from itertools import chain

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
# Distinct chunks of text remembered between documents (see _remember); the demo data set has
# about 32,000.
CHUNK_MEMORY = 200_000


def _bigrams(run: str) -> list[str]:
    if len(run) == 1:
        return [run]
    return [run[i : i + 2] for i in range(len(run) - 1)] + [run[-1]]


def _fold(text: str) -> str:
    return unicodedata.normalize("NFKC", text).casefold()


def _word_tokens(word: str) -> tuple[str, ...]:
    """The tokens of one folded word (a run of letters and digits)."""
    if word.isascii() or not _HAS_CJK.search(word):
        return (word,)
    tokens: list[str] = []
    for cjk, other in _SCRIPT_RUNS.findall(word):
        if cjk:
            tokens.extend(_bigrams(cjk))
        else:
            tokens.append(other)
    return tuple(tokens)


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


# What a bulk load spends its time on is the same words again and again, so the tokens and
# stems of every whitespace-separated chunk of folded text (a word with its punctuation, or a
# whole Japanese sentence) are remembered. Whitespace never belongs to a word, so splitting on it
# first gives the same words as splitting the whole text on non-letters.
def _remember(chunk: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """A chunk's tokens, and the stems of those tokens that differ from every token of it."""
    # Splitting on non-letters first also drops the punctuation and unassigned code points that
    # the CJK blocks contain (the katakana middle dot in ジョン・スミス).
    tokens = tuple(token for word in _NOT_WORD.split(chunk) if word for token in _word_tokens(word))
    stems = tuple(s for s in map(stem, tokens) if s not in tokens)
    _CHUNK_TOKENS[chunk] = tokens
    _CHUNK_STEMS[chunk] = stems
    return tokens, stems


# Looked up with map() over __getitem__, so a whole document needs no Python-level loop; a
# chunk seen for the first time (or forgotten since, by another thread) is worked out then.
class _ChunkTokens(dict[str, tuple[str, ...]]):
    def __missing__(self, chunk: str) -> tuple[str, ...]:
        return _remember(chunk)[0]


class _ChunkStems(dict[str, tuple[str, ...]]):
    def __missing__(self, chunk: str) -> tuple[str, ...]:
        return _remember(chunk)[1]


_CHUNK_TOKENS = _ChunkTokens()
_CHUNK_STEMS = _ChunkStems()


def _folded_chunks(text: str) -> list[str]:
    if len(_CHUNK_TOKENS) >= CHUNK_MEMORY:
        # Start again rather than track recency: cheaper per chunk, and rare.
        _CHUNK_TOKENS.clear()
        _CHUNK_STEMS.clear()
    return _fold(text).split()


def _tokens_of(chunks: list[str]) -> list[str]:
    return list(chain.from_iterable(map(_CHUNK_TOKENS.__getitem__, chunks)))


def index_tokens(text: str) -> list[str]:
    """The tokens stored in the index for a piece of text."""
    return _tokens_of(_folded_chunks(text))


def index_text(*parts: str | None) -> str:
    """The normalised document stored in the search table: the tokens, then the stems.

    The stems are those of the distinct tokens, in the order the tokens first appear, without
    any stem that is itself a token of the text.
    """
    # One pass over all parts (a newline cannot join two words).
    chunks = _folded_chunks("\n".join(part for part in parts if part))
    tokens = _tokens_of(chunks)
    stems = dict.fromkeys(chain.from_iterable(map(_CHUNK_STEMS.__getitem__, chunks)))
    if not stems:
        return " ".join(tokens)
    distinct = set(tokens)
    return " ".join(tokens + [s for s in stems if s not in distinct])


def index_texts(documents: Iterable[Sequence[str | None]]) -> list[str]:
    """index_text of each document's parts: one call per batch for a worker process, which
    then needs to import nothing but this module."""
    return [index_text(*parts) for parts in documents]


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
