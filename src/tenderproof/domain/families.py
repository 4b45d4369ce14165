"""Company names compared, and the register of corporate families (FAR 3.104, 9.5; 5 CFR 2635.502).

An official's interest in "Alphabet" is an interest in "Google LLC", and "IBM" is "International
Business Machines Corporation": names are compared without their legal suffixes, an acronym
against the initials of the other name, and through the corporate families registered on the
tender's log (a parent and its subsidiaries and affiliates).

Where the register lives: on each tender's own log, as `family.registered` events by the
contracting officer (a bidder declares its own owners and affiliates in its ownership
declaration). Not an installation-wide table: a match must be re-derived from the record alone,
and a table edited later would make a rebuild, or a court reading the record, find other matches
than the ones decided. So each family is an event, and each match found through one names it
(`integrity.register_family`).
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from .tender import Family

#: The legal form of a company (Inc., LLC, GmbH ...).
LEGAL_FORMS = frozenset({"inc", "incorporated", "llc", "llp", "lp", "ltd", "limited", "corp", "corporation", "co",
                         "company", "plc", "gmbh", "sa", "ag", "nv", "bv", "se", "spa", "srl"})
#: Words that say what kind of company a name is, not which: dropped before comparing.
LEGAL_SUFFIXES = LEGAL_FORMS | {"com", "america", "services", "the"}
#: Words an acronym skips ("Science Applications International" is SAIC, "Bank of America" BoA).
_SKIPPED_IN_ACRONYMS = frozenset({"of", "and", "for", "&"})


def normalize(name: str) -> str:
    """A company name reduced for comparison: 'Amazon Web Services, Inc.' -> 'amazon web',
    'I.B.M. Corp.' -> 'ibm' (single letters in a row are one acronym)."""
    words = [w for w in re.split(r"[^a-z0-9]+", name.lower()) if w and w not in LEGAL_SUFFIXES]
    out: list[str] = []
    spelled = False  # the last word was made of single letters
    for w in words:
        if len(w) == 1 and spelled:
            out[-1] += w
        else:
            out.append(w)
            spelled = len(w) == 1
    return " ".join(out)


def _acronyms(name: str) -> set[str]:
    """The initials of a name of two words or more, with or without its legal form and suffixes:
    'Science Applications International Corp.' is SAIC, 'International Business Machines Corp.' IBM,
    'Amazon Web Services, Inc.' AWS."""
    raw = [w for w in re.split(r"[^a-z0-9]+", name.lower()) if w and w not in _SKIPPED_IN_ACRONYMS and w != "the"]
    variants = (raw, [w for w in raw if w not in LEGAL_FORMS], normalize(name).split())
    return {"".join(w[0] for w in ws) for ws in variants if len(ws) >= 2}


def related(a: str, b: str) -> bool:
    """The same company by name: equal without suffixes, one name's words all within the other's
    ('Amazon.com' ~ 'Amazon Web Services', not 'General Electric' ~ 'General Dynamics'), or one an
    acronym of the other ('IBM' ~ 'International Business Machines Corporation')."""
    wa, wb = normalize(a).split(), normalize(b).split()
    if not wa or not wb:
        return False
    if set(wa) <= set(wb) or set(wb) <= set(wa):
        return True
    for short, long in ((wa, b), (wb, a)):
        if len(short) == 1 and len(short[0]) >= 2 and short[0] in _acronyms(long):
            return True
    return False


def family_of(a: str, b: str, families: Mapping[str, Family]) -> str | None:
    """The first registered family (by id) that holds a name related to `a` and one related to `b`."""
    for fid in sorted(families):
        names = [families[fid]["parent"], *families[fid]["members"]]
        if any(related(a, n) for n in names) and any(related(b, n) for n in names):
            return fid
    return None
