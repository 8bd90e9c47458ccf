"""What the user typed is checked before any work: unknown names are usage errors (exit 2)
that list the valid ones, a missing config file named by MINUTES_CONFIG is one too, and dates
are refused in the user's words. Also --version and -h.

The CLI runs in this process through ``main()`` (the console-script entry point, which maps
errors to exit codes), with its stdout and stderr captured."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from minutes.cli import main
from minutes.errors import ConfigError, NotFound, StoreError, TranscriptError

Captured = tuple[int, str, str]  # exit code, stdout, stderr
Cli = Callable[..., Captured]


@pytest.fixture
def cli(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> Cli:
    def invoke(*args: str) -> Captured:
        capsys.readouterr()  # what an earlier call printed
        monkeypatch.setattr("sys.argv", ["minutes", *args])
        with pytest.raises(SystemExit) as info:
            main()
        captured = capsys.readouterr()
        code = info.value.code
        return (code if isinstance(code, int) else 0 if code is None else 1), *captured

    return invoke


def one_line(stderr: str) -> str:
    """stderr as one line (Rich wraps at the test terminal's width)."""
    return " ".join(stderr.split())


def stored_meetings(cli: Cli) -> list[object]:
    code, stdout, stderr = cli("meetings", "--json")
    assert code == 0, stderr
    return list(json.loads(stdout))


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (
            ["--model", "gpt-17"],
            "--model 'gpt-17' is not in the model registry (did you mean gpt-4.1 or gpt-5?); "
            "choose one of: claude-3-opus, claude-3-sonnet, claude-haiku-4-5",
        ),
        (["--model", "gpt4-turbo"], "did you mean gpt-4-turbo"),
        (["--model", "text-embedding-ada-002"], "is an embedding model; choose a chat model"),
        (
            ["--provider", "foo"],
            "--provider 'foo' is not a provider of the model registry; choose one of: "
            "anthropic, deepseek, local, ollama, openai",
        ),
        (
            ["--model", "claude-3-opus", "--provider", "openai"],
            "--model 'claude-3-opus' belongs to provider anthropic, but --provider is 'openai'",
        ),
        (
            ["--format", "docx"],
            "--format 'docx' is not a transcript format; choose one of: text, vtt, srt, json",
        ),
        (["--timezone", "Europe/Pari"], "--timezone 'Europe/Pari' is not an IANA timezone"),
        (["--max-usd", "-1"], "--max-usd must be a number of dollars, not '-1'"),
        (["--max-usd", "lots"], "--max-usd must be a number of dollars, not 'lots'"),
        (["--timezone", "Europe"], "did you mean"),
        (["--date", "2025-02-30"], "2025-02-30 is not a date (YYYY-MM-DD)"),
        (["--date", "11/03/2025"], "11/03/2025 is not a date (YYYY-MM-DD)"),
    ],
)
def test_unknown_names_are_usage_errors_that_list_the_valid_ones(
    cli: Cli, args: list[str], words: str
) -> None:
    code, stdout, stderr = cli("summarize", "--example", "standup", *args)
    assert code == ConfigError.exit_code == 2, stderr
    assert stderr.startswith("error: ") and "Traceback" not in stderr
    assert words in one_line(stderr)
    assert stdout == ""
    assert stored_meetings(cli) == []  # refused before any work


def test_the_same_checks_guard_directory_runs_and_eval(cli: Cli, tmp_path: Path) -> None:
    folder = tmp_path / "meetings"
    folder.mkdir()
    (folder / "a.txt").write_text("Alice: I will send the report by Friday.\n")
    (folder / "b.txt").write_text("Bob: I will review the pricing PR tomorrow.\n")
    code, _, stderr = cli("summarize", str(folder), "--provider", "foo")
    assert code == 2 and "--provider 'foo'" in stderr
    code, _, stderr = cli("summarize", str(folder), "--format", "vtt")
    assert code == 2 and "--format applies to one transcript" in one_line(stderr)
    code, _, stderr = cli("summarize", str(folder), "--dry-run")
    assert code == 2 and "--dry-run estimates one transcript" in one_line(stderr)
    # --batch with --out is checked the same way (its documents go there: see test_cli_batch).
    (tmp_path / "o").write_text("not a directory")
    code, _, stderr = cli("summarize", str(folder), "--batch", "--out", str(tmp_path / "o"))
    assert code == 2 and "is a file, but several meetings need a folder" in one_line(stderr)
    code, _, stderr = cli("eval", "dev", "--model", "gpt-17", "--no-store")
    assert code == 2 and "--model 'gpt-17' is not in the model registry" in one_line(stderr)
    assert stored_meetings(cli) == []


