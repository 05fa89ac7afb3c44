"""Fuzzy search over templates, fast enough to run on every keystroke of the picker.

Each template's title, shortcut, tags and body are folded (NFKC, case-folded) once when the
index is built; a keystroke is then only substring tests on those strings. Typing more letters
narrows the previous result instead of searching everything again.

Ranking, best first: matches in the title, shortcut or tags before matches only in the body or
only as scattered letters; then the customer's language; then how well each word matched
(exact shortcut, shortcut prefix, word start, anywhere); then favourites, then the most used.
"""

from __future__ import annotations

import heapq
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

# How well one query word matched one template; lower is better.
SHORTCUT_EXACT, SHORTCUT_PREFIX, WORD_START, TITLE_ANYWHERE, TAG = 0, 1, 2, 3, 3
BODY, SCATTERED = 6, 7
WEAK = BODY  # tiers from here on are "weak" matches
MEMO_SIZE = 256


def fold(text: str) -> str:
    return unicodedata.normalize("NFKC", text).casefold()


@dataclass(frozen=True, slots=True)
class Candidate:
    id: int
    title: str
    shortcut: str = ""
    tags: str = ""
    body: str = ""
    language: str = "en"
    favourite: bool = False
    uses: int = 0


class FuzzyIndex:
    """Built once per template list; `search` answers each keystroke.

    The folded texts are kept column by column, and each query word is tested against a whole
    column in one comprehension: per template that is a C-level substring test, which is what
    keeps 5,000 templates inside one frame."""

    def __init__(self, candidates: Iterable[Candidate]) -> None:
        self._candidates = list(candidates)
        c = self._candidates
        self._titles = [" " + fold(x.title) for x in c]
        self._shortcuts = [fold(x.shortcut).lstrip("/") for x in c]
        self._bodies = [fold(x.body) for x in c]
        self._strong = [
            f"{fold(x.title)}\n{fold(x.shortcut)}\n{' '.join(fold(x.tags).split())}" for x in c
        ]
        self._languages = [x.language for x in c]
        # Favourites, then the most used, then by title: fixed for the index's life.
        order = sorted(
            range(len(c)), key=lambda i: (not c[i].favourite, -c[i].uses, self._titles[i], c[i].id)
        )
        self._rank = [0] * len(c)
        for position, i in enumerate(order):
            self._rank[i] = position
        self._by_rank = order
        self._loose = [f"{self._titles[i]} {self._shortcuts[i]}" for i in range(len(c))]
        # Joined columns answer "does this word occur anywhere?" in one C-level scan.
        self._all_bodies = "\n".join(self._bodies)
        self._all_loose = "\n".join(self._loose)
        self._last_query: tuple[str, ...] | None = None
        self._last_hits: list[int] = []
        self._memo: dict[tuple[tuple[str, ...], str | None, int], tuple[list[int], list[Candidate]]]
        self._memo = {}

    def __len__(self) -> int:
        return len(self._candidates)

    def search(self, query: str, language: str | None = None, limit: int = 50) -> list[Candidate]:
        words = tuple(fold(query).replace("/", " ").split())
        pool: Iterable[int] = range(len(self._candidates))
        memo_key = (words, language, limit)
        remembered = self._memo.get(memo_key)
        if remembered is not None:
            # A search starts with the same first letter again and again: that first, widest
            # pass over every template is remembered.
            self._last_query, self._last_hits = words, remembered[0]
            return remembered[1]
        # Narrowing: every word of the previous query is a prefix of the same word now (and no
        # word was removed), so nothing that failed before can match now.
        previous = self._last_query
        if (
            previous is not None
            and words
            and len(words) >= len(previous)
            and all(now.startswith(before) for before, now in zip(previous, words, strict=False))
        ):
            pool = self._last_hits
        totals = dict.fromkeys(pool, 0)
        for word in words:
            totals = self._match_word(word, totals)
        # One integer per hit orders it: weak match, other language, match tiers, fixed rank.
        # The rank is unique, so it also leads back to the template.
        other = self._languages
        rank = self._rank
        keys = [
            (total >= WEAK_FLAG) << 60
            | (language is not None and other[i] != language) << 59
            | (total % WEAK_FLAG) << 32
            | rank[i]
            for i, total in totals.items()
        ]
        # Only the first `limit` are shown, so only they are put in order; narrowing the
        # next keystroke needs the hits, not their order.
        best = heapq.nsmallest(limit, keys) if len(keys) > 4 * limit else sorted(keys)[:limit]
        by_rank = self._by_rank
        self._last_query = words
        self._last_hits = list(totals)
        found = [self._candidates[by_rank[key & _RANK_MASK]] for key in best]
        if len(words) == 1 and len(words[0]) <= 2:
            if len(self._memo) >= MEMO_SIZE:
                self._memo.clear()
            self._memo[memo_key] = (self._last_hits, found)
        return found

    def _match_word(self, word: str, pool: dict[int, int]) -> dict[int, int]:
        """Each template's tiers so far plus this word's; templates it misses drop out. A weak
        match adds WEAK_FLAG, so a total at or above it marks a weak match somewhere."""
        strong, titles, shortcuts, bodies = (
            self._strong,
            self._titles,
            self._shortcuts,
            self._bodies,
        )
        start = " " + word
        in_body = word in self._all_bodies
        scattered = _scattered(word)
        # Scattered letters are tried per template (last, for what nothing else matched) only
        # if they occur anywhere at all.
        loose = self._loose if scattered.search(self._all_loose) else None
        search = scattered.search
        weak_body, weak_loose = WEAK_FLAG + BODY, WEAK_FLAG + SCATTERED
        tiers = {
            i: total
            + (
                (
                    SHORTCUT_EXACT
                    if shortcuts[i] == word
                    else SHORTCUT_PREFIX
                    if shortcuts[i].startswith(word)
                    else WORD_START
                    if start in titles[i]
                    else TITLE_ANYWHERE
                    if word in titles[i]
                    else TAG
                )
                if word in strong[i]
                else weak_body
                if in_body and word in bodies[i]
                else weak_loose
                if loose is not None and search(loose[i])
                else _MISS
            )
            for i, total in pool.items()
        }
        return {i: total for i, total in tiers.items() if total < _MISS}


# A weak match (body, scattered letters) adds this to the total; a miss adds more than any
# total can reach, so misses are dropped after one pass.
WEAK_FLAG = 1 << 16
_MISS = 1 << 24
_RANK_MASK = (1 << 32) - 1


def _scattered(word: str) -> re.Pattern[str]:
    # Letters in order with anything but a line break between them: "pwrst" finds
    # "password reset", and never spans two templates in the joined text.
    return re.compile("[^\n]*?".join(map(re.escape, word)))
