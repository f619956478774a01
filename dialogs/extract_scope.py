"""How widely, from free text: users (a number, a share, everyone, just me), sites (3 of 12, the other two are
fine) and the name of the site hit ("nobody in Leeds", "the Leeds office")."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

Found = dict[str, tuple[Any, str]]
"""Answer key → (value, the words it came from)."""

NUMBERS = {"one": 1, "a single": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
           "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "fifteen": 15, "twenty": 20, "thirty": 30,
           "forty": 40, "fifty": 50, "a hundred": 100, "a couple of": 2, "a few": 3, "several": 4}
NUM = r"(\d+|" + "|".join(sorted(NUMBERS, key=len, reverse=True)) + r")"
PEOPLE = r"(?:users?|people|staff|colleagues|agents|members of staff|extensions|phones|handsets|employees|of us)"
PLACES = r"(?:sites?|offices?|branch(?:es)?|locations?|stores?|depots?|shops?|buildings?|warehouses?)"
SITE_WORD = r"(?:office|site|branch|depot|hq|building|warehouse|store|shop|surgery|clinic|practice)"
SHARES = {"about half": 50, "half": 50, "a quarter": 25, "a third": 33, "two thirds": 67, "three quarters": 75,
          "most": 75, "the majority": 75, "majority": 75}
NOT_A_SITE = {"the", "our", "a", "this", "that", "other", "whole", "every", "all", "same", "each", "both", "my",
              "teams", "outlook", "crm", "microsoft", "i", "we", "it", "work", "home", "calls", "call", "any",
              "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday", "morning", "one",
              "afternoon", "evening", "total", "general", "queue", "system", "phone", "future", "time", "fact"}

NOBODY_AFFECTED = re.compile(r"\b(?:no (?:users?|one|staff|calls)|nobody|none of (?:us|the users))"
                             r"(?: (?:is|are|has been|have been))? (?:affected|impacted|noticed)"
                             r"|\b(?:users|staff|calls) (?:are |seem )?(?:not affected|unaffected|unaware)")
SINGLE = re.compile(r"\b(?:just|only) (?:me|my|for me)\b|\bmy (?:own )?(?:desk ?)?(?:phone|voicemail|extension|"
                    r"handset|headset|line|crm|laptop|calls)\b|\b(?:one|a single|just one|1) (?:user|person|"
                    r"colleague)\b|\bfor me\b|\bi (?:can'?t|cannot|am unable)")
OF_TOTAL = re.compile(NUM + r" (?:out )?of (?:our |the |my )?" + NUM + r" ?" + PEOPLE + r"?\b")
COUNT = re.compile(r"\b" + NUM + r" (?:of (?:our |the )?)?" + PEOPLE + r"\b")
PERCENT = re.compile(r"(\d{1,3}(?:\.\d+)?) ?%(?! of (?:the |our )?(?:calls|channels|lines|capacity))")
SHARE = re.compile(r"\b(" + "|".join(sorted(SHARES, key=len, reverse=True)) + r") (?:of )?(?:the |our |my )?"
                   r"(?:users|staff|people|office|company|us|team|phones|extensions|agents|employees)\b")
EVERYONE = re.compile(r"\b(?:everyone|everybody|nobody|no one|none of us|all (?:of )?(?:our |the )?"
                      r"(?:users|staff|people|phones|extensions|agents|of us)|every (?:user|phone|extension)"
                      r"|the whole (?:company|business|firm|team)|company[- ]wide)\b")
AT_SITE = re.compile(r"\s*(?:at|in|from|on|based in)\s+(?:the |our )?([a-z][\w'-]*)(?: (" + SITE_WORD + r"))?\b")
PLACE_PREFIXES = {"head", "main", "central", "north", "south", "east", "west", "new", "old", "sales", "support"}
SITES_OF = re.compile(NUM + r" (?:out )?of (?:our |the )?" + NUM + r" ?" + PLACES + r"?")
ALL_SITES = re.compile(r"\b(?:all|every one of|each of) (?:(?:the |our )?" + NUM + r" )?(?:of )?(?:our |the )?"
                       + PLACES + r"\b|\bevery " + PLACES + r"\b")
BOTH = re.compile(r"\bboth (?:of )?(?:our |the )?" + PLACES)
OTHERS_FINE = re.compile(r"\b(?:the |our )?other " + NUM + r"? ?" + PLACES + r"? (?:are|is|seem|look|all)\b"
                         r"(?: all)? (?:fine|ok|okay|working|unaffected|not affected|alright|normal)")
N_SITES = re.compile(r"\b" + NUM + r" (?:of (?:our |the )?)?" + PLACES + r"\b")
NAMED = re.compile(r"\b(?:at|in|from|for)\s+(?:the\s+|our\s+)?([A-Z][a-zA-Z'-]+(?:\s+[A-Z][a-zA-Z'-]+)?)")
SUBJECT = re.compile(r"(?:^|[,.;] |\bbut )([A-Z][a-z'-]+(?: [A-Z][a-z'-]+)?) (?:has|have|is|isn't|are|aren't|can't"
                     r"|cannot|can|office|site|branch|lost|keeps?)\b")
NOT_A_PLACE = NOT_A_SITE | {"voicemail", "phones", "calls", "everyone", "everybody", "nobody", "internet", "sales",
                            "reception", "support", "outbound", "inbound", "incoming", "outgoing", "someone",
                            "customers", "callers", "users", "staff", "half", "some", "most", "nothing", "everything",
                            "audio", "sound", "email", "emails", "this", "there", "he", "she", "they", "it's",
                            "recording", "hunt", "queue", "the", "our", "my", "no", "still", "again", "please"}
NAMED_LOWER = re.compile(r"\b(?:the|our|at|in)\s+([a-z][a-z'-]+(?: [a-z][a-z'-]+)?)\s+(" + SITE_WORD + r")\b")


def number(word: str) -> int:
    return int(word) if word.isdigit() else NUMBERS[word]


def users(text: str) -> Found:
    """Users affected, as a count and/or a share."""
    for reader in (_nobody, _of_total, _percent, _share, _count, _single):
        found = reader(text)
        if found:
            return found
    return {}


def _nobody(text: str) -> Found:
    match = NOBODY_AFFECTED.search(text)
    return {"pct_users_affected": (0.0, match[0])} if match else {}


def _of_total(text: str) -> Found:
    match = OF_TOTAL.search(text)
    if not match or not re.search(PEOPLE, match[0]):
        return {}
    hit, total = number(match[1]), number(match[2])
    if total == 0 or hit > total:
        return {}
    return {"users_affected": (hit, match[0]), "pct_users_affected": (round(100 * hit / total, 1), match[0])}


def _percent(text: str) -> Found:
    match = PERCENT.search(text)
    return {"pct_users_affected": (float(match[1]), match[0])} if match and float(match[1]) <= 100 else {}


def _share(text: str) -> Found:
    match = SHARE.search(text)
    return {"pct_users_affected": (float(SHARES[match[1]]), match[0])} if match else {}


def _count(text: str) -> Found:
    match = COUNT.search(text)
    return {"users_affected": (number(match[1]), match[0])} if match else {}


def _single(text: str) -> Found:
    match = SINGLE.search(text)
    return {"users_affected": (1, match[0])} if match else {}


def everyone(text: str) -> tuple[Found, str | None]:
    """Everyone (100 %), or everyone at one site (then the site's name, and no share)."""
    match = EVERYONE.search(text)
    if not match:
        return {}, None
    at = AT_SITE.match(text, match.end())
    if at and at[1] not in NOT_A_SITE and not re.fullmatch(SITE_WORD, at[1]):
        name = f"{at[1]} {at[2]}" if at[2] and at[1] in PLACE_PREFIXES else at[1]
        return {"sites_affected": (1, match[0] + at[0])}, name.title()
    return {"pct_users_affected": (100.0, match[0])}, None


def sites(text: str) -> Found:
    """Sites affected and, where said, of how many."""
    readers: tuple[Callable[[str], Found], ...] = (_sites_of, _others_fine, _all_sites, _both, _n_sites)
    for reader in readers:
        found = reader(text)
        if found:
            return found
    return {}


def _sites_of(text: str) -> Found:
    match = SITES_OF.search(text)
    if not match or not re.search(PLACES, match[0]):
        return {}
    hit, total = number(match[1]), number(match[2])
    return {"sites_affected": (hit, match[0]), "total_sites": (total, match[0])} if 0 < total >= hit else {}


def _others_fine(text: str) -> Found:
    match = OTHERS_FINE.search(text)
    if not match:
        return {}
    found: Found = {"sites_affected": (1, match[0])}
    if match[1]:
        found["total_sites"] = (number(match[1]) + 1, match[0])
    return found


def _all_sites(text: str) -> Found:
    match = ALL_SITES.search(text)
    if not match:
        return {}
    if match[1]:
        return {"sites_affected": (number(match[1]), match[0]), "total_sites": (number(match[1]), match[0])}
    return {"pct_users_affected": (100.0, match[0])}


def _both(text: str) -> Found:
    match = BOTH.search(text)
    return {"sites_affected": (2, match[0]), "total_sites": (2, match[0])} if match else {}


def _n_sites(text: str) -> Found:
    match = N_SITES.search(text)
    return {"sites_affected": (number(match[1]), match[0])} if match else {}


def site_name(original: str, lowered: str) -> str | None:
    """The name of the site hit, if the message names one ("in Leeds", "the Leeds office")."""
    for match in NAMED.finditer(original):
        words = [w for w in match[1].split() if w.lower() not in NOT_A_SITE and not w.isupper()]
        if words and words[0] == match[1].split()[0]:
            return " ".join(words)
    subject = SUBJECT.search(original)
    if subject and subject[1].split()[0].lower() not in NOT_A_PLACE:
        return subject[1]
    lower = NAMED_LOWER.search(lowered)
    if lower and lower[1].split()[0] not in NOT_A_SITE:
        return (f"{lower[1]} {lower[2]}" if lower[1] in PLACE_PREFIXES else lower[1]).title()
    return None