def test_a_format_alias_still_works(cli: Cli, tmp_path: Path) -> None:
    path = tmp_path / "call.log"
    path.write_text("WEBVTT\n\n00:00.000 --> 00:02.000\n<v Alice>I will send the deck.\n")
    code, stdout, stderr = cli("summarize", str(path), "--format", "WebVTT", "--no-store", "--json")
    assert code == 0, stderr
    assert json.loads(stdout)["participants"] == ["Alice"]


def test_a_missing_config_file_named_by_minutes_config_is_an_error(
    cli: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    missing = tmp_path / "typo.toml"
    monkeypatch.setenv("MINUTES_CONFIG", str(missing))
    code, _, stderr = cli("summarize", "--example", "standup")
    assert code == 2
    assert f"MINUTES_CONFIG names {missing}, but there is no such file" in one_line(stderr)
    monkeypatch.setenv("MINUTES_CONFIG", str(tmp_path))
    code, _, stderr = cli("meetings")
    assert code == 2 and "which is a directory, not a TOML file" in one_line(stderr)


def test_no_config_file_at_the_default_path_is_fine(
    cli: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("MINUTES_CONFIG")
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "nothing-here"))
    code, stdout, stderr = cli("summarize", "--example", "standup", "--no-store")
    assert code == 0, stderr
    assert stdout.startswith("# Platform team stand-up")


def test_since_and_until_say_what_a_date_is(cli: Cli) -> None:
    code, _, stderr = cli("costs", "--since", "2025-02-30")
    assert code == 2
    assert "--since: 2025-02-30 is not a date (YYYY-MM-DD)" in one_line(stderr)


def test_version_and_short_help(cli: Cli) -> None:
    from importlib.metadata import version

    code, stdout, _ = cli("--version")
    assert code == 0 and stdout.strip() == f"minutes {version('minutes')}"
    for args in (["-h"], ["summarize", "-h"], ["batch", "-h"], ["cache", "-h"]):
        code, stdout, _ = cli(*args)
        assert code == 0, args
        assert "Usage:" in stdout and "--help" in stdout, args  # not "No such option: -h"


# --- exit codes -----------------------------------------------------------------------------


def test_not_found_has_its_own_exit_code(cli: Cli) -> None:
    assert NotFound.exit_code == 10 != StoreError.exit_code
    for args, words in (
        (["show", "abcd1234"], "no meeting 'abcd1234'"),
        (["forget", "abcd1234", "--yes"], "no meeting 'abcd1234'"),
        (["done", "99"], "no action item 99"),
        (["done", "xyz"], "'xyz' is neither an action item id"),
        (["batch", "status"], "no batch run"),
        (["batch", "collect", "abc"], "no batch run 'abc'"),
    ):
        code, stdout, stderr = cli(*args)
        assert code == 10, (args, stderr)
        assert words in one_line(stderr), args
        assert stdout == "" and "Traceback" not in stderr


