"""One person across meetings, however they are named: "Tom", "Tom Okafor", "tom@acme.com",
"Tom Okafor <tom.okafor@acme.com>".

A name resolves to a :class:`Person`: the names (as the meetings spell them) that mean the
same person, found from, in order of authority,

1. merges the user stored (``minutes people merge A B``),
2. the ``[people]`` table of the config file (``"Tom Okafor" = ["Tom", "tokafor@acme.com"]``),
3. the names the meetings use: the same words case-insensitively; a first name alone for the
   one full name that starts with it (ambiguous when two do: then it is left alone); an
   e-mail address whose local part spells the name ("tom@", "tom.okafor@", "tokafor@");
   "Name <address>" as both.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping

from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from minutes.store.meetings import (
    ActionView,
    DecisionView,
    list_actions,
    list_decisions,
    list_meetings,
)
from minutes.store.models import DEFAULT_TENANT
from minutes.store.people import alias_key, find_person, known_names, list_people, merge_people

_ANGLE = re.compile(r"^\s*(?P<name>[^<]*?)\s*<(?P<email>[^>]+)>\s*$")


class Person(BaseModel):
    name: str = Field(description="how the person is shown")
    names: list[str] = Field(description="every name that means them, as the meetings spell it")
    ambiguous: list[str] = Field(
        default_factory=list, description="other people the given name could also mean"
    )


def _parts(name: str) -> tuple[str, str | None]:
    """(display name, e-mail) of "Name <address>", a bare address or a bare name."""
    m = _ANGLE.match(name)
    if m:
        return m.group("name") or m.group("email"), m.group("email").strip()
    if "@" in name and " " not in name.strip():
        return name.strip(), name.strip()
    return name.strip(), None


def _words(name: str) -> list[str]:
    return re.findall(r"[^\W\d_]+", name.casefold())


def _email_matches(email: str, full: str) -> bool:
    """Whether the local part of ``email`` spells ``full``: "tom", "tom.okafor",
    "tokafor", "okafor" for "Tom Okafor"."""
    local = email.split("@", 1)[0].casefold()
    words = _words(full)
    if not words:
        return False
    pieces = [p for p in re.split(r"[._\-+]", local) if p]
    if pieces == words or pieces == words[:1] or pieces == [words[0] + words[-1]]:
        return True
    joined = "".join(pieces)
    return len(words) > 1 and joined in (words[0][0] + words[-1], words[0] + words[-1])


def same_person(a: str, b: str) -> bool:
    """Whether two names plausibly mean one person (without looking at anyone else)."""
    a_name, a_mail = _parts(a)
    b_name, b_mail = _parts(b)
    if a_mail and b_mail and a_mail.casefold() == b_mail.casefold():
        return True
    wa = [] if "@" in a_name else _words(a_name)
    wb = [] if "@" in b_name else _words(b_name)
    if (
        wa
        and wb
        and (wa == wb or (len(wa) == 1 and wa[0] == wb[0]) or (len(wb) == 1 and wb[0] == wa[0]))
    ):
        return True
    if a_mail and wb and _email_matches(a_mail, b_name):
        return True
    return bool(b_mail and wa and _email_matches(b_mail, a_name))


def _full_names(names: Iterable[str]) -> list[str]:
    return [n for n in names if len(_words(_parts(n)[0])) > 1 and "@" not in _parts(n)[0]]


def resolve_person(
    session: Session,
    name: str,
    *,
    tenant: str = DEFAULT_TENANT,
    config: Mapping[str, list[str]] | None = None,
) -> Person:
    """The person ``name`` means, with every name of theirs the store knows."""
    known = known_names(session, tenant=tenant)
    group: dict[str, None] = {name.strip(): None}
    display = name.strip()
    stored = find_person(session, name, tenant=tenant)
    if stored is not None:
        display = stored.name
        group.update((a, None) for a in stored.aliases)
    for canonical, aliases in (config or {}).items():
        spellings = [canonical, *aliases]
        if any(alias_key(s) in {alias_key(g) for g in group} for s in spellings):
            display = canonical if stored is None else display
            group.update((s, None) for s in spellings)
    # Names in the meetings that match a name of the group, until nothing more joins it. A
    # vague name ("Tom", "tom@…") that could mean two full names links to neither.
    fulls = _full_names(known)

    def matches(n: str) -> list[str]:
        return [f for f in fulls if same_person(n, f)]

    def vague_and_ambiguous(n: str) -> bool:
        shown = _parts(n)[0]
        vague = len(_words(shown)) < 2 or "@" in shown
        return vague and len({alias_key(f) for f in matches(n)}) > 1

    changed = True
    while changed:
        changed = False
        for other in known:
            if alias_key(other) in {alias_key(g) for g in group}:
                continue
            if any(
                same_person(other, g)
                and not vague_and_ambiguous(other)
                and not vague_and_ambiguous(g)
                for g in group
            ):
                group[other] = None
                changed = True
    keys = {alias_key(g) for g in group}
    group.update((n, None) for n in known if alias_key(n) in keys)  # the meetings' spelling
    ambiguous: list[str] = []
    if len(keys) == 1 and vague_and_ambiguous(name):
        ambiguous = sorted({alias_key(f): f for f in matches(name)}.values(), key=str.casefold)
    if stored is None and len(_words(display)) < 2:
        longer = [g for g in group if len(_words(_parts(g)[0])) > 1 and "@" not in _parts(g)[0]]
        if longer:
            display = longer[0]
    # One spelling per name: the meetings' own (stored aliases are case-folded).
    spelled: dict[str, str] = {}
    for g in group:
        k = alias_key(g)
        if k not in spelled or (g in known and spelled[k] not in known):
            spelled[k] = g
    names = sorted(spelled.values(), key=str.casefold)
    return Person(name=display, names=names, ambiguous=ambiguous)


def merge(session: Session, keep: str, other: str, *, tenant: str = DEFAULT_TENANT) -> Person:
    stored = merge_people(session, keep, other, tenant=tenant)
    return resolve_person(session, stored.name, tenant=tenant)


def people(session: Session, *, tenant: str = DEFAULT_TENANT) -> list[Person]:
    """Everyone the meetings name, one entry per person (stored merges first)."""
    seen: set[str] = set()
    result: list[Person] = []
    for stored in list_people(session, tenant=tenant):
        person = resolve_person(session, stored.name, tenant=tenant)
        seen.update(alias_key(n) for n in person.names)
        result.append(person)
    known = known_names(session, tenant=tenant)
    for name in sorted(known, key=lambda n: (-len(_words(n)), n.casefold())):
        if alias_key(name) in seen:
            continue
        person = resolve_person(session, name, tenant=tenant)
        seen.update(alias_key(n) for n in person.names)
        result.append(person)
    return sorted(result, key=lambda p: p.name.casefold())


# --- one person's view ----------------------------------------------------------------------


class PersonReport(BaseModel):
    person: Person
    open_actions: list[ActionView] = Field(description="overdue first, then by due date")
    done_actions: list[ActionView]
    decisions: list[DecisionView] = Field(description="decisions they made or confirmed")
    meetings: list[dict[str, object]] = Field(description="meetings they attended, newest first")


def is_overdue(action: ActionView, today: dt.date) -> bool:
    return action.status == "open" and action.due_date is not None and action.due_date < today


def person_report(
    session: Session,
    name: str,
    *,
    tenant: str = DEFAULT_TENANT,
    today: dt.date | None = None,
    config: Mapping[str, list[str]] | None = None,
) -> PersonReport:
    today = today or dt.date.today()
    person = resolve_person(session, name, tenant=tenant, config=config)
    keys = {alias_key(n) for n in person.names}
    actions = list_actions(session, assignees=person.names, tenant=tenant)
    open_items = sorted(
        (a for a in actions if a.status == "open"),
        key=lambda a: (not is_overdue(a, today), a.due_date or dt.date.max, a.id),
    )
    done_items = [a for a in actions if a.status == "done"]
    decisions = [
        d
        for d in list_decisions(session, tenant=tenant)
        if any(alias_key(p) in keys for p in d.decided_by)
    ]
    meetings = [
        {"id": m.id, "title": m.title, "date": m.date.isoformat() if m.date else None}
        for m in list_meetings(session, tenant=tenant, limit=10_000)
        if any(alias_key(p) in keys for p in m.participants)
    ]
    return PersonReport(
        person=person,
        open_actions=open_items,
        done_actions=done_items,
        decisions=decisions,
        meetings=meetings,
    )


def meetings_attended(
    session: Session, names: Iterable[str], *, tenant: str = DEFAULT_TENANT
) -> set[str]:
    """Ids of the meetings one of ``names`` took part in."""
    keys = {alias_key(n) for n in names}
    return {
        m.id
        for m in list_meetings(session, tenant=tenant, limit=1_000_000)
        if any(alias_key(p) in keys for p in m.participants)
    }
