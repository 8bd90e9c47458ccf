"""Time and peak memory of one extractive run as the transcript grows, 10 KB to 10 MB.

    python bench/scaling.py [--sizes 10K,100K,1M,10M] [--repeated 1M] [--api]
                            [--timeout 900] [--keep DIR] [--profile SIZE]

Each size is a plain-text transcript (``[hh:mm:ss] Speaker: text`` lines) built from the
bundled examples and the AMI meetings in ../shared/data/ami-dev, concatenated and lightly
varied per copy (other speaker names, other figures, a few words swapped), so that a long
transcript has many speakers and few verbatim repeats, as a day of real meetings would.
``--repeated`` adds the pathological case of issue 14: one meeting (the bundled incident
review) repeated verbatim, where every item has hundreds of exact twins.

Every run is its own process (``minutes summarize FILE --engine extractive --no-store -o
json``, or with ``--api`` the Python API with the extractive engine), started by a small
launcher so that its peak memory (``ru_maxrss`` of that child, from ``os.wait4``) is its
own; a run past ``--timeout`` is stopped and shown as such. The table shows wall time, the
run's CPU time, peak memory and, per 10x of input, how much CPU time and memory grew:
near-linear work gives about 10x; a quadratic step shows as up to 100x. The first row is a
one-line transcript: the start-up cost (imports, about 80 MB) that the small sizes are
mostly made of.

``--profile SIZE`` runs that size once in this process under cProfile and prints the
functions that took the most time, to find what dominates.
"""

from __future__ import annotations

import argparse
import cProfile
import json
import math
import os
import pstats
import random
import re
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
AMI_DIR = REPO.parent / "shared" / "data" / "ami-dev"
EXAMPLES = REPO / "src" / "minutes" / "examples"
HEADER = "Title: Scaling benchmark\nDate: 2026-03-11\n\n"

_FIRST = """Ada Ben Chloe Dev Elif Farid Greta Hiro Ines Jonas Kemal Lena Marco Nadia Omar Priya
Quinn Rosa Sven Tariq Uma Vera Wen Xavier Yara Zoe Aiko Bruno Carmen Dmitri Esther Felix
Gita Hugo Ivy Jamal Katya Luis Mina Noor""".split()  # noqa: SIM905
_LAST = """Adams Bauer Costa Dubois Eriksen Fischer Garcia Hansen Ivanova Jensen Kowalski Lopez
Moreau Nakamura Okafor Petrov Quinlan Rossi Silva Tanaka Ueda Varga Weber Xu Yilmaz
Zimmermann""".split()  # noqa: SIM905
# Light variation: the same kind of sentence about other things, so that copies of a
# meeting are alike as real meetings are, not equal.
_SWAPS: dict[str, tuple[str, ...]] = {
    "remote": ("controller", "handset", "device"),
    "button": ("key", "switch", "control"),
    "buttons": ("keys", "switches", "controls"),
    "design": ("layout", "concept", "prototype"),
    "meeting": ("session", "call", "review"),
    "project": ("programme", "initiative", "product"),
    "price": ("cost", "budget", "fee"),
    "customer": ("client", "user", "buyer"),
    "customers": ("clients", "users", "buyers"),
    "report": ("summary", "write-up", "memo"),
    "team": ("group", "squad", "crew"),
    "Monday": ("Tuesday", "Wednesday", "Thursday", "Friday"),
    "Friday": ("Monday", "Tuesday", "Wednesday", "Thursday"),
    "tomorrow": ("today", "next week", "on Friday"),
    "deck": ("slides", "presentation", "proposal"),
    "release": ("launch", "rollout", "version"),
}
_WORD = re.compile(r"[A-Za-z]+|\d+")


@dataclass(frozen=True)
class Meeting:
    name: str
    turns: list[tuple[str, str]]  # (speaker, text), consecutive rows of a speaker merged


def _ami_meetings() -> list[Meeting]:
    out: list[Meeting] = []
    for path in sorted(AMI_DIR.glob("*.json")):
        if path.name.endswith(".labels.json"):
            continue
        turns: list[tuple[str, str]] = []
        for row in json.loads(path.read_text()):
            speaker, text = str(row.get("speaker") or "Speaker"), str(row.get("text") or "")
            if turns and turns[-1][0] == speaker:
                turns[-1] = (speaker, f"{turns[-1][1]} {text}")
            else:
                turns.append((speaker, text))
        out.append(Meeting(path.stem, turns))
    return out


_REPEATED = "incident_review"  # the bundled example with the most items


def _example_meetings() -> list[Meeting]:
    # The public loader reads every bundled format; only the turns are kept.
    from minutes.transcripts import load_transcript

    out: list[Meeting] = []
    for path in sorted(EXAMPLES.iterdir()):
        if path.suffix not in {".txt", ".srt", ".vtt", ".json"}:
            continue
        t = load_transcript(path)
        out.append(Meeting(path.stem, [(s.speaker or "Speaker", s.text) for s in t.segments]))
    return out


