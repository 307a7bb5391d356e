"""Benchmark: how fast the Lambda entry point acknowledges Slack (prints figures; asserts nothing).

    .venv/bin/python -m tests.slack.bench_ack [--rounds 200]

* cold start: a fresh interpreter imports ``bot.entrypoints.slack``, builds the runtime (config,
  plugins, Bolt app) and acknowledges one slash command; the lazy re-invocation is not run (on AWS it
  is a separate invocation). Reported with the modules of the agent stack it did not import.
* warm: acknowledgement latency of a lazy slash command and of a DM event through the same handler,
  with the lazy work handed off (not waited for), p50 / p95 / max.
* emulator: a whole `/crewbot help` turn in the local emulator (signed request, ack, lazy listener on
  a background thread, response_url post to the fake Slack API), p50 / p95.

Slack's limit is 3 seconds for the acknowledgement, cold start included.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from tests.slack.test_lambda_entry import COLD_START

REPO = Path(__file__).resolve().parents[2]


class _HandOff:
    """A Lambda client that only records the lazy invocation (the ack path is what is measured)."""

    def invoke(self, **kwargs: object) -> dict[str, int]:
        return {"StatusCode": 202}


def cold_start() -> dict[str, object]:
    with tempfile.TemporaryDirectory() as home:
        env = {
            **os.environ,
            "CREWBOT_HOME": home,
            "SLACK_SIGNING_SECRET": "bench-secret",
            "SLACK_BOT_TOKEN": "xoxb-cold-start-test",
        }
        started = time.perf_counter()
        done = subprocess.run(
            [sys.executable, "-c", COLD_START, "bench-secret"],
            capture_output=True,
            text=True,
            env=env,
            cwd=REPO,
            timeout=120,
            check=True,
        )
        total = time.perf_counter() - started
    result = json.loads(done.stdout.strip().splitlines()[-1])
    result["process_seconds"] = total
    return result


def warm(rounds: int) -> dict[str, list[float]]:
    from slack_sdk import WebClient

    from bot.emulator.fake_slack import FakeSlack
    from bot.emulator.payloads import LambdaContext, PayloadBuilder, lambda_event, sign
    from bot.entrypoints.slack import build_request_handler
    from bot.runtime import start

    with tempfile.TemporaryDirectory() as home:
        fake = FakeSlack(token="xoxb-bench").start()
        crewbot = start(environ={**os.environ, "CREWBOT_HOME": home}, setup_logging=False)
        handler = build_request_handler(
            crewbot,
            signing_secret="bench-secret",
            lambda_client=_HandOff(),
            client=WebClient(token=fake.token, base_url=fake.base_url),
        )
        payloads = PayloadBuilder(team_id=fake.team_id)
        timings: dict[str, list[float]] = {"slash command": [], "DM event": []}
        for i in range(rounds):
            command = payloads.slash_command(
                command="/crewbot",
                text="help",
                user_id="UBENCH",
                user_name="bench",
                channel_id="DBENCH",
                channel_name="directmessage",
                response_url=fake.new_response_url("DBENCH", "UBENCH"),
                trigger_id=f"{i}.1",
            )
            event = payloads.event_callback(
                {
                    "type": "message",
                    "channel_type": "im",
                    "channel": "DBENCH",
                    "user": "UBENCH",
                    "text": "hi",
                    "ts": f"1700000000.{i:06d}",
                }
            )
            for name, (body, content_type) in (("slash command", command), ("DM event", event)):
                request = lambda_event(body, content_type, sign("bench-secret", body))
                started = time.perf_counter()
                response = handler.handle(request, LambdaContext())
                timings[name].append(time.perf_counter() - started)
                assert response["statusCode"] == 200, response
        fake.stop()
        crewbot.close()
        return timings


def emulator_turns(rounds: int) -> list[float]:
    from bot.emulator import Emulator

    with tempfile.TemporaryDirectory() as home, Emulator.start(home) as emulator:
        timings = []
        for _ in range(rounds):
            started = time.perf_counter()
            emulator.command("/crewbot help")
            timings.append(time.perf_counter() - started)
        return timings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=200)
    args = parser.parse_args()
    cold = cold_start()
    print(
        f"cold start: first ack in {cold['seconds'] * 1000:.0f} ms after import "
        f"(whole process {float(str(cold['process_seconds'])) * 1000:.0f} ms); "
        f"status {cold['status']}; agent stack imported: {cold['heavy'] or 'none'}"
    )
    for name, values in warm(args.rounds).items():
        ms = sorted(v * 1000 for v in values)
        p95 = ms[int(len(ms) * 0.95) - 1]
        print(
            f"warm ack, {name}: p50 {statistics.median(ms):.2f} ms, p95 {p95:.2f} ms, max {ms[-1]:.2f} ms "
            f"({len(ms)} requests)"
        )
    turns = sorted(v * 1000 for v in emulator_turns(max(20, args.rounds // 4)))
    print(
        f"emulator turn (/crewbot help, lazy listener included): p50 {statistics.median(turns):.1f} ms, "
        f"p95 {turns[int(len(turns) * 0.95) - 1]:.1f} ms ({len(turns)} turns)"
    )


if __name__ == "__main__":
    main()
