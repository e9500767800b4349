"""Driver-name matching: one key per name (case, accents, punctuation, suffixes ignored) and the
tolerant matcher every reader that names drivers goes through (``match_names``)."""

from __future__ import annotations

import difflib
import re
import unicodedata
from collections.abc import Container, Sequence
from dataclasses import dataclass


_NAME_SUFFIXES = frozenset({"jr", "sr", "ii", "iii", "iv"})
_LETTER_FOLD = str.maketrans({"ø": "o", "Ø": "O", "æ": "ae", "Æ": "AE", "ł": "l", "Ł": "L",
                              "đ": "d", "Đ": "D", "ß": "ss", "œ": "oe", "Œ": "OE"})


@dataclass(frozen=True)
class NameMatch:
    """How one name matched a candidate list: ``index`` is set when exactly one matched."""

    query: str
    index: int | None
    ambiguous: bool = False
    candidates: tuple[str, ...] = ()  # the tied names (ambiguous) or the closest (unmatched)


def _fold(s: str) -> str:
    """Strip accents: 'Suárez' -> 'Suarez'."""
    s = unicodedata.normalize("NFKD", s.translate(_LETTER_FOLD))
    return "".join(ch for ch in s if not unicodedata.combining(ch))


def _name_tokens(name: str) -> list[str]:
    s = _fold(name).lower()
    if "," in s:  # "Larson, Kyle" -> "kyle larson"; "Stenhouse Jr., Ricky" likewise
        parts = [p.strip() for p in s.split(",") if p.strip()]
        suffixes = [p for p in parts if re.sub(r"[^a-z]", "", p) in _NAME_SUFFIXES]
        rest = [p for p in parts if p not in suffixes]
        if len(rest) == 2:
            rest = [rest[1], rest[0]]
        s = " ".join(rest + suffixes)
    s = re.sub(r"[.'\u2019`]", "", s)  # A.J. -> aj, O'Neil -> oneil
    s = re.sub(r"[^a-z0-9]+", " ", s)  # hyphens and other marks -> space
    tokens: list[str] = []
    in_initials = False
    for t in s.split():  # a run of single letters is one token: "a j smith" -> "aj smith"
        if len(t) == 1 and in_initials:
            tokens[-1] += t
        else:
            tokens.append(t)
            in_initials = len(t) == 1
    return tokens


def normalize_name(name: str, *, drop_suffix: bool = True) -> str:
    """Matching key for a driver name, ignoring case, accents, punctuation ('A.J.' = 'AJ'),
    spacing and, with ``drop_suffix``, generational suffixes (Jr., Sr., II, III, IV)."""
    toks = _name_tokens(name)
    if drop_suffix:
        core = [t for t in toks if t not in _NAME_SUFFIXES]
        if len(core) >= 2:
            toks = core
    return " ".join(toks)


def match_names(queries: Sequence[str], candidates: Sequence[str]) -> list[NameMatch]:
    """Match each query to one candidate name, tolerantly but never by guesswork.

    A query matches the one candidate with the same key (``normalize_name``) keeping
    suffixes; failing that, the one with the same key ignoring suffixes. Two or more equal
    keys make it ambiguous (all listed); none leaves it unmatched with the closest
    candidates by ``difflib`` similarity.
    """
    strict: dict[str, list[int]] = {}
    loose: dict[str, list[int]] = {}
    for i, c in enumerate(candidates):
        strict.setdefault(normalize_name(c, drop_suffix=False), []).append(i)
        loose.setdefault(normalize_name(c), []).append(i)
    loose_keys = list(loose)
    out: list[NameMatch] = []
    for q in queries:
        hits = strict.get(normalize_name(q, drop_suffix=False)) or loose.get(normalize_name(q), [])
        if len(hits) == 1:
            out.append(NameMatch(q, hits[0]))
        elif hits:
            out.append(NameMatch(q, None, True, tuple(candidates[i] for i in hits)))
        else:
            close = difflib.get_close_matches(normalize_name(q), loose_keys, n=3, cutoff=0.5)
            names = tuple(candidates[i] for k in close for i in loose[k])
            out.append(NameMatch(q, None, False, names[:3]))
    return out


def _closest_text(names: Sequence[str]) -> str:
    return ("closest: " + ", ".join(f"'{n}'" for n in names)) if names else "no similar name"


def ref_site_id(ref: str, ids: Container[str]) -> str | None:
    """The site ID a driver reference names, when it names one of ``ids``: the ID itself,
    DraftKings' ``Name (ID)`` or FanDuel's ``ID:Name``; None otherwise (then match the name).

    One reading for every input that names drivers (a spec's locks, an ownership or field row,
    a driver the slate left out), so they all accept the same forms.
    """
    ref = str(ref).strip()
    if ref in ids:
        return ref
    m = re.fullmatch(r".*\((\S+)\)\s*", ref)  # DK "Name (ID)"
    if m and m.group(1) in ids:
        return m.group(1)
    if ":" in ref:  # FD "ID:Name"
        head = ref.split(":", 1)[0].strip()
        if head in ids:
            return head
    return None
