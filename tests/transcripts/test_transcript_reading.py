"""What is wrong with a path, said as it is: not "file not found" for every failure."""

from __future__ import annotations

import errno
import os
from pathlib import Path

import pytest

from minutes.errors import TranscriptError
from minutes.transcripts import load_transcript

TEXT = "Ann: Hello.\n"


def _denied(self: Path, *args: object, **kwargs: object) -> object:
    raise PermissionError(errno.EACCES, "Permission denied", str(self))


def test_symlink_loop_says_so(tmp_path: Path) -> None:
    (tmp_path / "a.txt").symlink_to(tmp_path / "b.txt")
    (tmp_path / "b.txt").symlink_to(tmp_path / "a.txt")
    with pytest.raises(TranscriptError) as info:
        load_transcript(tmp_path / "a.txt")
    assert (
        str(info.value)
        == f"cannot access {tmp_path / 'a.txt'}: symlink loop (the link leads back to itself)"
    )


def test_link_to_itself_is_a_loop(tmp_path: Path) -> None:
    (tmp_path / "self.txt").symlink_to(tmp_path / "self.txt")
    with pytest.raises(TranscriptError, match="symlink loop"):
        load_transcript(tmp_path / "self.txt")


def test_broken_symlink_is_not_a_missing_file(tmp_path: Path) -> None:
    (tmp_path / "link.txt").symlink_to(tmp_path / "gone.txt")
    with pytest.raises(
        TranscriptError, match=r"link\.txt is a broken symlink: its target does not exist$"
    ):
        load_transcript(tmp_path / "link.txt")


def test_symlink_to_a_transcript_is_read(tmp_path: Path) -> None:
    (tmp_path / "real.txt").write_text(TEXT, encoding="utf-8")
    (tmp_path / "link.txt").symlink_to(tmp_path / "real.txt")
    assert [s.text for s in load_transcript(tmp_path / "link.txt").segments] == ["Hello."]


def test_directory_and_symlink_to_a_directory(tmp_path: Path) -> None:
    (tmp_path / "notes").mkdir()
    (tmp_path / "alias").symlink_to(tmp_path / "notes")
    for path in (tmp_path / "notes", tmp_path / "alias"):
        with pytest.raises(TranscriptError) as info:
            load_transcript(path)
        assert str(info.value) == f"{path} is a directory, not a transcript file"


def test_fifo_is_refused_without_blocking(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe.txt"
    os.mkfifo(fifo)  # opening it for reading would wait for a writer forever
    with pytest.raises(TranscriptError, match=r"pipe\.txt is not a regular file$"):
        load_transcript(fifo)


def test_a_file_used_as_a_directory(tmp_path: Path) -> None:
    (tmp_path / "file.txt").write_text(TEXT, encoding="utf-8")
    with pytest.raises(TranscriptError, match=r"a part of the path is a file, not a directory$"):
        load_transcript(tmp_path / "file.txt" / "inner.txt")


def test_permission_denied_on_the_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "secret.txt"
    path.write_text(TEXT, encoding="utf-8")
    monkeypatch.setattr(Path, "open", _denied)  # chmod does not stop root, which CI may be
    with pytest.raises(TranscriptError) as info:
        load_transcript(path)
    assert str(info.value) == f"cannot read {path}: permission denied"


def test_permission_denied_on_the_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A file in a directory without search permission cannot even be looked at: that is
    # "permission denied", not "not found" (which Path.exists() would have said)
    path = tmp_path / "locked" / "secret.txt"
    monkeypatch.setattr(Path, "stat", _denied)
    with pytest.raises(TranscriptError) as info:
        load_transcript(path)
    assert str(info.value) == f"cannot access {path}: permission denied"


def test_missing_file_is_still_not_found(tmp_path: Path) -> None:
    with pytest.raises(TranscriptError, match=r"^transcript file not found: .*nope\.txt$"):
        load_transcript(tmp_path / "nope.txt")
