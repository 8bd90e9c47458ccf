"""``--out`` never replaces what it should not, is refused before any work when it cannot
be written, gives every meeting of a run its own file, creates files with the user's umask,
and writes atomically; a meeting skipped as stored still yields its document.

The CLI runs in this process through ``main()`` (errors mapped to exit codes as for a user),
on the extractive engine, so no LLM is needed."""

from __future__ import annotations

import json
import os
import stat
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from minutes.cli import _console, main
from minutes.notes import MeetingNotes

Captured = tuple[int, str, str]  # exit code, stdout, stderr
Cli = Callable[..., Captured]

STANDUP = "Maya: I will send the release notes by Friday.\nTom: I'll review the pricing PR.\n"
OTHER = "Maya: I will book the venue for the offsite.\nLukas: I'll draft the agenda.\n"


@pytest.fixture
def cli(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> Cli:
    def invoke(*args: str) -> Captured:
        capsys.readouterr()
        monkeypatch.setattr("sys.argv", ["minutes", *args, "--engine", "extractive"])
        with pytest.raises(SystemExit) as info:
            main()
        out, err = capsys.readouterr()
        code = info.value.code
        return (code if isinstance(code, int) else 0 if code is None else 1), out, err

    return invoke


def one_line(text: str) -> str:
    return " ".join(text.split())


def meetings_stored(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> int:
    capsys.readouterr()
    monkeypatch.setattr("sys.argv", ["minutes", "meetings", "--json"])
    with pytest.raises(SystemExit):
        main()
    return len(json.loads(capsys.readouterr().out))


@pytest.fixture
def two(tmp_path: Path) -> list[Path]:
    """Two meetings whose transcripts have the same file name, in two folders."""
    paths = []
    for folder, text in (("a", STANDUP), ("b", OTHER)):
        (tmp_path / folder).mkdir()
        path = tmp_path / folder / "standup.txt"
        path.write_text(text)
        paths.append(path)
    return paths


@pytest.fixture
def umask() -> Iterator[Callable[[int], object]]:
    """Sets the process umask for the test, and restores it after."""
    old = os.umask(0o022)
    os.umask(old)
    yield os.umask
    os.umask(old)


# --- refused before any work --------------------------------------------------------------


def test_a_symlink_fifo_or_device_is_never_the_target(
    cli: Cli, two: list[Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:  # fmt: skip
    precious = tmp_path / "precious.md"
    precious.write_text("keep me")
    link = tmp_path / "link.md"
    link.symlink_to(precious)
    fifo = tmp_path / "pipe.md"
    os.mkfifo(fifo)
    for target, words in (
        (link, "is a symbolic link"),
        (fifo, "is not a regular file (a FIFO, socket or device node)"),
        (Path("/dev/null"), "is not a regular file (a FIFO, socket or device node)"),
        (two[0], "is the transcript"),
    ):
        code, stdout, stderr = cli("summarize", str(two[0]), "--out", str(target))
        assert code == 2, (target, stderr)
        assert f"--out: {target}" in one_line(stderr) and words in one_line(stderr), target
        assert stdout == "" and "Traceback" not in stderr
    assert link.is_symlink() and precious.read_text() == "keep me"
    assert stat.S_ISFIFO(fifo.lstat().st_mode)
    assert two[0].read_text() == STANDUP

    # The same inside the folder of a run of several meetings.
    out = tmp_path / "out"
    out.mkdir()
    (out / "a-standup.md").symlink_to(precious)
    code, _, stderr = cli("summarize", *map(str, two), "--out", str(out))
    assert code == 2 and "a-standup.md is a symbolic link" in one_line(stderr)
    assert precious.read_text() == "keep me"
    assert meetings_stored(monkeypatch, capsys) == 0


def test_one_file_or_an_existing_directory_is_refused_for_the_wrong_run(
    cli: Cli, two: list[Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:  # fmt: skip
    existing = tmp_path / "existing.md"
    existing.write_text("keep me")
    code, stdout, stderr = cli("summarize", *map(str, two), "--out", str(existing))
    assert code == 2
    assert "is a file, but several meetings need a folder" in one_line(stderr)
    assert existing.read_text() == "keep me" and stdout == ""

    folder = tmp_path / "notes"
    folder.mkdir()
    code, _, stderr = cli("summarize", str(two[0]), "--out", str(folder))
    assert code == 2 and "is a directory; with one meeting, give the file" in one_line(stderr)
    assert list(folder.iterdir()) == []
    assert meetings_stored(monkeypatch, capsys) == 0  # nothing ran


def test_a_read_only_directory_is_refused_before_any_work(
    cli: Cli, two: list[Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:  # fmt: skip
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o555)
    if os.access(locked, os.W_OK):
        # Root writes anywhere, so chmod alone cannot make a folder read-only for it (CI may
        # run as root): answer as the kernel would for anyone else.
        real_access = os.access

        def access(path: os.PathLike[str] | str, mode: int, **kw: object) -> bool:
            if mode & os.W_OK and not os.stat(path).st_mode & stat.S_IWUSR:
                return False
            return real_access(path, mode)

        monkeypatch.setattr(os, "access", access)
    try:
        for args in ([str(two[0]), "--out", str(locked / "notes.md")],
                     [*map(str, two), "--out", str(locked)],
                     [*map(str, two), "--out", str(locked / "new" / "deeper")]):  # fmt: skip
            code, stdout, stderr = cli("summarize", *args)
            assert code == 2, (args, stderr)
            assert "it is read-only for this user" in one_line(stderr), args
            assert stdout == ""
        assert list(locked.iterdir()) == []
    finally:
        locked.chmod(0o755)
    assert meetings_stored(monkeypatch, capsys) == 0


# --- names, modes, atomic writes ----------------------------------------------------------


def test_meetings_with_the_same_file_name_get_distinct_documents(
    cli: Cli, two: list[Path], tmp_path: Path
) -> None:
    out = tmp_path / "out"
    code, stdout, stderr = cli("summarize", *map(str, two), "--out", str(out), "-o", "json")
    assert code == 0, stderr
    assert stdout == ""
    assert sorted(p.name for p in out.iterdir()) == ["a-standup.json", "b-standup.json"]
    a = MeetingNotes.model_validate_json((out / "a-standup.json").read_text())
    b = MeetingNotes.model_validate_json((out / "b-standup.json").read_text())
    assert "Tom" in a.participants and "Lukas" in b.participants

    # A unique name keeps its stem; a clash in the same folder gets a number.
    (tmp_path / "a" / "standup.md").write_text(OTHER.replace("offsite", "retro"))
    (tmp_path / "a" / "retro.txt").write_text(STANDUP.replace("Friday", "Monday"))
    again = tmp_path / "again"
    code, _, stderr = cli("summarize", str(tmp_path / "a"), *map(str, two[1:]), "--out", str(again))
    assert code == 0, stderr
    assert sorted(p.name for p in again.iterdir()) == [
        "a-standup-2.md",
        "a-standup.md",
        "b-standup.md",
        "retro.md",
    ]


def test_files_get_the_users_umask_and_an_existing_file_keeps_its_mode(
    cli: Cli, two: list[Path], tmp_path: Path, umask: Callable[[int], object]
) -> None:
    umask(0o027)
    notes = tmp_path / "notes.md"
    code, _, stderr = cli("summarize", str(two[0]), "--out", str(notes))
    assert code == 0, stderr
    assert stat.S_IMODE(notes.stat().st_mode) == 0o640  # not mkstemp's 0600
    out = tmp_path / "several"
    code, _, stderr = cli("summarize", *map(str, two), "--out", str(out), "--force")
    assert code == 0, stderr
    assert {stat.S_IMODE(p.stat().st_mode) for p in out.iterdir()} == {0o640}

    notes.chmod(0o604)
    code, _, stderr = cli("summarize", str(two[0]), "--out", str(notes), "--force")
    assert code == 0, stderr
    assert stat.S_IMODE(notes.stat().st_mode) == 0o604
    assert notes.read_text().startswith("# ")
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no temp file left


def test_an_interrupted_write_leaves_the_old_file_and_no_temp_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "notes.md"
    target.write_text("old notes")

    def killed(src: str, dst: str) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(os, "replace", killed)
    with pytest.raises(KeyboardInterrupt):
        _console.write_atomically(target, "new notes")
    assert target.read_text() == "old notes"
    assert [p.name for p in tmp_path.iterdir()] == ["notes.md"]


# --- skipped meetings still yield their document ------------------------------------------


def test_a_meeting_skipped_as_stored_still_yields_its_document(cli: Cli, tmp_path: Path) -> None:
    folder = tmp_path / "meetings"
    folder.mkdir()
    (folder / "standup.txt").write_text(STANDUP)
    (folder / "planning.txt").write_text(OTHER)
    code, first, stderr = cli("summarize", str(folder), "-o", "json")
    assert code == 0, stderr
    (folder / "retro.txt").write_text(STANDUP.replace("Maya", "Priya"))

    code, stdout, stderr = cli("summarize", str(folder), "-o", "json")
    assert code == 0, stderr
    assert one_line(stderr).count("skipped") >= 2 and "1 done · 2 skipped" in one_line(stderr)
    documents = [MeetingNotes.model_validate_json(line) for line in stdout.splitlines()]
    assert len(documents) == 3  # one per transcript, in input order: planning, retro, standup
    earlier = [MeetingNotes.model_validate_json(line) for line in first.splitlines()]
    assert documents[0] == earlier[0] and documents[2] == earlier[1]
    assert "Priya" in documents[1].participants

    out = tmp_path / "out"
    code, _, stderr = cli("summarize", str(folder), "--out", str(out))
    assert code == 0, stderr
    assert sorted(p.name for p in out.iterdir()) == ["planning.md", "retro.md", "standup.md"]
    assert "review the pricing PR" in (out / "standup.md").read_text()