def _vary(text: str, rng: random.Random) -> str:
    """``text`` with other figures and, now and then, a word swapped for a like one."""

    def one(m: re.Match[str]) -> str:
        word = m.group(0)
        if word.isdigit():
            return str(max(1, int(word) + rng.randint(-3, 9)))
        swaps = _SWAPS.get(word)
        return rng.choice(swaps) if swaps and rng.random() < 0.5 else word

    return _WORD.sub(one, text)


def _clock(seconds: float) -> str:
    s = int(seconds)
    return f"[{s // 3600:02d}:{s % 3600 // 60:02d}:{s % 60:02d}]"


def _lines(meetings: list[Meeting], *, varied: bool, seed: int) -> Iterator[str]:
    """Transcript lines forever: the meetings in a shuffled order, each copy varied."""
    rng = random.Random(seed)
    clock = 0.0
    copy = 0
    while True:
        order = list(meetings)
        if varied:
            rng.shuffle(order)
        for meeting in order:
            copy += 1
            roles = dict.fromkeys(speaker for speaker, _ in meeting.turns)
            if varied:
                # A new cast per copy: a long transcript has many speakers, as a day of
                # meetings has.
                names = {r: f"{rng.choice(_FIRST)} {rng.choice(_LAST)}" for r in roles}
            else:
                names = {r: r for r in roles}
            for speaker, text in meeting.turns:
                said = _vary(text, rng) if varied and copy > 1 else text
                if not said.strip():
                    continue
                yield f"{_clock(clock)} {names[speaker]}: {' '.join(said.split())}\n"
                clock += 4.0 + len(said) / 15


def build(size: int, *, varied: bool = True, seed: int = 14) -> str:
    """A transcript of about ``size`` bytes (cut at a line)."""
    examples = _example_meetings()
    # the repeated case: one meeting with many items (the incident review's eight)
    meetings = (
        examples + _ami_meetings() if varied else [m for m in examples if m.name == _REPEATED]
    )
    parts = [HEADER]
    total = len(HEADER.encode())
    for line in _lines(meetings, varied=varied, seed=seed):
        n = len(line.encode())
        if total + n > size and total > len(HEADER):
            break
        parts.append(line)
        total += n
    return "".join(parts)


def _size(text: str) -> int:
    m = re.fullmatch(r"(\d+(?:\.\d+)?)\s*([KMG]?)B?", text.strip().upper())
    if not m:
        raise argparse.ArgumentTypeError(f"{text!r} is not a size such as 10K, 1M")
    return int(float(m.group(1)) * {"": 1, "K": 1000, "M": 1000**2, "G": 1000**3}[m.group(2)])


@dataclass
class Result:
    label: str
    size: int
    lines: int
    wall_s: float
    cpu_s: float  # the run's own CPU time: what a shared, busy machine does not inflate
    peak_mb: float
    status: str  # "ok", "exit N", "timeout"
    items: str  # "kp/ai/dec" from the notes


# Each run goes through a small launcher, a fresh interpreter that starts the summary and
# reports its rusage: a child forked straight from this process (which holds the built
# transcripts) counts this process's memory in its ``ru_maxrss``.
_LAUNCHER = """
import json, os, subprocess, sys, time
started = time.perf_counter()
with open(sys.argv[1], "wb") as out:
    child = subprocess.Popen(sys.argv[2:], stdout=out, stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(child.pid, 0)
wall = time.perf_counter() - started
code = os.waitstatus_to_exitcode(status)
cpu = usage.ru_utime + usage.ru_stime
print(json.dumps({"code": code, "maxrss": usage.ru_maxrss, "wall": wall, "cpu": cpu}))
"""

_API = """
import json, sys
from minutes.extractive import summarize_extractive
from minutes.transcripts import load_transcript
notes = summarize_extractive(load_transcript(sys.argv[1]))
sys.stdout.write(notes.model_dump_json())
"""


def run_one(label: str, path: Path, *, api: bool, timeout: float) -> Result:
    """Run one summary in a child process; its wall time and its own peak memory."""
    if api:
        cmd = [sys.executable, "-c", _API, str(path)]
    else:
        cmd = [sys.executable, "-m", "minutes", "summarize", str(path)]
        cmd += ["--engine", "extractive", "--no-store", "-o", "json"]
    out_path = path.with_suffix(".notes.json")
    started = time.perf_counter()
    launcher = subprocess.Popen(
        [sys.executable, "-c", _LAUNCHER, str(out_path), *cmd],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        start_new_session=True,  # so that a timeout can stop the launcher and the run
    )
    try:
        report, _ = launcher.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(launcher.pid, signal.SIGKILL)
        launcher.communicate()
        wall = time.perf_counter() - started
        size, lines = path.stat().st_size, _lines_of(path)
        return Result(label, size, lines, wall, math.nan, math.nan, "timeout", "-")
    run = json.loads(report)
    status = "ok" if run["code"] == 0 else f"exit {run['code']}"
    items = "-"
    if status == "ok":
        try:
            notes = json.loads(out_path.read_text())
            items = "/".join(
                str(len(notes[k])) for k in ("key_points", "action_items", "decisions")
            )
        except (ValueError, KeyError):
            status = "bad output"
    # ru_maxrss is in kilobytes on Linux (bytes on macOS).
    peak = run["maxrss"] / (1024 * 1024 if sys.platform == "darwin" else 1024)
    size, lines = path.stat().st_size, _lines_of(path)
    return Result(label, size, lines, run["wall"], run["cpu"], peak, status, items)


