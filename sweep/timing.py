"""The sweep's timing log, <figures_dir>/sweep_time.csv: the events ./run writes as it
starts, trains, scores and draws, across its invocations, and the wall time they add up to
(run_time)."""

import contextlib
import csv
import datetime
import os
import threading

TIMING_FILE = "sweep_time.csv"
HEARTBEAT_SECONDS = 300  # how often a running job logs that it is still at work


def timing_row(event, name, seconds=None, now=None):
    """A row of sweep_time.csv: the time in UTC, ISO 8601 with its zone."""
    now = now or datetime.datetime.now(datetime.timezone.utc)
    return (f"{now.isoformat(timespec='seconds')},{event},{name},"
            f"{'' if seconds is None else f'{seconds:.0f}'}\n")


def log_time(figures_dir, event, name, seconds=None):
    """Appends to <figures_dir>/sweep_time.csv what the sweep spent, across sessions. One
    write of one line in append mode, so it takes no lock (the stop handler calls it)."""
    os.makedirs(figures_dir, exist_ok=True)
    path = os.path.join(figures_dir, TIMING_FILE)
    line = timing_row(event, name, seconds)
    if not os.path.exists(path):
        line = "time,event,run,seconds\n" + line
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        os.write(fd, line.encode())
    finally:
        os.close(fd)


@contextlib.contextmanager
def heartbeat(figures_dir, name):
    """Logs "working" for the run every HEARTBEAT_SECONDS while the block runs (a job), so
    a session that ends without a stop signal loses at most that much of the run's time:
    run_time closes an invocation's open runs at its last event."""
    done = threading.Event()

    def beat():
        while not done.wait(HEARTBEAT_SECONDS):
            log_time(figures_dir, "working", name)

    thread = threading.Thread(target=beat, daemon=True)
    thread.start()
    try:
        yield
    finally:
        done.set()
        thread.join()


def utc(text):
    """A sweep_time.csv time as an aware UTC datetime; rows written before times carried
    their zone are in the machine's local time."""
    return datetime.datetime.fromisoformat(text).astimezone(datetime.timezone.utc)


class Timeline:
    """The intervals in which each run was trained or scored, and the last drawing of the
    figures, as sweep_time.csv's events open and close them. EVENTS says which event does
    what; an event it does not name ("scored point", "stopped") only moves the clock."""

    def __init__(self):
        self.intervals = {}  # run -> [[start, end], ...] of its current generation
        self.open = {}  # run -> its interval still open in this invocation
        self.figures, self.last, self.invocations = None, None, 0

    def close_all(self):
        """An invocation ended (a stop signal, or a session that ended): its open
        intervals close at its last event."""
        for interval in self.open.values():
            interval[1] = self.last
        self.open.clear()

    def invocation(self, t, name, seconds):
        self.close_all()
        self.invocations += 1

    def fresh(self, t, name, seconds):
        """A fresh run directory: the run's earlier intervals belong to a run it replaced."""
        self.intervals[name] = []
        self.resume(t, name, seconds)

    def resume(self, t, name, seconds):
        self.open[name] = [t, t]
        self.intervals.setdefault(name, []).append(self.open[name])

    def reach(self, t, name, seconds):
        """The run worked until t; a row from before ./run logged starts gives the
        interval [t - seconds, t]."""
        if name in self.open:
            self.open[name][1] = t
        elif seconds:
            self.intervals.setdefault(name, []).append(
                [t - datetime.timedelta(seconds=float(seconds)), t])

    def end(self, t, name, seconds):
        """The run's work in this invocation ended at t."""
        self.reach(t, name, seconds)
        self.open.pop(name, None)

    def draw(self, t, name, seconds):
        self.figures = [t, t]

    def drawn(self, t, name, seconds):
        if self.figures is not None:
            self.figures[1] = t

    def spans(self, runs=None):
        """The intervals of `runs` (all, and the figures, when None)."""
        wanted = None if runs is None else set(runs)
        spans = [i for name, intervals in self.intervals.items() for i in intervals
                 if wanted is None or name in wanted]
        return spans + ([self.figures] if self.figures is not None and wanted is None
                        else [])


# What each event of sweep_time.csv does to the timeline ("finished": trained, not scored).
EVENTS = {"start": Timeline.invocation, "started": Timeline.fresh,
          "resumed": Timeline.resume, "trained": Timeline.reach,
          "working": Timeline.reach,  # a running job's heartbeat
          **{event: Timeline.end for event in ("summarized", "summary failed",
                                               "point failed", "failed", "finished",
                                               "interrupted")},
          "trained all": Timeline.draw, "done": Timeline.drawn}


def union_seconds(spans):
    """The length of the union of [start, end] intervals, in seconds."""
    total, reach = 0.0, None
    for start, end in sorted(spans):
        if reach is None or start > reach:
            total += (end - start).total_seconds()
            reach = end
        elif end > reach:
            total += (end - reach).total_seconds()
            reach = end
    return total


def run_time(timing_csv, runs=None):
    """(seconds, invocations): the wall time of the sweep's current runs, from the events
    ./run logs in sweep_time.csv across its invocations; with `runs` (run directory
    names, e.g. those of one model's or one seed's configs: run_names), of those runs
    alone, without the figures: the length of the union of the Timeline's intervals."""
    timeline = Timeline()
    with open(timing_csv, newline="") as f:
        for row in csv.DictReader(f):
            t = utc(row["time"])
            handle = EVENTS.get(row["event"])
            if handle is not None:
                handle(timeline, t, row["run"], row["seconds"])
            timeline.last = t
    timeline.close_all()
    return union_seconds(timeline.spans(runs)), timeline.invocations


def run_names(configs, **match):
    """The run directory names of the configs whose fields equal `match` (e.g.
    model="paper_fc", seed=1): what run_time counts for them."""
    return {os.path.basename(c.run_dir) for c in configs
            if all(getattr(c, k) == v for k, v in match.items())}