def test_done_accepts_the_ids_and_meeting_prefixes_that_actions_shows(cli: Cli) -> None:
    for example in ("standup", "one_on_one"):
        code, _, stderr = cli("summarize", "--example", example, "--engine", "extractive")
        assert code == 0, stderr
    code, stdout, _ = cli("actions", "--json")
    items = json.loads(stdout)
    by_meeting: dict[str, list[dict[str, object]]] = {}
    for item in items:
        by_meeting.setdefault(str(item["meeting_id"]), []).append(item)
    assert len(by_meeting) == 2 and all(len(v) > 1 for v in by_meeting.values())
    first = items[0]

    # The number in the id column.
    code, _, stderr = cli("done", str(first["id"]))
    assert code == 0 and f"action {first['id']} is done" in one_line(stderr)

    # A meeting prefix as the meeting column shows it names that meeting's one open item,
    # and says which ids to choose from while there are several.
    meeting, meeting_items = next(iter(by_meeting.items()))
    code, _, stderr = cli("done", meeting[:8])
    assert code == 10
    assert f"meeting {meeting[:8]} has {len(meeting_items) - (first in meeting_items)} open" in (
        one_line(stderr)
    )
    for item in meeting_items[:-1]:
        cli("done", str(item["id"]))
    last = meeting_items[-1]
    code, _, stderr = cli("done", meeting[:6])
    assert code == 0, stderr
    assert f"action {last['id']} is done" in one_line(stderr)
    code, _, stderr = cli("done", meeting[:6])
    assert code == 10 and "is done already" in one_line(stderr)
    code, _, stderr = cli("done", meeting[:6], "--undo")
    assert code == 10 and f"has {len(meeting_items)} done action items" in one_line(stderr)


def test_transcripts_that_cannot_be_read_are_transcript_errors(cli: Cli, tmp_path: Path) -> None:
    loop = tmp_path / "loop.vtt"
    loop.symlink_to(loop)
    good = tmp_path / "good.txt"
    good.write_text("Alice: I will send the report by Friday.\n")
    for args, words in (
        ([str(loop)], "symlink loop"),
        ([str(good), str(loop)], "symlink loop"),
        ([str(good), str(tmp_path / "gone.txt")], "no such transcript file or folder"),
    ):
        code, stdout, stderr = cli("summarize", *args)
        assert code == TranscriptError.exit_code == 3, (args, stderr)
        assert words in one_line(stderr) and "not found" not in stderr, args
        assert stdout == ""
    assert stored_meetings(cli) == []


# --- standard input -----------------------------------------------------------------------


VTT = "WEBVTT\n\n00:00.000 --> 00:04.000\n<v Alice>I will send the report to Bob by Friday.\n"


def test_a_dash_reads_the_transcript_from_standard_input(
    cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    import io

    def piped(text: str) -> None:
        monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO(text.encode())))

    piped(VTT)  # sniffed as WebVTT: the voice tag is the speaker
    code, stdout, stderr = cli("summarize", "-", "--json", "--engine", "extractive")
    assert code == 0, stderr
    notes = json.loads(stdout)
    assert notes["title"] == "stdin" and notes["participants"] == ["Alice"]
    assert "stored as" in stderr

    piped(VTT)  # --format decides when given
    code, stdout, stderr = cli("summarize", "-", "--format", "text", "--json", "--no-store")
    assert code == 0, stderr
    assert json.loads(stdout)["participants"] != ["Alice"]

    piped("Alice: hello\n")
    code, stdout, _ = cli("summarize", "-", "--title", "Weekly", "--json", "--no-store")
    assert code == 0 and json.loads(stdout)["title"] == "Weekly"

    piped("")
    code, _, stderr = cli("summarize", "-")
    assert code == 3 and "stdin is empty" in stderr

    code, _, stderr = cli("summarize", "-", "-")
    assert code == 2 and "can only be the one transcript" in one_line(stderr)


def test_notes_that_cannot_be_saved_are_still_printed_then_exit_9(
    cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    from minutes.runs import stored

    def broken_save(*args: object, **kwargs: object) -> str:
        raise StoreError("database error on sqlite:///x.db: disk I/O error")

    monkeypatch.setattr(stored, "_save", broken_save)
    code, stdout, stderr = cli("summarize", "--example", "standup", "--engine", "extractive")
    assert code == 9
    assert "# " in stdout and "Action items" in stdout  # the notes, in full
    assert "the notes could not be saved" in one_line(stderr)
