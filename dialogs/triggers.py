"""What a free-text message asks for before any report is under way. Any message that is not a command is a
report; these tables only tell a request for help or a thank-you apart, and find the description inside a
command-like opening ("report a fault: the phones are down")."""

from __future__ import annotations

import re

HELP = re.compile(r"^(?:help|\?|what can you do|commands|how does this work)\W*$")
THANKS = re.compile(r"^(?:thanks|thank you|thankyou|thx|cheers|ta|great|brilliant|perfect|lovely|nice one|bye|"
                    r"goodbye|that's all|that is all)(?: (?:very much|so much|a lot|again))?(?: ?[!.:)]+)*$")
CANCEL = re.compile(r"^(?:cancel|stop|quit|abort|never ?mind|forget it|start over|restart|reset)\W*$")
REPORT_PHRASE = re.compile(
    r"^(?:(?:hi|hello|hey|hiya|morning|good (?:morning|afternoon|evening))(?: there)?\b[\s,!.]*)?"
    r"(?:(?:i(?:'d| would)? (?:like|want|need)(?: to)?|can i|could i|please|i wish to|let me|i'm|i am|we need to"
    r"|we want to|we'd like to|need to|want to)\s+)?(?:report|log|raise|open|create|start|submit|make|reporting"
    r"|logging|raising)\s+(?:(?:a|an|another|new|the)\s+)*(?:fault|problem|issue|ticket|incident|outage|report"
    r"|complaint|call)s?(?:\s+please)?\b[\s:,.!-]*")
EMPTY = re.compile(r"^(?:(?:hi|hello|hey|hiya|morning|good (?:morning|afternoon|evening)|yo|urgent|help me|"
                   r"please help|help please|fault|problem|issue|ticket|new ticket|new fault|report|outage|"
                   r"support|anyone there|are you there)(?: there)?(?: faultline| bot)?\W*)*$")
KNOWN_ISSUE = re.compile(
    r"^(?:me too|same here|same (?:problem|issue) here|us too|we too|same for us|same"
    r"|(?:is there|are there|any) (?:an? )?(?:known )?(?:issues?|outages?|problems?|incidents?)(?: (?:at the moment|"
    r"right now|now|today))?|known issues?|is (?:something|anything|it) down(?: for everyone)?)\W*$")
INTENTS = (("help", HELP), ("thanks", THANKS), ("cancel", CANCEL), ("known_issue", KNOWN_ISSUE))


def _plain(text: str) -> str:
    return " ".join(text.lower().replace("’", "'").split())


def intent_of(text: str) -> str | None:
    """'help', 'thanks', 'cancel' or 'known_issue' ("me too", "is there a known issue?") for those messages; None
    for everything else (a report)."""
    cleaned = _plain(text)
    return next((name for name, pattern in INTENTS if pattern.match(cleaned)), None)


def description_in(text: str) -> str:
    """The fault described in a first message, without a command-like opening; '' when it describes nothing."""
    stripped = text.strip()
    opening = REPORT_PHRASE.match(_plain(stripped))
    if opening:
        stripped = _drop_words(stripped, len(opening[0].split()))
    return "" if EMPTY.match(_plain(stripped)) else stripped


def _drop_words(text: str, count: int) -> str:
    parts = text.split(maxsplit=count)
    return parts[count].lstrip(":,.-! ") if len(parts) > count else ""
