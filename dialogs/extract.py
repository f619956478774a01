"""Reading a free-text fault report: which services, how badly, how widely, since when, and whether it recurs.

Pure, deterministic and fast (regular expressions over lookup tables, no model). Every fact found carries the
words it came from, so the reporter can be shown what was understood and correct it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

from dialogs import extract_scope as scope
from dialogs import vocabulary as v
from dialogs.timeparse import TimeInFuture, TimeNotUnderstood, parse_started_at
from sla.services import SERVICES

Vocabulary = Mapping[str, Sequence[str]]
"""A customer's own phrases per service id (``[customers.vocabulary]``), read before the defaults."""


@dataclass(frozen=True)
class Extraction:
    """Answers found in the text (keys as in the intake's answers) and the words each came from."""

    found: dict[str, Any] = field(default_factory=dict)
    sources: dict[str, str] = field(default_factory=dict)

    def add(self, key: str, value: Any, source: str) -> None:
        if key not in self.found:
            self.found[key] = value
            self.sources[key] = source.strip()




@dataclass(frozen=True)
class Phrases:
    """Phrase patterns, each naming its service alternatives (searched one by one: the engine's literal-prefix
    scan makes that several times faster than one alternation of them all)."""

    patterns: tuple[tuple[re.Pattern[str], v.Alternatives], ...]

    @classmethod
    def of(cls, phrases: Sequence[tuple[str, v.Alternatives]]) -> Phrases:
        return cls(tuple((re.compile(pattern), alternatives) for pattern, alternatives in phrases))

    def found(self, text: str) -> list[tuple[v.Alternatives, str]]:
        """(alternatives, words) for each phrase present, in the table's order."""
        return [(alternatives, m[0]) for pattern, alternatives in self.patterns if (m := pattern.search(text))]


SERVICE_PATTERNS = Phrases.of(v.SERVICE_PHRASES)
WEAK_PATTERNS = Phrases.of(v.WEAK_PHRASES)
IMPACT_PATTERNS = {name: re.compile(pattern) for name, pattern in (
    ("partial", v.PARTIAL), ("degraded", v.DEGRADED), ("user_down", v.USER_DOWN),
    ("component_down", v.COMPONENT_DOWN), ("at_risk", v.AT_RISK))}
CLAUSES = re.compile(r"[,.;!?]| but | while | whereas | though | although | and the | - ")
AGO = re.compile(r"\b(\d+(?:\.\d+)?|an?|one|two|three|four|five|ten|fifteen|twenty|thirty|forty|forty-five|a couple"
                 r" of|a few|half an) ?(minutes?|mins?|hours?|hrs?|h|m) ago\b")
CLOCK = re.compile(r"\b(?:since|from|at|around|about|started(?: at)?|began(?: at)?|as of)\s+((?:yesterday |today )?"
                   r"(?:at )?\d{1,2}(?:[:.]\d{2})?\s*(?:am|pm)?)(?![\w%])")
MOS = re.compile(r"\bmos\b(?: score)?\D{0,20}?(\d(?:\.\d+)?)")
LATENCY = re.compile(r"(\d{2,4}) ?ms\b")
CAPACITY = re.compile(r"(\d+) (?:out )?(?:of|/) (?:our |the |my )?(\d+) (?:sip |call |voice )?(?:channels|lines|"
                      r"trunks|circuits)")
EMAIL_DELAY = re.compile(r"(?:delay\w*|taking|take|late|behind)\D{0,20}?(\d+) ?(minutes?|mins?|hours?|hrs?)")
QUESTION = re.compile(r"^(?:hi,? |hello,? )?(?:how (?:do|can|should|would) (?:i|we)|is it possible|is there a way"
                      r"|can (?:i|we) |what(?: is|'s) |where (?:do|can|is)|who (?:do|can|should)|question\b)|\?$")
CHANGE = re.compile(r"\b(?:change request|(?:please|can you|could you|would you|i need you to|we need to) (?:add|"
                    r"change|remove|set up|setup|configure|move|update|create|delete|reset|amend|rename)|new starter"
                    r"|\bleaver\b|set up (?:a )?new|need (?:a )?new (?:user|extension|number|licen[cs]e))")


