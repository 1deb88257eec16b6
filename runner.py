"""The sweep runner behind ./run: a plan of main.py commands, a pool that hands out the
CPU cores or the GPUs, one job per run (train, then score where the preset does), the
timing log, and the stop signal. ./run only calls main().

No TensorFlow here: ./run plans, skips and schedules without loading it.
"""

import argparse
import csv
import dataclasses
import datetime
import math
import os
import queue
import shlex
import shutil
import signal
import subprocess
import sys
import threading
import time

import identity
import slurm
import summaries
import sweep
from config import DEFAULTS

ROOT = os.path.dirname(os.path.abspath(__file__))
DESCRIPTION = "The original's sweep: 18 training runs, then the figure scripts."
_FIGURES = ("create_cool_images.py", "create_stddev_graphs.py", "create_error_graph.py",
            "create_metrics_table.py")
# These presets score each run as soon as it is trained (create_run_summary.py), so what
# is finished is kept; the aggregate figures come from those summaries. (--quick's runs
# are scored by its metrics table at its own small sizes.)
SUMMARIZED = ("faithful", "reproduce", "shapes")
# The options that go with --slurm (each takes a value).
SLURM_OPTIONS = ("--partition", "--time", "--gpus_per_task", "--cpus_per_task", "--sbatch_args")
FIGURE_SCRIPTS = {"faithful": _FIGURES + ("create_training_curves.py",), "quick": _FIGURES,
                  "reproduce": ("create_stddev_graphs.py", "create_error_graph.py",
                                "create_metrics_table.py", "create_score_graph.py",
                                "create_training_curves.py"),
                  "shapes": ("create_metrics_table.py", "create_score_graph.py")}
_NOISE = ("WARNING: All log messages before absl", "I0000 ", "E0000 ", "W0000 ")


# --- arguments -------------------------------------------------------------------------

class _Parser(argparse.ArgumentParser):
    def error(self, message):  # "./run: ...", as every other refusal of ./run
        self.print_usage(sys.stderr)
        if message.startswith("unrecognized arguments"):
            message += " (main.py's flags go after --, e.g. ./run -- --seed=1)"
        self.exit(2, f"./run: {message}\n")


