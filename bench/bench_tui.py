"""The workbench at 10M events, through Pilot, beside a bare anchor app in the same run.

The anchor is the least a Textual app can do with the same database: open it, read a 200-row window
of access_events (the same rows and columns the workbench's event list shows) and show it in a
DataTable. Measured: process start to first full screen; cursor moves from the key reaching the app
to the frame that shows it (80 moves, most of them scrolling); page changes and jumps in the event
list (keyset paging); a pivot of all events against the same GROUP BY run bare; and resident memory
at 100k and 10M events.
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

from bench import bench_analyzers

_PROBE = r"""
async def key_to_frame(app, pilot, key, n):
    # Wall time from a key reaching the app to the next frame it composes (App._display is called
    # with the rendered update; headless, nothing is written after it). Pilot's press() would add
    # its own idle waits (a fixed ~50-100 ms) to every move. CPU time is over the same interval.
    from textual import events
    frames = []
    real = app._display
    def hooked(screen, renderable):
        if renderable is not None:
            frames.append(time.perf_counter())
        return real(screen, renderable)
    app._display = hooked
    wall, cpu = [], []
    try:
        for _ in range(n):
            await pilot.pause()
            await asyncio.sleep(0.03)
            seen = len(frames)
            t, c = time.perf_counter(), time.process_time()
            event = events.Key(key, None)
            event.set_sender(app)
            app._driver.send_message(event)
            while len(frames) == seen and time.perf_counter() - t < 1.0:
                await asyncio.sleep(0.0002)
            if len(frames) > seen:
                wall.append(frames[seen] - t)
                cpu.append(time.process_time() - c)
    finally:
        app._display = real
    return wall, cpu
"""

_ANCHOR = r"""
import asyncio, json, resource, sys, time
t_import = time.time()
import duckdb
from textual.app import App
from textual.widgets import DataTable

class Anchor(App):
    def compose(self):
        yield DataTable()
    def on_mount(self):
        self.con = duckdb.connect(sys.argv[1], read_only=True)
        self.table = self.query_one(DataTable)
        # The same window the workbench's event list shows: the same 200 rows and 10 columns.
        self.table.add_columns("ts", "principal", "action", "resource", "outcome", "source_ip", "user_agent",
                               "bytes_out", "auth_type", "source_format")
        self.window(0)
    def window(self, offset_ts):
        rows = self.con.execute(
            "SELECT ts, principal, action, resource, outcome, source_ip, user_agent, bytes_out, auth_type, "
            "source_format FROM access_events ORDER BY ts, id LIMIT 200"
        ).fetchall()
        self.table.clear()
        self.table.add_rows([[str(v) for v in r] for r in rows])

