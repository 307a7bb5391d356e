"""Cold start: a fresh process imports its Slack handler, builds it and acknowledges one signed slash
command — Crewbot's Lambda entry point as deployed against a minimal Bolt app with the same listener,
same payload.

    .venv/bin/python benchmarks/cold_start.py [--runs 15] [--callgrind] [--aws]

Crewbot runs ``bot.entrypoints.slack.handler`` with the Slack routing snapshot that ``make package``
ships in the function, written here once before timing (``write_slack_routes``, as ``make package``
does). Runs the two as fresh interpreters, interleaved, ``--runs`` times each, and prints min / median
wall time per app and their ratio; with ``--callgrind`` (and valgrind installed) also the
instruction-count ratio of one run each, which does not depend on what else the machine is doing.

With ``--aws`` Crewbot runs as in ``runtime: aws``: JSON logs, and both Slack secrets read from Secrets
Manager (moto's server on localhost stands in for it; the minimal Bolt app keeps reading them from the
environment), and both apps create the boto3 Lambda client Bolt's adapter creates for the lazy
re-invocation in AWS (not called).
"""

from __future__ import annotations

import argparse
import json
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

from benchmarks._bolt_apps import SECRET, payloads, signed_event  # noqa: E402

CHILD = r"""
import json, sys
sys.path.insert(0, sys.argv[2])
event = json.loads(sys.stdin.read())
from benchmarks._bolt_apps import HandOff, LambdaContext, bare_bolt, crewbot_packaged
if sys.argv[1] == "bolt":
    response = bare_bolt(sys.argv[3]).handle(event, LambdaContext())
else:
    response = crewbot_packaged(sys.argv[4], sys.argv[3])(event, LambdaContext())
assert response["statusCode"] == 200, response
assert HandOff.calls == 1, "the work was handed to a lazy listener"
print(json.dumps({"status": response["statusCode"], "modules": len(sys.modules)}))
"""


#: Where the setup step writes the routing snapshot (``make package`` writes the same file into the function).
SNAPSHOT: dict[str, str] = {}
#: Extra environment of the Crewbot side (``--aws``).
CREWBOT_ENV: dict[str, str] = {}


def run_once(app: str, event: dict, home: str, api: str, wrapper: list[str] | None = None) -> tuple[float, dict]:
    env = {**os.environ, "CREWBOT_HOME": home, "SLACK_BOT_TOKEN": "xoxb-bench-token", "SLACK_SIGNING_SECRET": SECRET}
    if CREWBOT_ENV:
        env.update({k: v for k, v in CREWBOT_ENV.items() if k != "CREWBOT_RUNTIME"}, BENCH_LAMBDA_CLIENT="1")
        if app == "crewbot":
            env["CREWBOT_RUNTIME"] = CREWBOT_ENV["CREWBOT_RUNTIME"]
            for name in ("SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET"):
                del env[name]
    started = time.perf_counter()
    done = subprocess.run(
        [*(wrapper or []), sys.executable, "-c", CHILD, app, str(REPO), api, SNAPSHOT["file"]],
        input=json.dumps(event),
        capture_output=True,
        text=True,
        env=env,
        cwd=REPO,
        timeout=600,
    )
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"{app} failed:\n{done.stderr[-3000:]}")
    return seconds, json.loads(done.stdout.strip().splitlines()[-1])


def instructions(app: str, event: dict, home: str, api: str, out: Path) -> int:
    log = out / f"{app}.callgrind"
    run_once(app, event, home, api, ["valgrind", "--tool=callgrind", f"--callgrind-out-file={log}"])
    for line in log.read_text(errors="replace").splitlines():
        if line.startswith("summary:") or line.startswith("totals:"):
            return int(line.split()[1])
    raise SystemExit(f"no instruction total in {log}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--callgrind", action="store_true", help="also count instructions with valgrind")
    parser.add_argument("--aws", action="store_true", help="Crewbot in runtime aws, secrets from Secrets Manager")
    args = parser.parse_args()
    body, content_type = payloads(1)["slash command"]
    timings: dict[str, list[float]] = {"bolt": [], "crewbot": []}
    modules: dict[str, int] = {}
    # Both apps call auth.test on their first request (Bolt's authorization): a local fake Web API answers.
    from bot.emulator.fake_slack import FakeSlack

    fake = FakeSlack(token="xoxb-bench-token").start()
    api = fake.base_url
    with tempfile.TemporaryDirectory() as tmp:
        from bot.deploy.package import write_slack_routes

        SNAPSHOT["file"] = str(write_slack_routes(Path(tmp)))  # setup, not timed
        moto = _secrets_manager(SNAPSHOT["file"]) if args.aws else None
        for run in range(args.runs + 1):
            for app in ("bolt", "crewbot") if run % 2 else ("crewbot", "bolt"):
                home = Path(tmp) / f"{app}-{run}"
                home.mkdir()
                seconds, result = run_once(app, signed_event(body, content_type), str(home), api)
                modules[app] = result["modules"]
                if run:  # the first round warms the OS file cache for both
                    timings[app].append(seconds)
        for app, label in (("bolt", "minimal Bolt app"), ("crewbot", "Crewbot (routing snapshot)")):
            values = timings[app]
            print(
                f"{label}: min {min(values) * 1000:.0f} ms, median {statistics.median(values) * 1000:.0f} ms "
                f"over {len(values)} fresh processes; {modules[app]} modules loaded"
            )
        ratio_min = min(timings["crewbot"]) / min(timings["bolt"])
        ratio_median = statistics.median(timings["crewbot"]) / statistics.median(timings["bolt"])
        print(f"cold first ack (process start to ack), min: ratio: {ratio_min:.2f}")
        print(f"cold first ack (process start to ack), median: ratio: {ratio_median:.2f}")
        if args.callgrind:
            if not shutil.which("valgrind"):
                print("cold first ack instructions: valgrind not installed, skipped")
            else:
                home = Path(tmp) / "callgrind"
                home.mkdir()
                counts = {
                    app: instructions(app, signed_event(body, content_type), str(home), api, Path(tmp))
                    for app in timings
                }
                print(
                    f"cold first ack instructions: Crewbot {counts['crewbot']:,}, minimal Bolt {counts['bolt']:,} "
                    f"ratio: {counts['crewbot'] / counts['bolt']:.2f}"
                )
        if moto is not None:
            moto.stop()
    fake.stop()
    return 0


def _secrets_manager(snapshot_file: str) -> Any:
    """moto's server holding the two Slack secrets where the snapshot says they are; sets :data:`CREWBOT_ENV`."""
    import boto3
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    CREWBOT_ENV.update(
        {
            "CREWBOT_RUNTIME": "aws",
            "AWS_ENDPOINT_URL": f"http://{host}:{port}",
            "AWS_DEFAULT_REGION": "eu-west-1",
            "AWS_ACCESS_KEY_ID": "bench",
            "AWS_SECRET_ACCESS_KEY": "bench",
        }
    )
    manager = boto3.client(
        "secretsmanager",
        endpoint_url=CREWBOT_ENV["AWS_ENDPOINT_URL"],
        region_name="eu-west-1",
        aws_access_key_id="bench",
        aws_secret_access_key="bench",
    )
    secrets = json.loads(Path(snapshot_file).read_text())["secrets"]
    manager.create_secret(Name=secrets["slack_signing_secret"]["aws_name"], SecretString=SECRET)
    manager.create_secret(Name=secrets["slack_bot_token"]["aws_name"], SecretString="xoxb-bench-token")
    return server


if __name__ == "__main__":
    sys.exit(main())
