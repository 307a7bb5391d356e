"""Warm acknowledgement latency: Crewbot's Lambda request handler against a minimal Bolt app with the
same listeners, for a slash command, a button press and a DM, in one process after warm-up.

    .venv/bin/python benchmarks/warm_ack.py [--rounds 2000]

Each request is signed and goes through Bolt's ``SlackRequestHandler`` as API Gateway delivers it; the
lazy work is handed off, not run (on AWS it is another invocation). Requests alternate between the two
apps so both see the same machine. Prints p50 / p99 per kind and app, and one ``ratio:`` line per kind
(Crewbot's p50 over Bolt's).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks._bolt_apps import LambdaContext, bare_bolt, crewbot, payloads, signed_event


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=2000)
    parser.add_argument("--warmup", type=int, default=100)
    args = parser.parse_args()
    from bot.emulator.fake_slack import FakeSlack

    fake = FakeSlack(token="xoxb-bench-token").start()
    with tempfile.TemporaryDirectory() as home:
        os.environ["CREWBOT_HOME"] = home
        apps = {"bolt": bare_bolt(fake.base_url), "crewbot": crewbot(fake.base_url)}
        context = LambdaContext()
        kinds = list(payloads(0))
        timings: dict[tuple[str, str], list[float]] = {(app, kind): [] for app in apps for kind in kinds}
        for n in range(args.warmup + args.rounds):
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
                    if n >= args.warmup:
                        timings[(app, kind)].append(elapsed)
    fake.stop()
    for kind in kinds:
        line = []
        for app in apps:
            values = sorted(timings[(app, kind)])
            p99 = values[int(len(values) * 0.99) - 1]
            line.append(f"{app} p50 {statistics.median(values) * 1000:.3f} ms p99 {p99 * 1000:.3f} ms")
        ratio = statistics.median(timings[("crewbot", kind)]) / statistics.median(timings[("bolt", kind)])
        print(f"warm ack, {kind}: {'; '.join(line)} ratio: {ratio:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
