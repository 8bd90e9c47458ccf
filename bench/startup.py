"""Start-up time of the CLI and the package, beside the floor (``import typer, rich``).

    python bench/startup.py [--runs 7]

Each command runs ``--runs`` times in a fresh process (after one warm-up run that fills the
OS file cache); the table shows the median and the fastest wall time, and the median as a
multiple of the floor's. The summarize row is the extractive engine on a bundled example
with nothing stored, so it measures what a user without a key waits for.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

PY = sys.executable
MINUTES = shutil.which("minutes") or "minutes"

COMMANDS: list[tuple[str, list[str]]] = [
    ("floor: python -c 'import typer, rich'", [PY, "-c", "import typer, rich"]),
    ("python -c 'import minutes'", [PY, "-c", "import minutes"]),
    ("minutes --help", [MINUTES, "--help"]),
    ("minutes models", [MINUTES, "models"]),
    (
        "minutes summarize --example standup --no-store (extractive)",
        [MINUTES, "summarize", "--example", "standup", "--no-store"],
    ),
]


def _time(argv: list[str], env: dict[str, str]) -> float:
    started = time.perf_counter()
    done = subprocess.run(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    elapsed = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(argv)} failed: {done.stderr.decode()[-500:]}")
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as home:
        # No provider keys and an empty config: what a new user gets (extractive engine).
        env = {
            k: v
            for k, v in os.environ.items()
            if not k.endswith("_API_KEY") and not k.startswith("MINUTES_")
        }
        config = os.path.join(home, "config.toml")
        open(config, "w").close()  # an empty config file: a named missing one is an error
        env |= {"MINUTES_CONFIG": config, "HOME": home}
        rows = []
        for name, argv in COMMANDS:
            _time(argv, env)  # warm the file cache
            times = [_time(argv, env) for _ in range(args.runs)]
            rows.append((name, statistics.median(times), min(times)))
    floor = rows[0][1]
    width = max(len(r[0]) for r in rows)
    print(f"{'command':<{width}}  {'median':>8}  {'fastest':>8}  {'x floor':>7}")
    for name, median, fastest in rows:
        print(f"{name:<{width}}  {median:>7.3f}s  {fastest:>7.3f}s  {median / floor:>7.1f}")


if __name__ == "__main__":
    main()
