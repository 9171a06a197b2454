"""Which CSP area a typed name means: exact, initials, word starts, part of a name, then the closest spelling."""
from __future__ import annotations

import difflib
import re

_IGNORED_WORDS = {"and"}
# A misspelling close enough to be taken for the name (`leicster` 0.94, `hinkley` 0.93), and how near the
# runner-up must be for both to be offered instead.
CLOSE_SPELLING = 0.8
AS_CLOSE = 0.05


def _words(text: str) -> list[str]:
    """Lower-case words with punctuation and 'and'/'&' dropped: 'Oadby & Wigston' -> ['oadby', 'wigston']."""
    return [w for w in re.split(r"[^0-9a-z]+", text.lower().replace("&", " and ")) if w and w not in _IGNORED_WORDS]


def _spelling_score(words: list[str], area_words: list[str]) -> float:
    """How close `words` are to an area's name: as a whole, or word by word (each typed word to its nearest)."""
    whole = difflib.SequenceMatcher(None, "".join(words), "".join(area_words)).ratio()
    by_word = sum(max(difflib.SequenceMatcher(None, typed, word).ratio() for word in area_words)
                  for typed in words) / len(words)
    return max(whole, by_word)


def _closest_spellings(words: list[str], named: dict[str, list[str]]) -> list[str]:
    scored = {area: _spelling_score(words, area_words) for area, area_words in named.items() if area_words}
    best = max(scored.values(), default=0.0)
    if best < CLOSE_SPELLING:
        return []
    return sorted((area for area, score in scored.items() if score >= best - AS_CLOSE), key=lambda a: -scored[a])


def match_area(text: str, areas: list[str]) -> list[str]:
    """The areas `text` names: exact, then initials, then word starts, then part of a name, then the closest
    spellings; one means a match, several are the choices."""
    words = _words(text)
    key = "".join(words)
    if not key:
        return []
    named = {area: _words(area) for area in areas}
    tiers = [
        lambda w: "".join(w) == key,
        lambda w: len(key) >= 2 and len(w) >= 2 and "".join(x[0] for x in w) == key,
        lambda w: all(any(x.startswith(t) for x in w) for t in words),
        lambda w: key in "".join(w),
        lambda w: len("".join(w)) >= 4 and "".join(w) in key,
    ]
    for tier in tiers:
        found = [area for area, area_words in named.items() if tier(area_words)]
        if found:
            return found
    return _closest_spellings(words, named)