def _lines_of(path: Path) -> int:
    with path.open("rb") as f:
        return sum(chunk.count(b"\n") for chunk in iter(lambda: f.read(1 << 20), b""))


def _growth(a: float, b: float, size_a: int, size_b: int) -> str:
    """How much ``b`` is of ``a``, scaled to a 10x step of input size."""
    if not (a > 0 and b > 0) or size_b <= size_a:  # (not NaN either: a run stopped)
        return ""
    return f"{(b / a) ** (math.log(10) / math.log(size_b / size_a)):.1f}x"


def print_table(results: list[Result]) -> None:
    head = (
        f"{'transcript':<22} {'bytes':>10} {'lines':>7} {'wall s':>8} {'cpu s':>8} {'x/10x':>7} "
        f"{'peak MB':>8} {'x/10x':>7} {'kp/ai/dec':>11}  status"
    )
    print(head)
    print("-" * len(head))
    prev: Result | None = None
    for r in results:
        grow_t = grow_m = ""
        # Growth only along the varied series, and not from the start-up row; time by CPU
        # seconds, which other work on the machine does not inflate as it does wall time.
        if prev is not None and r.label.startswith("varied") and prev.label.startswith("varied"):
            grow_t = _growth(prev.cpu_s, r.cpu_s, prev.size, r.size)
            grow_m = _growth(prev.peak_mb, r.peak_mb, prev.size, r.size)
        print(
            f"{r.label:<22} {r.size:>10,} {r.lines:>7,} {r.wall_s:>8.2f} {r.cpu_s:>8.2f} "
            f"{grow_t:>7} {r.peak_mb:>8.0f} {grow_m:>7} {r.items:>11}  {r.status}"
        )
        prev = r


def profile(size: int, top: int = 25) -> None:
    """One run of ``size`` in this process under cProfile: where the time goes."""
    from minutes.extractive import summarize_extractive
    from minutes.transcripts import parse_transcript

    text = build(size)
    profiler = cProfile.Profile()
    profiler.enable()
    transcript = parse_transcript(text, name="scaling.txt")
    summarize_extractive(transcript)
    profiler.disable()
    stats = pstats.Stats(profiler).strip_dirs().sort_stats("cumulative")
    stats.print_stats(top)
    stats.sort_stats("tottime").print_stats(top)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--sizes", default="10K,100K,1M,10M", help="comma-separated sizes (default %(default)s)"
    )
    parser.add_argument(
        "--repeated",
        default="1M",
        help="size of the one-meeting-repeated case; 0 leaves it out (default %(default)s)",
    )
    parser.add_argument("--api", action="store_true", help="the Python API instead of the CLI")
    parser.add_argument("--timeout", type=float, default=900, help="seconds per run")
    parser.add_argument("--keep", type=Path, help="write the transcripts here and keep them")
    parser.add_argument("--profile", type=_size, metavar="SIZE", help="profile one size")
    args = parser.parse_args()
    if not AMI_DIR.is_dir():
        raise SystemExit(f"AMI meetings not found at {AMI_DIR}")
    if args.profile:
        profile(args.profile)
        return

    sizes = [_size(s) for s in args.sizes.split(",") if s.strip()]
    repeated = _size(args.repeated)
    with tempfile.TemporaryDirectory(prefix="minutes-scaling-") as tmp:
        folder = args.keep or Path(tmp)
        folder.mkdir(parents=True, exist_ok=True)
        cases: list[tuple[str, str]] = [
            ("start-up (1 line)", HEADER + "[00:00:01] Ada Costa: Hello everyone.\n")
        ]
        cases += [(f"varied {s / 1000:g} KB", build(s)) for s in sizes]
        if repeated:
            cases.append((f"repeated {repeated / 1000:g} KB", build(repeated, varied=False)))
        results: list[Result] = []
        for n, (label, text) in enumerate(cases):
            path = folder / f"scaling-{n}.txt"
            path.write_text(text)
            result = run_one(label, path, api=args.api, timeout=args.timeout)
            print(
                f"  {label}: {result.wall_s:.2f} s ({result.cpu_s:.2f} s CPU), "
                f"{result.peak_mb:.0f} MB, {result.status}",
                file=sys.stderr,
                flush=True,
            )
            results.append(result)
    how = "Python API" if args.api else "minutes summarize --engine extractive --no-store -o json"
    print(f"\n{how}; {os.cpu_count()} CPUs; timeout {args.timeout:g} s per run\n")
    print_table(results)


if __name__ == "__main__":
    main()
