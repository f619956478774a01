"""The contract's classification of a report's facts, remembered: one report's facts are classified several times
(to choose the next question, for the summary, again on confirm) and the answer depends on nothing else."""

from __future__ import annotations

from collections import OrderedDict

from sla import Classification, Policy, classify
from sla.classify import Facts

REMEMBERED = 512
"""How many (contract, facts) answers are kept, the least recently used going first."""
_known: OrderedDict[tuple[int, Facts], tuple[Policy, Classification]] = OrderedDict()


def classify_remembered(policy: Policy, facts: Facts) -> Classification:
    """``sla.classify(policy, facts)``, from memory when these facts were classified under this contract lately."""
    key = (id(policy), facts)  # the entry keeps its policy alive, so no other policy can take that id meanwhile
    known = _known.get(key)
    if known is not None and known[0] is policy:
        _known.move_to_end(key)
        return known[1]
    result = classify(policy, facts)
    _known[key] = (policy, result)
    if len(_known) > REMEMBERED:
        _known.popitem(last=False)
    return result