def normalise(text: str) -> str:
    """Lower case, plain quotes, single spaces, common slips of the key corrected."""
    plain = " ".join(text.lower().replace("’", "'").replace("‘", "'").split())
    return re.sub(r"[a-z][a-z0-9'-]*", lambda m: _fix(m[0]), plain)


def _fix(word: str) -> str:
    fixed = v.TYPOS.get(word)
    if fixed is not None:
        return fixed
    if len(word) < 5:
        return word
    known = _index().get(word)
    if known is not None:  # the word, or the word missing a letter ("brokn"), but not a shorter form ("phone")
        return word if known.startswith(word) else known
    return _fuzzy(word)


@lru_cache(maxsize=1)
def _index() -> dict[str, str]:
    """Each fuzzy word and every one-letter deletion of it → the word (a symmetric-delete index)."""
    index: dict[str, str] = {}
    for word in v.FUZZY_WORDS:
        for variant in (word, *(word[:i] + word[i + 1:] for i in range(len(word)))):
            index.setdefault(variant, word)
    return index


@lru_cache(maxsize=4096)
def _fuzzy(word: str) -> str:
    index = _index()
    candidates = {index[d] for d in (word[:i] + word[i + 1:] for i in range(len(word))) if d in index}
    return candidates.pop() if len(candidates) == 1 else word


def kind_of(text: str) -> str:
    """fault, question or change: a question or change only when clearly so and nothing is said to be failing."""
    cleaned = normalise(text)
    failing = any(IMPACT_PATTERNS[k].search(cleaned) for k in ("user_down", "component_down", "degraded"))
    if CHANGE.search(cleaned) and not failing:
        return "change"
    return "question" if QUESTION.search(cleaned) and not failing else "fault"


def extract(text: str, catalogue: Mapping[str, str], *, now: datetime, tz: ZoneInfo,
            vocabulary: Vocabulary | None = None) -> Extraction:
    """Every fact the message states, with the words it came from."""
    lowered = normalise(text)
    affected = _affected(lowered)
    result = Extraction()
    _services(affected, catalogue, vocabulary or {}, result)
    _impact(affected, result)
    _scope(text, lowered, result)
    _started(lowered, now, tz, result)
    _measures(lowered, catalogue, result)
    _flags(lowered, result)
    return result


def _affected(lowered: str) -> str:
    """The text without its clauses that say what still works ("the other two sites are fine")."""
    clauses = CLAUSES.split(lowered)
    failing = [c for c in clauses if not v.FINE.search(c) or _says_failing(c)]
    return " , ".join(failing)


def _says_failing(clause: str) -> bool:
    return any(IMPACT_PATTERNS[k].search(clause) for k in ("user_down", "component_down", "degraded", "partial"))


def _services(text: str, catalogue: Mapping[str, str], vocabulary: Vocabulary, result: Extraction) -> None:
    chosen: list[str] = []
    sources: list[str] = []
    for sid, phrases in vocabulary.items():
        hit = next((p for p in phrases if re.search(r"\b" + re.escape(p.lower()) + r"\b", text)), None)
        if hit and sid not in chosen:
            chosen.append(sid)
            sources.append(hit)
    _named(_without_plain_handsets(SERVICE_PATTERNS.found(text)), catalogue, chosen, sources)
    if not chosen:
        _named(WEAK_PATTERNS.found(text), catalogue, chosen, sources)
    chosen = _fall_back(chosen, catalogue)
    offered = [sid for sid in chosen if sid in catalogue]
    chosen = offered or chosen  # words outside the catalogue describe, unless nothing in it is named
    if not chosen and (match := v.GENERIC.search(text)):
        chosen, sources = list(_alternative(v.CALLS, catalogue)), [match[0]]
    if chosen:
        result.add("services", chosen, "; ".join(dict.fromkeys(sources)))


def _without_plain_handsets(found: list[tuple[v.Alternatives, str]]) -> list[tuple[v.Alternatives, str]]:
    """'Cordless handsets' are the cordless ones, not desk phones as well."""
    if not any(alternatives[0] == ("cordless_handsets",) for alternatives, _ in found):
        return found
    return [(a, words) for a, words in found if not (a[0] == ("handset",) and words.startswith("handset"))]