def parse_args(argv):
    """(args, the flags after -- for every main.py call)."""
    parser = _Parser(prog="./run", description=DESCRIPTION, allow_abbrev=False,
                     epilog="Flags after -- go to every main.py call, e.g. ./run -- "
                     "--max_step=5000. Re-running skips finished runs and resumes the "
                     "others.")
    preset = parser.add_mutually_exclusive_group()
    preset.add_argument("--quick", action="store_true",
                        help="short runs for a 2-core CPU (checkpoints/quick, figures/quick)")
    preset.add_argument("--reproduce", action="store_true",
                        help="the original's models with a converging optimizer recipe "
                        "(checkpoints/reproduce, figures/reproduce)")
    preset.add_argument("--shapes", action="store_true",
                        help="the paper's own experiment: 2D shapes, its network, beta 1 "
                        "and 4 (checkpoints/shapes, figures/shapes)")
    parser.add_argument("--jobs", type=int, default=None,
                        help="runs at once (default: 1, or one per GPU; --reproduce: as "
                        "measured per model)")
    parser.add_argument("--dry-run", action="store_true",
                        help="print the training commands, one per line, and exit")
    parser.add_argument("--seeds", type=_int_list, default=None,
                        help="comma-separated seeds, e.g. 0,1,2: the sweep once per seed, "
                        "each run in its own directory (default: main.py's, or --seed "
                        "after --)")
    parser.add_argument("--reuse", action="store_true",
                        help="skip a run whose kept summary (figures_dir/runs/) answers "
                        "for it (same settings, seed, step; current protocol) even without "
                        "its checkpoint on this machine: for a sweep spread over machines. "
                        "Without it every run without a finished checkpoint here trains")
    parser.add_argument("--models", type=_str_list, default=None,
                        help="only these models (comma-separated)")
    parser.add_argument("--num_balls", type=_int_list, default=None,
                        help="only these ball counts (comma-separated)")
    parser.add_argument("--betas", type=_float_list, default=None,
                        help="only these betas (comma-separated)")
    parser.add_argument("--objectives", type=_str_list, default=None,
                        help="only runs of these objectives: beta, annealed (--shapes)")
    parser.add_argument("--train_dir", help="run directory prefix (default "
                        "./checkpoints/<preset>/train_store; faithful: "
                        "./checkpoints/train_store)")
    parser.add_argument("--figures_dir", help="default figures/<preset>; faithful: figures")
    cluster = parser.add_argument_group(
        "SLURM", "--slurm submits the runs that are not finished as one sbatch array job "
        "(a task per run, in the plan's order) instead of running them here; ./run with "
        "the same flags afterwards scores them and draws the figures")
    cluster.add_argument("--slurm", action="store_true",
                         help="submit the plan to SLURM (with --dry-run: print the script)")
    cluster.add_argument("--partition", help="sbatch --partition")
    cluster.add_argument("--time", dest="time_limit", help="sbatch --time, per task (e.g. 8:00:00)")
    cluster.add_argument("--gpus_per_task", type=int, default=0,
                         help="sbatch --gres=gpu:N for each task (default 0: CPU only)")
    cluster.add_argument("--cpus_per_task", type=int, default=1,
                         help="sbatch --cpus-per-task, and each CPU task's TensorFlow "
                         "threads (default 1: a conv step is as fast on one core as on two)")
    cluster.add_argument("--sbatch_args", type=shlex.split, default=[],
                         help="more sbatch options, quoted, e.g. \"--account=me --qos=long\"")
    extra = []
    if "--" in argv:
        i = argv.index("--")
        argv, extra = argv[:i], argv[i + 1:]
    args = parser.parse_args(argv)
    args.argv = list(argv)
    if not args.slurm and any(a.split("=", 1)[0] in SLURM_OPTIONS for a in argv):
        parser.error("--partition, --time, --gpus_per_task, --cpus_per_task and "
                     "--sbatch_args go with --slurm")
    if args.cpus_per_task < 1 or args.gpus_per_task < 0:
        parser.error("--cpus_per_task must be >= 1 and --gpus_per_task >= 0")
    if args.jobs is not None and args.jobs < 1:
        parser.error(f"--jobs={args.jobs}: must be >= 1")
    args.preset = ("quick" if args.quick else "reproduce" if args.reproduce
                   else "shapes" if args.shapes else "faithful")
    sub = "" if args.preset == "faithful" else args.preset + "/"
    if args.train_dir is None:
        args.train_dir = f"./checkpoints/{sub}train_store"
    try:
        named = sweep.suffix(extra)  # runs of other settings keep their figures apart
    except ValueError as e:
        parser.error(f"after --: {e}")
    if args.figures_dir is None:
        args.figures_dir = (os.path.join("figures", sub).rstrip("/") or "figures") + named
    return args, extra


def _list_of(kind, what):
    def parse(text):
        try:
            return tuple(kind(v) for v in text.split(",") if v.strip())
        except ValueError:
            raise argparse.ArgumentTypeError(
                f"{text!r} is not a comma-separated list of {what}") from None
    return parse


_int_list = _list_of(int, "integers")
_float_list = _list_of(float, "numbers")
_str_list = _list_of(str.strip, "names")


def selected(args, config):
    models = args.models or sweep.DEFAULT_MODELS.get(args.preset)
    return ((models is None or config.model in models)
            and (args.num_balls is None or config.num_balls in args.num_balls)
            and (args.betas is None or config.beta in args.betas)
            and (args.objectives is None or config.objective in args.objectives))


def score_points(preset, config):
    """The steps at which a run of the preset is scored while it trains (its end is
    scored by its summary): every sweep.SCORE_EVERY_IMAGES images short of max_step."""
    images = sweep.SCORE_EVERY_IMAGES.get(preset)
    every = images // config.batch_size if images else 0
    return list(range(every, config.max_step, every)) if every else []


