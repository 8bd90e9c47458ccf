"""Names as a trie: the same matches as the plain list of names, longest first."""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from minutes.extractive.people import People, literals

_NAMES = st.lists(st.text(alphabet="ab .", min_size=1, max_size=6), min_size=1, max_size=12)


@given(_NAMES, st.text(alphabet="ab .x", max_size=30))
@settings(max_examples=300, deadline=None)
def test_the_trie_matches_what_the_list_matches(names: list[str], text: str) -> None:
    plain = re.compile("|".join(sorted(map(re.escape, set(names)), key=len, reverse=True)))
    trie = re.compile(literals(names))
    for i in range(len(text) + 1):
        a, b = plain.match(text, i), trie.match(text, i)
        assert (a and a.group(0)) == (b and b.group(0))


def test_many_speakers_and_odd_names_still_compile() -> None:
    assert re.fullmatch(literals(["a" * n for n in range(1, 400)]), "a" * 399)
    people = People(["x" * 3000, "Ann Lee", *(f"Speaker {i}" for i in range(500))])
    assert people.addressed("Ann, can you send the deck?") == "Ann Lee"
    assert people.addressed("Speaker 17, can you send it?") == "Speaker 17"