async def main():
    app = Anchor()
    async with app.run_test(size=(160, 48)) as pilot:
        await pilot.pause()
        first = time.time()
        repaint = []
        for _ in range(30):
            t = time.perf_counter()
            app.window(0)
            await pilot.pause()
            repaint.append(time.perf_counter() - t)
        cursor, cursor_cpu = await key_to_frame(app, pilot, "down", 80)
    print(json.dumps({"first_paint": first, "repaint": repaint, "cursor": cursor, "cursor_cpu": cursor_cpu,
                      "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))

asyncio.run(main())
"""

_MLSPM = r"""
import json, resource, sys, time, asyncio
from pathlib import Path

async def main():
    from mlspm.query import QueryService
    from mlspm.store import Store
    from tui.app import MlspmApp
    store = Store(Path(sys.argv[1]))
    service = QueryService(store)
    service.lock_down()
    app = MlspmApp(service, actor="bench")

    async def settled(pilot):
        while True:
            await pilot.app.workers.wait_for_complete()
            await pilot.pause()
            if getattr(pilot.app.screen, "pending", 0) == 0 and not pilot.app.workers._workers:
                return

    async with app.run_test(size=(160, 48)) as pilot:
        await settled(pilot)
        first = time.time()
        await pilot.press("E")  # all events: the biggest list
        await settled(pilot)
        events = app.screen.query_one("#events")
        cursor, cursor_cpu = await key_to_frame(app, pilot, "down", 80)
        async def page(key):
            t = time.perf_counter()
            before = events.page
            await pilot.press(key)
            while events.page is before:
                await pilot.pause(0.001)
            await pilot.pause()
            return time.perf_counter() - t
        paging = [await page("n") for _ in range(15)]
        paging += [await page("greater_than_sign"), await page("b"), await page("b"), await page("less_than_sign")]
        paging += [await page("n") for _ in range(5)]
    from mlspm.query.model import EventFilter
    pivot = []
    for _ in range(3):
        t = time.perf_counter()
        service.event_pivot(EventFilter(), "principal")
        pivot.append(time.perf_counter() - t)
    bare = []
    with store.cursor() as cur:
        for _ in range(3):
            t = time.perf_counter()
            cur.execute("SELECT principal, count(*) AS n, min(ts), max(ts) FROM access_events GROUP BY 1 "
                        "ORDER BY n DESC, 1 LIMIT 500").fetchall()
            bare.append(time.perf_counter() - t)
    store.close()
    print(json.dumps({"first_paint": first, "cursor": cursor, "cursor_cpu": cursor_cpu, "paging": paging,
                      "pivot": pivot, "bare": bare,
                      "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))

asyncio.run(main())
"""


def _child(code: str, db: Path) -> dict[str, object]:
    start = time.time()
    code = code.replace("\nasync def main", _PROBE + "\nasync def main", 1)
    done = subprocess.run([sys.executable, "-c", code, str(db)], capture_output=True, text=True, check=False)
    if done.returncode:
        raise RuntimeError(done.stderr[-3000:])
    result: dict[str, object] = json.loads(done.stdout.strip().splitlines()[-1])
    result["start_to_first_paint"] = float(result.pop("first_paint")) - start  # type: ignore[arg-type]
    return result


def _p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))]


def _prepare(events: int) -> Path:
    from analyzers.engine import analyze
    from mlspm.store import Store

    db = bench_analyzers.database(events)
    with Store(db) as store, store.cursor() as cur:
        if not cur.execute("SELECT count(*) FROM analysis_runs").fetchall()[0][0]:
            analyze(store)
    return db


def run(repeats: int = 3) -> dict[str, object]:
    results: dict[str, object] = {}
    for events in (100_000, bench_analyzers.EVENTS):
        db = _prepare(events)
        anchors = [_child(_ANCHOR, db) for _ in range(repeats)]
        mine = [_child(_MLSPM, db) for _ in range(repeats)]
        a_start = statistics.median(float(r["start_to_first_paint"]) for r in anchors)  # type: ignore[arg-type]
        m_start = statistics.median(float(r["start_to_first_paint"]) for r in mine)  # type: ignore[arg-type]
        repaint = [x for r in anchors for x in r["repaint"]]  # type: ignore[attr-defined]
        cursor = [x for r in mine for x in r["cursor"]]  # type: ignore[attr-defined]
        cursor_cpu = [x for r in mine for x in r["cursor_cpu"]]  # type: ignore[attr-defined]
        a_cursor = [x for r in anchors for x in r["cursor"]]  # type: ignore[attr-defined]
        a_cursor_cpu = [x for r in anchors for x in r["cursor_cpu"]]  # type: ignore[attr-defined]
        paging = [x for r in mine for x in r["paging"]]  # type: ignore[attr-defined]
        pivot = statistics.median(x for r in mine for x in r["pivot"])  # type: ignore[attr-defined]
        bare = statistics.median(x for r in mine for x in r["bare"])  # type: ignore[attr-defined]
        row = {
            "anchor_start_s": round(a_start, 3),
            "mlspm_start_s": round(m_start, 3),
            "start_ratio": round(m_start / a_start, 2),
            "anchor_repaint_median_ms": round(statistics.median(repaint) * 1000, 1),
            "anchor_repaint_p95_ms": round(_p95(repaint) * 1000, 1),
            "cursor_p95_ms": round(_p95(cursor) * 1000, 1),
            "cursor_cpu_p95_ms": round(_p95(cursor_cpu) * 1000, 1),
            "anchor_cursor_p95_ms": round(_p95(a_cursor) * 1000, 1),
            "anchor_cursor_cpu_p95_ms": round(_p95(a_cursor_cpu) * 1000, 1),
            "page_median_ms": round(statistics.median(paging) * 1000, 1),
            "page_p95_ms": round(_p95(paging) * 1000, 1),
            "page_p95_ratio": round(_p95(paging) / _p95(repaint), 2),
            "pivot_s": round(pivot, 3),
            "bare_group_by_s": round(bare, 3),
            "pivot_ratio": round(pivot / bare, 2),
            "mlspm_rss_mb": round(statistics.median(float(r["rss_mb"]) for r in mine)),  # type: ignore[arg-type]
            "anchor_rss_mb": round(statistics.median(float(r["rss_mb"]) for r in anchors)),  # type: ignore[arg-type]
        }
        results[str(events)] = row
        print(
            f"  {events:>10,} events: start {m_start:.2f}s vs anchor {a_start:.2f}s "
            f"({row['start_ratio']}x, goal ≤ 1.3x)\n"
            f"    cursor move, key to frame, p95 {row['cursor_p95_ms']} ms wall / {row['cursor_cpu_p95_ms']} ms CPU "
            f"(anchor {row['anchor_cursor_p95_ms']} / {row['anchor_cursor_cpu_p95_ms']} ms; goal ≤ 16)\n"
            f"    page p95 {row['page_p95_ms']} ms vs anchor repaint p95 {row['anchor_repaint_p95_ms']} ms "
            f"({row['page_p95_ratio']}x, goal ≤ 1.5x)\n"
            f"    pivot {pivot:.2f}s vs bare GROUP BY {bare:.2f}s ({row['pivot_ratio']}x, goal ≤ 2x) · RSS "
            f"{row['mlspm_rss_mb']} MB (anchor {row['anchor_rss_mb']} MB)"
        )
    return results


if __name__ == "__main__":
    run()