# --- the machine -----------------------------------------------------------------------

def python():
    """The interpreter running this script, by its short name when PATH finds the same."""
    short = os.path.basename(sys.executable)
    found = shutil.which(short)
    if found and os.path.realpath(found) == os.path.realpath(sys.executable):
        return short
    return sys.executable


def visible_gpus():
    """GPU ids to spread runs over: CUDA_VISIBLE_DEVICES, else nvidia-smi's list."""
    if os.environ.get("CUDA_VISIBLE_DEVICES"):
        return [g for g in os.environ["CUDA_VISIBLE_DEVICES"].split(",") if g.strip()]
    if shutil.which("nvidia-smi") is None:
        return []
    try:
        out = subprocess.run(["nvidia-smi", "-L"], capture_output=True, text=True,
                             timeout=30).stdout
    except (OSError, subprocess.SubprocessError):
        return []
    return [str(i) for i, line in enumerate(out.splitlines()) if line.startswith("GPU")]


def shares(args, models):
    """For each run, how many runs share the machine's CPU cores with it."""
    if args.jobs is not None:
        return [args.jobs] * len(models)
    if args.preset == "reproduce":
        return [sweep.REPRODUCE_SHARE[m] for m in models]
    return [1] * len(models)


class Slots:
    """Starts jobs in order, each once the capacity it asks for is free. Counted in whole
    units (a run that shares the cores k ways takes capacity / k, where capacity is a
    multiple of every k), so k runs of 1/k fill it exactly."""

    def __init__(self, capacity):
        self.capacity, self.free = capacity, capacity
        self.condition = threading.Condition()

    @classmethod
    def for_shares(cls, ks):
        return cls(math.lcm(*ks))

    def need(self, k):
        return self.capacity // k

    def take(self, amount):
        with self.condition:
            self.condition.wait_for(lambda: self.free >= amount)
            self.free -= amount

    def give(self, amount):
        with self.condition:
            self.free += amount
            self.condition.notify_all()


class GpuPool:
    """Hands each job a free GPU, in turn (up to jobs_per_gpu jobs may share one)."""

    def __init__(self, gpus, jobs_per_gpu=1):
        self.free = queue.Queue()
        for _ in range(jobs_per_gpu):
            for g in gpus:
                self.free.put(g)

    def take(self):
        return self.free.get()

    def give(self, gpu):
        self.free.put(gpu)


class Resources:
    """What a job needs to start: its share of the CPU cores, or a GPU. On GPUs at most
    `jobs` (default: one per GPU) run at once, spread evenly over them."""

    def __init__(self, gpus, ks, jobs=None):
        self.gpus = gpus
        if gpus:
            jobs = jobs or len(gpus)
            self.slots = Slots(jobs)
            self.pool = GpuPool(gpus, math.ceil(jobs / len(gpus)))
        else:
            self.slots, self.pool = Slots.for_shares(ks), None

    def need(self, k):
        return 1 if self.pool else self.slots.need(k)

    def take(self, amount):
        """Waits for the capacity; returns the GPU to use (None on a CPU)."""
        self.slots.take(amount)
        return self.pool.take() if self.pool else None

    def give(self, amount, gpu):
        if self.pool:
            self.pool.give(gpu)
        self.slots.give(amount)


# --- the timing log --------------------------------------------------------------------

TIMING_FILE = "sweep_time.csv"
# Events that end a run's work in an invocation.
_RUN_ENDS = ("summarized", "summary failed", "point failed", "failed", "finished",
             "interrupted")


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


def _utc(text):
    """A sweep_time.csv time as an aware UTC datetime; rows written before times carried
    their zone are in the machine's local time."""
    return datetime.datetime.fromisoformat(text).astimezone(datetime.timezone.utc)


