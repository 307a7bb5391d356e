"""Warm acknowledgement latency: Crewbot's Lambda request handler against a minimal Bolt app with the
same listeners, for a slash command, a button press and a DM, in one process after warm-up.

    .venv/bin/python benchmarks/warm_ack.py [--rounds 2000] [--callgrind]

Each request is signed and goes through Bolt's ``SlackRequestHandler`` as API Gateway delivers it; the
lazy work is handed off, not run (on AWS it is another invocation). Requests alternate between the two
apps so both see the same machine. Prints p50 / p99 per kind and app, and one ``<kind>: ... ratio:``
line per kind (Crewbot's p50 over Bolt's). With ``--callgrind`` (and valgrind installed) it also
counts the instructions one warm acknowledgement of each kind takes in each app, which does not depend
on what else the machine is doing, and prints their ratio.
"""

from __future__ import annotations

import argparse
import gc
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from benchmarks._bolt_apps import LambdaContext, bare_bolt, crewbot, payloads, signed_event  # noqa: E402

#: Requests per kind and app counted under callgrind (after the warm-up).
CALLGRIND_ROUNDS = 40


def build_apps(api: str) -> dict[str, Any]:
    """Both request handlers, against the fake Web API at ``api``."""
    return {"bolt": bare_bolt(api), "crewbot": crewbot(api)}


def timed(apps: dict[str, Any], rounds: int, warmup: int) -> dict[tuple[str, str], list[float]]:
    """Seconds per acknowledgement, by app and kind, after ``warmup`` rounds."""
    context = LambdaContext()
    kinds = list(payloads(0))
    timings: dict[tuple[str, str], list[float]] = {(app, kind): [] for app in apps for kind in kinds}
    for n in range(warmup + rounds):
        requests = payloads(n + 1)
        for kind in kinds:
            body, content_type = requests[kind]
            order = ("bolt", "crewbot") if n % 2 else ("crewbot", "bolt")
            for app in order:
                event = signed_event(body, content_type)
                started = time.perf_counter()
                response = apps[app].handle(event, context)
                elapsed = time.perf_counter() - started
                if response["statusCode"] != 200:
                    raise SystemExit(f"{app} answered {response['statusCode']} to a {kind}: {response}")
                if n >= warmup:
                    timings[(app, kind)].append(elapsed)
    return timings


def counted_child(apps: dict[str, Any], warmup: int) -> None:
    """Under ``valgrind --dump-before=getppid``: warm up, then run each app's requests of each kind
    between two ``os.getppid()`` calls, so each block is a profile part of its own (in this order)."""
    context = LambdaContext()
    for n in range(warmup):
        for body, content_type in payloads(n + 1).values():
            for app in apps.values():
                app.handle(signed_event(body, content_type), context)
    # A full collection scans every object both runtimes hold; one landing in a block would be counted
    # against whichever app it interrupted. Young collections (the requests' own garbage) still run.
    gc.collect()
    gc.freeze()
    for kind in payloads(0):
        for app in apps.values():
            # Signing and building the events happens outside the counted block.
            events = [signed_event(*payloads(warmup + 1 + i)[kind]) for i in range(CALLGRIND_ROUNDS)]
            os.getppid()
            for event in events:
                app.handle(event, context)
    os.getppid()


def instructions(api: str, home: str, out: Path) -> dict[tuple[str, str], float]:
    """Instructions per acknowledgement, by app and kind, from one run under callgrind."""
    log = out / "warm.callgrind"
    done = subprocess.run(
        [
            "valgrind",
            "--tool=callgrind",
            "--dump-before=getppid",
            f"--callgrind-out-file={log}",
            sys.executable,
            __file__,
            "--counted-child",
            api,
        ],
        capture_output=True,
        text=True,
        env={**os.environ, "CREWBOT_HOME": home},
        cwd=REPO,
        timeout=1800,
    )
    if done.returncode != 0:
        raise SystemExit(f"the callgrind run failed:\n{done.stderr[-3000:]}")
    parts: dict[int, int] = {}
    for path in out.glob("warm.callgrind*"):
        part = total = None
        for line in path.read_text(errors="replace").splitlines():
            if line.startswith("part:"):
                part = int(line.split()[1])
            elif line.startswith(("summary:", "totals:")):
                total = int(line.split()[1])
        if part is not None and total is not None:
            parts[part] = total
    # Part 1 is the start and warm-up, then one part per (kind, app) block in counted_child's order,
    # then the interpreter's exit.
    blocks = [(kind, app) for kind in payloads(0) for app in ("bolt", "crewbot")]
    if sorted(parts) != list(range(1, len(blocks) + 3)):
        raise SystemExit(f"expected callgrind parts 1..{len(blocks) + 2}, found {sorted(parts)}")
    return {(app, kind): parts[i + 2] / CALLGRIND_ROUNDS for i, (kind, app) in enumerate(blocks)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=2000)
    parser.add_argument("--warmup", type=int, default=100)
    parser.add_argument("--callgrind", action="store_true", help="also count instructions with valgrind")
    parser.add_argument("--counted-child", metavar="API", help=argparse.SUPPRESS)
    args = parser.parse_args()
    from bot.emulator.fake_slack import FakeSlack

    if args.counted_child:
        counted_child(build_apps(args.counted_child), warmup=20)
        return 0
    fake = FakeSlack(token="xoxb-bench-token").start()
    with tempfile.TemporaryDirectory() as home:
        os.environ["CREWBOT_HOME"] = home
        timings = timed(build_apps(fake.base_url), args.rounds, args.warmup)
        counts: dict[tuple[str, str], float] = {}
        if args.callgrind:
            if shutil.which("valgrind"):
                counted_home = Path(home) / "callgrind"
                counted_home.mkdir()
                counts = instructions(fake.base_url, str(counted_home), Path(home))
            else:
                print("warm ack instructions: valgrind not installed, skipped")
    fake.stop()
    for kind in payloads(0):
        line = []
        for app in ("bolt", "crewbot"):
            values = sorted(timings[(app, kind)])
            p99 = values[int(len(values) * 0.99) - 1]
            line.append(f"{app} p50 {statistics.median(values) * 1000:.3f} ms p99 {p99 * 1000:.3f} ms")
        ratio = statistics.median(timings[("crewbot", kind)]) / statistics.median(timings[("bolt", kind)])
        print(f"warm ack, {kind}: {'; '.join(line)} ratio: {ratio:.2f}")
    for kind in payloads(0) if counts else ():
        bolt, ours = counts[("bolt", kind)], counts[("crewbot", kind)]
        print(f"warm ack instructions, {kind}: bolt {bolt:,.0f} crewbot {ours:,.0f} ratio: {ours / bolt:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