def _named(found: list[tuple[v.Alternatives, str]], catalogue: Mapping[str, str], chosen: list[str],
           sources: list[str]) -> None:
    for alternatives, words in found:
        _choose(_alternative(alternatives, catalogue), chosen)
        sources.append(words)


def _alternative(alternatives: v.Alternatives, catalogue: Mapping[str, str]) -> tuple[str, ...]:
    """The first alternative the catalogue offers; else the first one (the classifier says who supplies it)."""
    offered = next((a for a in alternatives if all(s in catalogue for s in a)), None)
    return offered or next((a for a in alternatives if all(s in SERVICES for s in a)), alternatives[0])


def _choose(ids: Sequence[str], chosen: list[str]) -> None:
    chosen.extend(s for s in ids if s not in chosen)


def _fall_back(chosen: list[str], catalogue: Mapping[str, str]) -> list[str]:
    """Voice quality or lag the catalogue does not list are faults of the calls themselves."""
    result: list[str] = []
    for sid in chosen:
        fallback = v.QUALITY_FALLBACK.get(sid)
        replacement = (sid,) if sid in catalogue or fallback is None else _alternative(fallback, catalogue)
        _choose(replacement, result)
    return result


def _impact(text: str, result: Extraction) -> None:
    hits = {name: pattern.search(text) for name, pattern in IMPACT_PATTERNS.items()}
    down = hits["user_down"] or hits["component_down"]
    if hits["at_risk"] and not hits["user_down"] and not hits["degraded"] and not hits["partial"]:
        result.add("impact", "at_risk", hits["at_risk"][0])
    elif hits["partial"]:
        result.add("impact", "degraded", hits["partial"][0])
    elif down:
        result.add("impact", "down", down[0])
    elif hits["degraded"]:
        result.add("impact", "degraded", hits["degraded"][0])


def _scope(original: str, lowered: str, result: Extraction) -> None:
    everyone, site = scope.everyone(lowered)
    for found in (scope.sites(lowered), scope.users(lowered), everyone):
        for key, (value, source) in found.items():
            result.add(key, value, source)
    name = scope.site_name(original, lowered) or site
    if name:
        result.add("site_name", name, name)
        result.add("sites_affected", 1, name)


def _started(lowered: str, now: datetime, tz: ZoneInfo, result: Extraction) -> None:
    candidates = [(words, said) for said, words in v.TIME_WORDS.items() if said in lowered]
    candidates += [(m[0], m[0]) for m in AGO.finditer(lowered)]
    candidates += [(m[1], m[0]) for m in CLOCK.finditer(lowered)]
    for words, said in candidates:
        try:
            result.add("started_at", parse_started_at(words, now=now, tz=tz).isoformat(), said)
            return
        except (TimeNotUnderstood, TimeInFuture):
            continue


def _measures(lowered: str, catalogue: Mapping[str, str], result: Extraction) -> None:
    if (mos := MOS.search(lowered)) and 1 <= float(mos[1]) <= 5:
        result.add("voice_mos", float(mos[1]), mos[0])
    if latency := LATENCY.search(lowered):
        result.add("latency_ms_rtt", float(latency[1]), latency[0])
    if (capacity := CAPACITY.search(lowered)) and 0 < int(capacity[2]) >= int(capacity[1]):
        result.add("capacity_loss_pct", round(100 * int(capacity[1]) / int(capacity[2]), 1), capacity[0])
    if "messaging" in result.found.get("services", []) and (delay := EMAIL_DELAY.search(lowered)):
        minutes = float(delay[1]) * (60 if delay[2].startswith("h") else 1)
        result.add("email_delivery_minutes", minutes, delay[0])


def _flags(lowered: str, result: Extraction) -> None:
    if match := v.RECURRING.search(lowered):
        result.add("recurring", True, match[0])
    if match := v.WORKAROUND_NO.search(lowered):
        result.add("workaround", False, match[0])
    elif match := v.WORKAROUND_YES.search(lowered):
        result.add("workaround", True, match[0])
    if match := v.SECURITY.search(lowered):
        result.add("security_incident", True, match[0])