def run_time(timing_csv, runs=None):
    """(seconds, invocations): the wall time of the sweep's current runs, from the events
    ./run logs in sweep_time.csv across its invocations; with `runs` (run directory
    names, e.g. those of one model's or one seed's configs: run_names), of those runs
    alone, without the figures.

    It is the length of the union of the intervals in which a run was being trained or
    scored, plus the last drawing of the figures. A run's "started" event (a fresh run
    directory) drops that run's earlier intervals: they belong to a run that was replaced
    (e.g. by a new recipe). "resumed" opens an interval in the same run. An interval still
    open when its invocation ends (a stop signal, or a session that ended) closes at that
    invocation's last event. Rows from before ./run logged starts (a "trained" or
    "summarized" row alone) give the interval [time - seconds, time]."""
    intervals = {}  # run -> [[start, end], ...] of its current generation
    open_ = {}  # run -> its interval still open in this invocation
    figures, last, invocations = None, None, 0

    def close_all():
        for interval in open_.values():
            interval[1] = last
        open_.clear()

    with open(timing_csv, newline="") as f:
        for row in csv.DictReader(f):
            t = _utc(row["time"])
            event, name = row["event"], row["run"]
            if event == "start":
                close_all()
                invocations += 1
            elif event in ("started", "resumed"):
                if event == "started":
                    intervals[name] = []
                open_[name] = [t, t]
                intervals.setdefault(name, []).append(open_[name])
            elif event == "trained" or event in _RUN_ENDS:  # "finished": not scored
                if name in open_:
                    open_[name][1] = t
                elif row["seconds"]:  # a row from before ./run logged starts
                    seconds = datetime.timedelta(seconds=float(row["seconds"]))
                    intervals.setdefault(name, []).append([t - seconds, t])
                if event in _RUN_ENDS:
                    open_.pop(name, None)
            elif event == "trained all":
                figures = [t, t]
            elif event == "done" and figures is not None:
                figures[1] = t
            last = t
    close_all()
    wanted = None if runs is None else set(runs)
    spans = [i for name, runs_ in intervals.items() for i in runs_
             if wanted is None or name in wanted]
    if figures is not None and wanted is None:
        spans.append(figures)
    total, reach = 0.0, None
    for start, end in sorted(spans):
        if reach is None or start > reach:
            total += (end - start).total_seconds()
            reach = end
        elif end > reach:
            total += (end - reach).total_seconds()
            reach = end
    return total, invocations


def run_names(configs, **match):
    """The run directory names of the configs whose fields equal `match` (e.g.
    model="paper_fc", seed=1): what run_time counts for them."""
    return {os.path.basename(c.run_dir) for c in configs
            if all(getattr(c, k) == v for k, v in match.items())}


# --- the sweep -------------------------------------------------------------------------

