"""Benchmark of meeting preparation on the local runtime (prints figures; asserts nothing).

    .venv/bin/python benchmarks/meeting_prep.py [USERS]

* the calendar monitor for USERS users (default 50) on the shipped sample calendar: the first run (every
  meeting new, prep events, workflows up to the notification) and a steady-state run (nothing changed);
* one prep in the emulator: event → notification, and the chat's "done" → materials delivered (the
  GenerateMaterials / StoreMaterials / SendMaterials / ScheduleReminder half of the workflow).
"""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def main() -> None:
    from bot.emulator import Emulator
    from plugins.meeting_prep.monitor import CalendarMonitor
    from plugins.meeting_prep.settings import monitor_options

    users = int(sys.argv[1]) if len(sys.argv) > 1 else 50
    with tempfile.TemporaryDirectory() as home:
        environ = {**os.environ, "CREWBOT_HOME": home}
        emulator = Emulator.start(environ=environ)
        crewbot = emulator.crewbot
        try:
            for index in range(users):
                crewbot.records.users.get_or_create(f"UBENCH{index:04d}")
            monitor = CalendarMonitor(crewbot, monitor_options(crewbot))
            began = time.perf_counter()
            report = monitor.run()
            first = time.perf_counter() - began
            totals = report.totals()
            began = time.perf_counter()
            steady = monitor.run().totals()
            second = time.perf_counter() - began
            print(
                f"monitor, {users} users, first run: {first:.2f} s ({first / users * 1000:.0f} ms/user); "
                f"{totals['new']} meetings, {totals['prep_events']} prep events and workflows to the notification"
            )
            print(
                f"monitor, {users} users, steady state: {second:.2f} s ({second / users * 1000:.0f} ms/user); "
                f"{steady['unchanged']} unchanged"
            )

            notify, deliver = [], []
            for round_ in range(5):
                emulator.act_as(f"bench{round_}")
                began = time.perf_counter()
                emulator.command("/prep sync")
                notify.append(time.perf_counter() - began)
                emulator.click("Start prep")
                began = time.perf_counter()
                turn = emulator.dm("done")
                deliver.append(time.perf_counter() - began)
                assert "Materials ready" in turn.text, turn.text
            print(f"/prep sync to notification (one user, median of 5): {statistics.median(notify) * 1000:.0f} ms")
            print(f"chat done to materials delivered (median of 5): {statistics.median(deliver) * 1000:.0f} ms")
        finally:
            emulator.close()


if __name__ == "__main__":
    main()
