"""Reading typed answers (services, users, sites, yes/no), each failing with a sentence that shows the way."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass


class AnswerError(ValueError):
    """An answer we cannot use; the message says what to type instead."""


YES = {"yes", "y", "yeah", "yep", "true", "correct", "it is", "there is", "yes there is", "affirmative"}
NO = {"no", "n", "nope", "false", "none", "not", "no there isn't", "there isn't", "negative"}
UNSURE = {"not sure", "don't know", "dont know", "unknown", "no idea", "?", "skip"}
ALL_WORDS = {"all", "everyone", "everybody", "every user", "all users", "whole company", "everything", "100%"}


def yes_no(text: str) -> bool | None:
    """True / False, or None for "not sure"."""
    cleaned = text.strip().lower().rstrip(".!")
    if cleaned in YES:
        return True
    if cleaned in NO:
        return False
    if cleaned in UNSURE:
        return None
    raise AnswerError("Please answer yes or no (or “not sure”).")


def services(text: str, catalogue: Mapping[str, str]) -> list[str]:
    """Service ids from numbers, ids or names separated by commas or 'and'."""
    ids = list(catalogue)
    chosen: list[str] = []
    for part in (p.strip().lower() for p in re.split(r",|;|\band\b|\n|/", text) if p.strip()):
        found = _one_service(part, ids, catalogue)
        if found is None:
            raise AnswerError(f"I don't know the service “{part}”. {service_hint(catalogue)}")
        if found not in chosen:
            chosen.append(found)
    if not chosen:
        raise AnswerError(service_hint(catalogue))
    return chosen


def _one_service(part: str, ids: list[str], catalogue: Mapping[str, str]) -> str | None:
    if part.isdigit() and 1 <= int(part) <= len(ids):
        return ids[int(part) - 1]
    if part in ALL_WORDS and "all" in catalogue:
        return "all"
    for sid, name in catalogue.items():
        if part in (sid, sid.replace("_", " "), name.lower()):
            return sid
    matches = [sid for sid, name in catalogue.items() if part in name.lower()]
    return matches[0] if len(matches) == 1 else None


def service_hint(catalogue: Mapping[str, str]) -> str:
    listed = "; ".join(f"{n} {name}" for n, name in enumerate(catalogue.values(), start=1))
    return f"Reply with the numbers or names, separated by commas: {listed}."


@dataclass(frozen=True)
class Users:
    users_affected: int | None
    pct_users_affected: float | None


def users(text: str) -> Users:
    """'12', '40%', '12 of 40', 'all', 'just me'."""
    cleaned = text.strip().lower().rstrip(".")
    if cleaned in ALL_WORDS:
        return Users(None, 100)
    if cleaned in ("me", "just me", "only me", "one", "1 user", "a single user"):
        return Users(1, None)
    if cleaned in UNSURE:
        return Users(None, None)
    match = re.fullmatch(r"(\d+(?:\.\d+)?)\s*%", cleaned)
    if match:
        pct = float(match[1])
        if pct > 100:
            raise AnswerError("A share of users can't be more than 100%. " + USERS_HINT)
        return Users(None, pct)
    match = re.fullmatch(r"(\d+)\s*(?:users?|people)?\s*(?:of|out of|/)\s*(\d+)\s*(?:users?|people)?", cleaned)
    if match:
        hit, total = int(match[1]), int(match[2])
        if total == 0 or hit > total:
            raise AnswerError(f"{hit} of {total} doesn't add up. " + USERS_HINT)
        return Users(hit, round(100 * hit / total, 1))
    match = re.fullmatch(r"(\d+)\s*(?:users?|people|staff|phones)?", cleaned)
    if match:
        return Users(int(match[1]), None)
    raise AnswerError(USERS_HINT)


USERS_HINT = ("How many users are affected? A number (“12”), a share (“40%”), “12 of 40”, “all” or “just me”.")


@dataclass(frozen=True)
class Sites:
    sites_affected: int | None
    total_sites: int | None


def sites(text: str) -> Sites:
    """'1 of 3', '2/5', 'all 4', 'all', '1', 'none'."""
    cleaned = text.strip().lower().rstrip(".")
    if cleaned in UNSURE:
        return Sites(None, None)
    if cleaned in ("none", "0", "no sites"):
        return Sites(0, None)
    match = re.fullmatch(r"(?:all(?: of)?(?: our)?|every)\s*(\d+)?(?:\s*sites?)?", cleaned)
    if match:
        if not match[1]:
            raise AnswerError("How many sites do you have in all? For example “all 3”. " + SITES_HINT)
        return Sites(int(match[1]), int(match[1]))
    match = re.fullmatch(r"(\d+)\s*(?:sites?)?\s*(?:of|out of|/)\s*(\d+)(?:\s*sites?)?", cleaned)
    if match:
        hit, total = int(match[1]), int(match[2])
        if total == 0 or hit > total:
            raise AnswerError(f"{hit} of {total} doesn't add up. " + SITES_HINT)
        return Sites(hit, total)
    match = re.fullmatch(r"(\d+)(?:\s*sites?)?", cleaned)
    if match:
        return Sites(int(match[1]), None)
    raise AnswerError(SITES_HINT)


SITES_HINT = "How many sites are affected, of how many? For example “1 of 3”, “all 4” or “none”."