class Sweep:
    """One invocation of ./run: its plan, its jobs, and the state the stop handler needs
    (the child processes to pass a signal on to, the job threads to let report)."""

    def __init__(self, args, extra):
        self.args, self.extra = args, extra
        self.print_lock = threading.Lock()
        self.running = set()
        self.threads = []
        self.stopping = None  # the stop signal's name once one arrived (set without a lock)
        self.results, self.progress = [], threading.Lock()
        self.start = time.time()

    def say(self, line):
        with self.print_lock:
            print(line, flush=True)

    def execute(self, tag, argv, log_path, gpu=None):
        """Runs one command, echoing its progress and writing its whole output to
        log_path. Returns (exit code, last meaningful line of output)."""
        env = dict(os.environ)
        env.setdefault("TF_FORCE_GPU_ALLOW_GROWTH", "true")  # runs may share a GPU
        if gpu is not None:
            env["CUDA_VISIBLE_DEVICES"] = gpu
        self.say(f"{tag} start: {sweep.shell_line(argv)}" + (f" (GPU {gpu})" if gpu else ""))
        start, last = time.time(), ""
        with open(log_path, "a", buffering=1) as log:  # line-buffered: tail -f works
            process = subprocess.Popen(argv, cwd=ROOT, env=env, stdout=subprocess.PIPE,
                                       stderr=subprocess.STDOUT, text=True)
            self.running.add(process)
            for line in process.stdout:
                log.write(line)
                line = line.rstrip()
                if line and not line.startswith(_NOISE):
                    last = line
                    if "train.py" in line or "main.py" in line:
                        self.say(f"{tag} {line.split('] ', 1)[-1]}")
            code = process.wait()
            self.running.discard(process)
        if code == 0:
            status = "done"
        elif self.stopping:  # main.py saved a checkpoint on the signal
            status = f"stopped by {self.stopping} (the same command resumes it)"
        else:
            status = f"FAILED (exit {code})"
        self.say(f"{tag} {status} in {time.time() - start:.0f} s; log {log_path}")
        return code, last

    def timing(self, event, name, seconds=None):
        log_time(self.args.figures_dir, event, name, seconds)

    def on_signal(self, signum, frame):
        """SIGINT/SIGTERM: pass it on to the running main.py calls (each saves a
        checkpoint), log the stop, wait for them and exit. It takes no lock: it runs in
        the main thread, which may be inside say() holding the print lock."""
        name = signal.Signals(signum).name
        self.stopping = name
        os.write(sys.stdout.fileno(),
                 f"{name}: stopping the running jobs (they save and resume)\n".encode())
        for process in list(self.running):
            process.send_signal(signum)
        for process in list(self.running):
            try:
                process.wait(timeout=120)
            except subprocess.TimeoutExpired:
                process.kill()
        deadline = time.time() + 10  # let the job threads log their runs' stop
        for thread in list(self.threads):
            thread.join(timeout=max(0.0, deadline - time.time()))
        self.timing("stopped", name)
        os._exit(128 + signum)

    def catch_signals(self):
        for s in (signal.SIGINT, signal.SIGTERM):
            signal.signal(s, self.on_signal)

    def reusable(self, config):
        """With --reuse, whether the run's kept summary answers for it (identity.stale)."""
        if not (self.args.reuse and self.args.preset in SUMMARIZED):
            return False
        kept = summaries.kept_summary(self.args.figures_dir, os.path.basename(config.run_dir))
        return identity.stale(kept, dataclasses.asdict(config), config.max_step, None,
                              defaults=DEFAULTS) is None

    def job(self, tag, argv, config, log_dir, gpu):
        """Trains one run (main.py resumes it, or returns at once when it is finished),
        then scores it where the preset does; logs each part in sweep_time.csv. Returns
        (the command that failed or the last one, exit code, its last line); the exit
        code is None when a stop signal kept it from starting its next command."""
        name = os.path.basename(config.run_dir)
        if self.stopping:  # a stop signal came before this run's turn
            return argv, None, "not started"
        fresh = not os.path.exists(os.path.join(config.run_dir, identity.CONFIG_FILE))
        self.timing("started" if fresh else "resumed", name)
        points = score_points(self.args.preset, config)
        if fresh and points and summaries.clear_progress(self.args.figures_dir, name):
            self.say(f"{tag} {name}: trains from step 0 here, so its kept scores along the "
                     f"way (another training's) were set aside in {summaries.REPLACED_FILE}")
        t0 = time.time()
        kept = summaries.progress_steps(self.args.figures_dir, name)
        for step in [p for p in points if p not in kept]:
            result = self._train_and_score_point(tag, argv, config, log_dir, gpu, step, t0)
            if result is not None:
                return result
        code, last = self.execute(tag, argv, os.path.join(log_dir, name + ".log"), gpu)
        if code != 0:
            self.timing("interrupted" if self.stopping else "failed", name, time.time() - t0)
            return argv, code, last
        if self.args.preset not in SUMMARIZED:
            self.timing("finished", name, time.time() - t0)
            return argv, code, last
        self.timing("trained", name, time.time() - t0)
        if self.stopping:  # scored by the next ./run, which finds the run trained
            return argv, None, last
        t1 = time.time()
        summary = [python(), "create_run_summary.py", f"--run_dir={config.run_dir}",
                   f"--figures_dir={self.args.figures_dir}"] + (["--progress"] if points
                                                                else [])
        code, last = self.execute(tag, summary, os.path.join(log_dir, name + ".summary.log"),
                                  gpu)
        command = summary
        if code == 0 and self.args.preset in sweep.CHECKPOINT_SPREAD and not self.stopping:
            command = [python(), "create_checkpoint_spread.py", f"--run_dir={config.run_dir}",
                       f"--figures_dir={self.args.figures_dir}"]
            code, last = self.execute(tag, command,
                                      os.path.join(log_dir, name + ".spread.log"), gpu)
        event = ("summarized" if code == 0 else "interrupted" if self.stopping
                 else "summary failed")
        self.timing(event, name, time.time() - t1)
        return command, code, last

    def _train_and_score_point(self, tag, argv, config, log_dir, gpu, step, t0):
        """Trains the run to `step` and scores it there (create_run_summary.py --point,
        kept in progress.jsonl); None when both succeeded, else the job's result."""
        name = os.path.basename(config.run_dir)
        # config.json keeps --max_step, the run's length, so a run stopped at a point is
        # never taken as finished (runs.load_runs)
        train = argv + [f"--stop_at={step}"]
        code, last = self.execute(tag, train, os.path.join(log_dir, name + ".log"), gpu)
        if code != 0:
            self.timing("interrupted" if self.stopping else "failed", name, time.time() - t0)
            return train, code, last
        if self.stopping:
            return train, None, last
        point = self.point_command(config)
        code, last = self.execute(tag, point, os.path.join(log_dir, name + ".points.log"), gpu)
        if code != 0:
            self.timing("interrupted" if self.stopping else "point failed", name,
                        time.time() - t0)
            return point, code, last
        self.timing("scored point", name)
        same = summaries.repeats_replaced(self.args.figures_dir, name, step)
        if same is not None:
            self.say(f"{tag} {name}: its point at step {step} is "
                     + ("the set-aside training's checkpoint, bit for bit" if same else
                        "not the set-aside training's checkpoint (other arithmetic: "
                        "another kind of machine, library or code)"))
        return None

    def point_command(self, config, interpreter=None):
        """Scores the run's newest checkpoint as a point along training."""
        return [interpreter or python(), "create_run_summary.py", f"--run_dir={config.run_dir}",
                f"--figures_dir={self.args.figures_dir}", "--point"] + sweep.POINT_SIZES

    def slurm_tasks(self, planned):
        """[(run name, [argv, ...])] of the runs to train on SLURM: those not finished here
        (nor answered for by a kept summary, with --reuse). A task trains to each point
        along training that is ahead of its run and not kept, scores it, then trains to
        the end; main.py resumes from the newest checkpoint."""
        args, interpreter = self.args, sys.executable
        threads = [] if args.gpus_per_task else [f"--threads={args.cpus_per_task}"]
        tasks = []
        for config, argv in planned:
            if slurm.finished(config) or self.reusable(config):
                continue
            name = os.path.basename(config.run_dir)
            train = [interpreter] + argv[1:] + threads
            kept = summaries.progress_steps(args.figures_dir, name)
            at = slurm.newest_step(config.run_dir)
            commands = []
            for step in score_points(args.preset, config):
                if step > at and step not in kept:
                    commands += [train + [f"--stop_at={step}"],
                                 self.point_command(config, interpreter)]
            tasks.append((name, commands + [train]))
        return tasks

    def submit_to_slurm(self, planned):
        """Writes the array job of the runs not yet finished and submits it (prints it,
        with --dry-run); says what to run when it is done."""
        args = self.args
        tasks = self.slurm_tasks(planned)
        after = "./run " + " ".join(
            shlex.quote(a) for a in _without_slurm(args.argv)
            + (["--"] + self.extra if self.extra else []))
        if not tasks:
            self.say(f"every planned run is finished here: `{after}` scores them and draws "
                     "the figures")
            return 0
        base = os.path.dirname(args.train_dir) or "."
        name = f"betavae-{args.preset}"
        text = slurm.array_script(
            tasks, ROOT, os.path.abspath(os.path.join(base, "logs")), name, args.partition,
            args.time_limit, args.gpus_per_task, args.cpus_per_task, args.sbatch_args)
        if args.dry_run:
            print(text, end="", flush=True)
            return 0
        os.makedirs(os.path.join(base, "logs"), exist_ok=True)
        path = slurm.write_script(text, os.path.join(base, slurm.SCRIPT_DIR), name)
        try:
            job = slurm.submit(path)
        except RuntimeError as e:
            sys.exit(f"./run: {e}")
        self.say(f"submitted array job {job}: {len(tasks)} task(s), one per run not finished "
                 f"({len(planned) - len(tasks)} finished, left out); script {path}, task "
                 f"logs {os.path.join(base, 'logs', name)}-{job}_<task>.log")
        self.say(f"when it is done (squeue -j {job} shows nothing): `{after}` scores the runs "
                 "and draws the figures; a task that failed or was cancelled resumes from "
                 f"its checkpoint when `./run {' '.join(shlex.quote(a) for a in args.argv)}` "
                 "submits the array again")
        return 0

    def _job_thread(self, resources, need, gpu, tag, argv, config, log_dir, to_train,
                    skipped):
        try:
            result = self.job(tag, argv, config, log_dir, gpu)
        finally:
            resources.give(need, gpu)
        with self.progress:
            self.results.append(result)
            if self.stopping:
                return
            self.say(f"[sweep] {len(self.results)} of {to_train} runs to train done"
                     f"{f' ({skipped} skipped)' if skipped else ''}, "
                     f"{sum(code != 0 for _, code, _ in self.results)} failed, after "
                     f"{(time.time() - self.start) / 3600:.2f} h")

    def train(self, planned, commands, share, log_dir):
        """Starts the jobs in the plan's order (longest first within a model), each once
        its share of the cores or a GPU is free; returns (failures, skipped)."""
        args = self.args
        resources = Resources(visible_gpus(), share, args.jobs)
        total = len(commands)
        todo = []
        for i, (argv, (config, _), k) in enumerate(zip(commands, planned, share)):
            if self.reusable(config):
                self.say(f"[{i + 1}/{total}] {os.path.basename(config.run_dir)}: its kept "
                         f"summary in {args.figures_dir}/{summaries.RUNS_DIR} answers for "
                         "it (--reuse); skipped")
            else:
                todo.append((f"[{i + 1}/{total}]", argv, config, k))
        skipped = total - len(todo)
        for tag, argv, config, k in todo:
            need = resources.need(k)
            gpu = resources.take(need)
            thread = threading.Thread(target=self._job_thread, args=(
                resources, need, gpu, tag, argv, config, log_dir, len(todo), skipped))
            self.threads.append(thread)
            thread.start()
        for thread in self.threads:
            thread.join()
        return [(a, code, last) for a, code, last in self.results if code != 0], skipped

    def draw(self, planned, log_dir):
        """The preset's figure scripts; returns their failures. Says first how many kept
        summaries of runs this invocation did not train the aggregates include."""
        args = self.args
        mine = {os.path.basename(c.run_dir) for c, _ in planned}
        others = [s["run"] for s in summaries.kept_summaries(args.figures_dir)
                  if s.get("run") not in mine]
        if others:
            self.say(f"[figures] the tables and figures also draw on {len(others)} kept "
                     f"summaries in {args.figures_dir}/{summaries.RUNS_DIR} of runs this "
                     f"invocation did not plan (e.g. {others[0]})")
        failures = []
        for script in FIGURE_SCRIPTS[args.preset]:
            argv = [python(), script, f"--train_dir={planned[0][0].train_dir}",
                    f"--figures_dir={args.figures_dir}"]
            if args.preset == "quick" and script == "create_metrics_table.py":
                argv += sweep.QUICK_TABLE
            if args.preset == "shapes" and script == "create_metrics_table.py":
                argv += ["--shapes_beside=" + ",".join(sweep.SHAPES_HISTORY)]
            code, last = self.execute("[figures]", argv,
                                      os.path.join(log_dir, script.replace(".py", ".log")))
            if code != 0:
                failures.append((argv, code, last))
        return failures

    def report_time(self, planned):
        """The sweep's time over its invocations, per model and per seed."""
        path = os.path.join(self.args.figures_dir, TIMING_FILE)
        total_s, sessions = run_time(path)
        if sessions <= 1:
            return
        configs = [c for c, _ in planned]
        parts = ", ".join(f"{m} {run_time(path, run_names(configs, model=m))[0] / 60:.1f} min"
                          for m in dict.fromkeys(c.model for c in configs))
        seeds = sorted({c.seed for c in configs})
        if len(seeds) > 1:
            parts += "; " + ", ".join(
                f"seed {s} {run_time(path, run_names(configs, seed=s))[0] / 3600:.2f} h"
                for s in seeds)
        self.say(f"the sweep's time over its {sessions} invocations (its current runs and "
                 f"the last figures, as runner.run_time counts them): {total_s / 3600:.2f} h "
                 f"({parts})")

    def run(self):
        args = self.args
        try:
            planned = [(c, a) for c, a in sweep.plan(args.preset, args.train_dir,
                                                      args.seeds or (None,), self.extra,
                                                      python())
                       if selected(args, c)]
        except ValueError as e:
            sys.exit(f"./run: {e}")
        if not planned:
            sys.exit("./run: --models/--num_balls/--betas select no run")
        if args.slurm:
            return self.submit_to_slurm(planned)
        share = shares(args, [c.model for c, _ in planned])
        cores, on_gpus = os.cpu_count() or 1, bool(visible_gpus())
        commands = [a + ([] if on_gpus or k == 1 else [f"--threads={max(1, cores // k)}"])
                    for (_, a), k in zip(planned, share)]
        if args.dry_run:
            try:
                print("\n".join(sweep.shell_line(a) for a in commands), flush=True)
            except BrokenPipeError:  # e.g. | head: the reader has what it wanted
                os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            return 0
        log_dir = os.path.join(os.path.dirname(args.train_dir) or ".", "logs")
        os.makedirs(log_dir, exist_ok=True)
        self.timing("start", args.preset)
        self.catch_signals()
        failures, skipped = self.train(planned, commands, share, log_dir)
        self.say(f"training: {len(self.results) - len(failures)} of {len(commands)} runs "
                 f"succeeded, {skipped} skipped, in {(time.time() - self.start) / 60:.1f} min")
        self.timing("trained all", args.preset, time.time() - self.start)
        failures += self.draw(planned, log_dir)
        self.timing("done", args.preset, time.time() - self.start)
        self.say(f"all done in {(time.time() - self.start) / 60:.1f} min; figures in "
                 f"{args.figures_dir}")
        self.report_time(planned)
        for argv, code, last in failures:
            self.say(f"FAILED (exit {code}): {sweep.shell_line(argv)}\n    {last}")
        return 1 if failures else 0


def _without_slurm(argv):
    """./run's arguments less --slurm, --dry-run and SLURM_OPTIONS with their values (what
    scores and draws once the array is done)."""
    out, skip = [], False
    for a in argv:
        name = a.split("=", 1)[0]
        if skip or name in ("--slurm", "--dry-run") + SLURM_OPTIONS:
            skip = not skip and name in SLURM_OPTIONS and "=" not in a  # its value follows
            continue
        out.append(a)
    return out


def main(argv):
    args, extra = parse_args(argv)
    os.chdir(ROOT)
    return Sweep(args, extra).run()
