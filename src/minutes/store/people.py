"""People and their aliases as stored: the merges a user made (``minutes people merge``), and
every name the meetings use (participants, assignees, deciders). How names are matched to one
another is ``minutes.memory.people``'s business; this module only reads and writes rows."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from minutes.store.models import (
    DEFAULT_TENANT,
    ActionItemRow,
    DecisionRow,
    Meeting,
    Person,
    PersonAlias,
)


def alias_key(name: str) -> str:
    """How an alias is compared: case-folded, inner whitespace collapsed."""
    return " ".join(name.casefold().split())


@dataclass(frozen=True)
class StoredPerson:
    id: int
    name: str
    aliases: tuple[str, ...]


def find_person(
    session: Session, name: str, *, tenant: str = DEFAULT_TENANT
) -> StoredPerson | None:
    """The stored person one of whose aliases is ``name``."""
    person_id = session.scalar(
        select(PersonAlias.person_id).where(
            PersonAlias.tenant == tenant, PersonAlias.alias == alias_key(name)
        )
    )
    return _load(session, person_id) if person_id is not None else None


def _load(session: Session, person_id: int) -> StoredPerson:
    person = session.get(Person, person_id)
    assert person is not None
    aliases = session.scalars(
        select(PersonAlias.alias).where(PersonAlias.person_id == person_id).order_by(PersonAlias.id)
    ).all()
    return StoredPerson(person.id, person.name, tuple(aliases))


def merge_people(
    session: Session, keep: str, other: str, *, tenant: str = DEFAULT_TENANT
) -> StoredPerson:
    """Make ``other`` the same person as ``keep`` (shown as ``keep``'s stored name, else as
    ``keep``); every alias either had is kept. Nothing is committed here."""
    first = find_person(session, keep, tenant=tenant)
    second = find_person(session, other, tenant=tenant)
    if first is None:
        row = Person(tenant=tenant, name=keep.strip())
        session.add(row)
        session.flush()
        first = StoredPerson(row.id, row.name, ())
    if second is not None and second.id != first.id:
        session.execute(
            update(PersonAlias).where(PersonAlias.person_id == second.id).values(person_id=first.id)
        )
        session.execute(delete(Person).where(Person.id == second.id))
    for name in (keep, other):
        if find_person(session, name, tenant=tenant) is None:
            session.add(PersonAlias(tenant=tenant, person_id=first.id, alias=alias_key(name)))
    session.flush()
    return _load(session, first.id)


def list_people(session: Session, *, tenant: str = DEFAULT_TENANT) -> list[StoredPerson]:
    ids = session.scalars(
        select(Person.id).where(Person.tenant == tenant).order_by(Person.name, Person.id)
    ).all()
    return [_load(session, i) for i in ids]


def known_names(session: Session, *, tenant: str = DEFAULT_TENANT) -> list[str]:
    """Every name the tenant's meetings use: participants, assignees and deciders."""
    names: dict[str, None] = {}
    for participants in session.scalars(
        select(Meeting.participants).where(Meeting.tenant == tenant)
    ):
        for p in participants or []:
            names.setdefault(str(p), None)
    for who in session.scalars(
        select(ActionItemRow.assignee)
        .join(Meeting, Meeting.id == ActionItemRow.meeting_id)
        .where(Meeting.tenant == tenant, ActionItemRow.assignee.is_not(None))
    ):
        names.setdefault(str(who), None)
    for deciders in session.scalars(
        select(DecisionRow.decided_by)
        .join(Meeting, Meeting.id == DecisionRow.meeting_id)
        .where(Meeting.tenant == tenant)
    ):
        for p in deciders or []:
            names.setdefault(str(p), None)
    return [n for n in names if n.strip()]
