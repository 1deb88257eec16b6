"""The sweep runner behind ./run: a plan of main.py commands, a pool that hands out the
CPU cores or the GPUs, one job per run (train, then score where the preset does), the
timing log, and the stop signal. ./run only calls main().

No TensorFlow here: ./run plans, skips and schedules without loading it.
"""

import dataclasses
import os
import shlex
import shutil
import signal
import subprocess
import sys
import threading
import time

from betavae.config import DEFAULTS
from betavae.rundir import CONFIG_FILE
from results import identity, summaries
from sweep import plan, slurm
from sweep.arguments import parse_args, without_slurm
from sweep.pool import Resources, visible_gpus
from sweep.timing import TIMING_FILE, heartbeat, log_time, run_names, run_time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))  # the repository
# The original's three figure scripts are at the top level; the others are modules of
# the reporting package (script() gives the arguments that start either).
TOP_LEVEL_SCRIPTS = ("create_cool_images", "create_stddev_graphs", "create_error_graph")
_FIGURES = TOP_LEVEL_SCRIPTS + ("create_metrics_table",)
# These presets score each run as soon as it is trained (reporting/create_run_summary.py),
# so what is finished is kept; the aggregate figures come from those summaries. (--quick's runs
# are scored by its metrics table at its own small sizes.)
SUMMARIZED = ("faithful", "reproduce", "shapes")
FIGURE_SCRIPTS = {"faithful": _FIGURES + ("create_training_curves",), "quick": _FIGURES,
                  "reproduce": ("create_stddev_graphs", "create_error_graph",
                                "create_metrics_table", "create_score_graph",
                                "create_training_curves"),
                  "shapes": ("create_metrics_table", "create_score_graph")}


def script(name):
    """The arguments after the interpreter that start the figure script `name`."""
    return [name + ".py"] if name in TOP_LEVEL_SCRIPTS else ["-m", "reporting." + name]


@dataclasses.dataclass(frozen=True)
class Outcome:
    """How a run's job (or one of its commands) ended: "done"; "failed" (exit code
    `code`); or "stopped": a stop signal ended the command, or kept the next one from
    starting. argv is the command it ended on, last that command's last line of output."""
    status: str
    argv: list
    code: int = None
    last: str = ""
    failure: str = "failed"  # its event in sweep_time.csv if it failed

    def event(self, done=None):
        """Its event in sweep_time.csv: `done`, its failure, or "interrupted"."""
        return {"done": done, "failed": self.failure}.get(self.status, "interrupted")


_NOISE = ("WARNING: All log messages before absl", "I0000 ", "E0000 ", "W0000 ")


def selected(args, config):
    models = args.models or plan.DEFAULT_MODELS.get(args.preset)
    return ((models is None or config.model in models)
            and (args.num_balls is None or config.num_balls in args.num_balls)
            and (args.betas is None or config.beta in args.betas)
            and (args.objectives is None or config.objective in args.objectives))


def score_points(preset, config):
    """The steps at which a run of the preset is scored while it trains (its end is
    scored by its summary): every plan.SCORE_EVERY_IMAGES images short of max_step."""
    images = plan.SCORE_EVERY_IMAGES.get(preset)
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


def shares(args, models):
    """For each run, how many runs share the machine's CPU cores with it."""
    if args.jobs is not None:
        return [args.jobs] * len(models)
    if args.preset == "reproduce":
        return [plan.REPRODUCE_SHARE[m] for m in models]
    return [1] * len(models)


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
        self.shares, self.unfinished = {}, 0  # run dir -> its planned share; jobs not done
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
        self.say(f"{tag} start: {plan.shell_line(argv)}" + (f" (GPU {gpu})" if gpu else ""))
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

    def command(self, tag, argv, log_path, gpu, failure="failed"):
        """Runs one command of a job; its Outcome."""
        code, last = self.execute(tag, argv, log_path, gpu)
        status = "done" if code == 0 else "stopped" if self.stopping else "failed"
        return Outcome(status, argv, code, last, failure)

    def job(self, tag, argv, config, log_dir, gpu):
        """Trains one run (main.py resumes it, or returns at once when it is finished) and
        scores it where the preset does: at its points along training, then at its end.
        Logs each part in sweep_time.csv; returns the job's Outcome."""
        if self.stopping:  # a stop signal came before this run's turn
            return Outcome("stopped", argv, last="not started")
        name = os.path.basename(config.run_dir)
        log = os.path.join(log_dir, name)
        if (self.args.preset in SUMMARIZED
                and summaries.settled(self.args.figures_dir, config, DEFAULTS)):
            # trained and scored here before: main.py returns at once and create_run_summary
            # draws only missing figures; not logged, so it adds nothing to the run's time
            return self.work(tag, argv, config, log, gpu, name, [], lambda *a: None)
        points = self.begin(tag, config, name)
        with heartbeat(self.args.figures_dir, name):
            return self.work(tag, argv, config, log, gpu, name, points, self.timing)

    def work(self, tag, argv, config, log, gpu, name, points, timing):
        """The job's training and scoring (job), logged by timing(event, name, seconds)."""
        t0 = time.time()
        for i, step in enumerate(points):
            outcome = self.train_and_score_point(
                tag, self.rethreaded(argv, config) if i else argv, config, log, gpu, step)
            if outcome.status != "done":
                timing(outcome.event(), name, time.time() - t0)
                return outcome
        outcome = self.command(tag, self.rethreaded(argv, config) if points else argv,
                               log + ".log", gpu)
        if outcome.status != "done":
            timing(outcome.event(), name, time.time() - t0)
            return outcome
        if self.args.preset not in SUMMARIZED:
            timing("finished", name, time.time() - t0)
            return outcome
        timing("trained", name, time.time() - t0)
        if self.stopping:  # scored by the next ./run, which finds the run trained
            return Outcome("stopped", argv, 0, outcome.last)
        t1 = time.time()
        outcome = self.summarize(tag, config, log, gpu,
                                 bool(score_points(self.args.preset, config)))
        timing(outcome.event("summarized"), name, time.time() - t1)
        return outcome

    def rethreaded(self, argv, config):
        """argv with --threads for the cores as they are shared now: a run planned to share
        them k ways takes cores // min(k, runs not finished), so the last runs of a sweep
        take the cores the finished ones left, from their next main.py call on (a run
        trained in stretches, --shapes). The first call of a run keeps its planned share."""
        k = self.shares.get(config.run_dir, 1)
        if k == 1 or not any(a.startswith("--threads=") for a in argv):
            return argv
        with self.progress:
            sharing = max(1, min(k, self.unfinished))
        threads = max(1, (os.cpu_count() or 1) // sharing)
        return [f"--threads={threads}" if a.startswith("--threads=") else a for a in argv]

    def begin(self, tag, config, name):
        """Logs the run's start (fresh) or resumption; a fresh run's kept points (another
        training's) are set aside. Returns the steps to score along training, those kept
        left out."""
        fresh = not os.path.exists(os.path.join(config.run_dir, CONFIG_FILE))
        self.timing("started" if fresh else "resumed", name)
        points = score_points(self.args.preset, config)
        if fresh and points and summaries.clear_progress(self.args.figures_dir, name):
            self.say(f"{tag} {name}: trains from step 0 here, so its kept scores along the "
                     f"way (another training's) were set aside in {summaries.REPLACED_FILE}")
        kept = summaries.progress_steps(self.args.figures_dir, name)
        return [p for p in points if p not in kept]

    def summarize(self, tag, config, log, gpu, progress):
        """Scores the trained run (create_run_summary), and where the preset wants it each
        of its kept checkpoints (create_checkpoint_spread)."""
        where = [f"--run_dir={config.run_dir}", f"--figures_dir={self.args.figures_dir}"]
        outcome = self.command(tag, [python(), *script("create_run_summary"), *where]
                               + (["--progress"] if progress else []),
                               log + ".summary.log", gpu, "summary failed")
        if (outcome.status == "done" and self.args.preset in plan.CHECKPOINT_SPREAD
                and not self.stopping):
            outcome = self.command(tag, [python(), *script("create_checkpoint_spread"),
                                         *where], log + ".spread.log", gpu, "summary failed")
        return outcome

    def train_and_score_point(self, tag, argv, config, log, gpu, step):
        """Trains the run to `step` and scores it there (create_run_summary --point, kept
        in progress.jsonl); logs "scored point"."""
        # config.json keeps --max_step, the run's length, so a run stopped at a point is
        # never taken as finished (runs.load_runs)
        outcome = self.command(tag, argv + [f"--stop_at={step}"], log + ".log", gpu)
        if outcome.status != "done":
            return outcome
        if self.stopping:
            return Outcome("stopped", outcome.argv, 0, outcome.last)
        outcome = self.command(tag, self.point_command(config), log + ".points.log", gpu,
                               "point failed")
        if outcome.status != "done":
            return outcome
        name = os.path.basename(config.run_dir)
        self.timing("scored point", name)
        same = summaries.repeats_replaced(self.args.figures_dir, name, step)
        if same is not None:
            self.say(f"{tag} {name}: its point at step {step} is "
                     + ("the set-aside training's checkpoint, bit for bit" if same else
                        "not the set-aside training's checkpoint (other arithmetic: "
                        "another kind of machine, library or code)"))
        return outcome

    def point_command(self, config, interpreter=None):
        """Scores the run's newest checkpoint as a point along training."""
        return [interpreter or python(), *script("create_run_summary"),
                f"--run_dir={config.run_dir}",
                f"--figures_dir={self.args.figures_dir}", "--point"] + plan.POINT_SIZES

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
            shlex.quote(a) for a in without_slurm(args.argv)
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
            self.unfinished -= 1
            if self.stopping:
                return
            self.say(f"[sweep] {len(self.results)} of {to_train} runs to train done"
                     f"{f' ({skipped} skipped)' if skipped else ''}, "
                     f"{sum(o.status != 'done' for o in self.results)} failed, after "
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
        self.unfinished = len(todo)
        self.shares = {config.run_dir: k for _, _, config, k in todo}
        for tag, argv, config, k in todo:
            need = resources.need(k)
            gpu = resources.take(need)
            thread = threading.Thread(target=self._job_thread, args=(
                resources, need, gpu, tag, argv, config, log_dir, len(todo), skipped))
            self.threads.append(thread)
            thread.start()
        for thread in self.threads:
            thread.join()
        return [o for o in self.results if o.status != "done"], skipped

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
        for name in FIGURE_SCRIPTS[args.preset]:
            argv = [python(), *script(name), f"--train_dir={planned[0][0].train_dir}",
                    f"--figures_dir={args.figures_dir}"]
            if args.preset == "quick" and name == "create_metrics_table":
                argv += plan.QUICK_TABLE
            if args.preset == "shapes" and name == "create_metrics_table":
                argv += ["--shapes_beside=" + ",".join(plan.SHAPES_HISTORY)]
            outcome = self.command("[figures]", argv, os.path.join(log_dir, name + ".log"),
                                   None)
            if outcome.status != "done":
                failures.append(outcome)
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
                 f"the last figures, as sweep.timing.run_time counts them): {total_s / 3600:.2f} h "
                 f"({parts})")

    def run(self):
        args = self.args
        try:
            planned = [(c, a) for c, a in plan.plan(args.preset, args.train_dir,
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
                print("\n".join(plan.shell_line(a) for a in commands), flush=True)
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
        for o in failures:
            self.say(f"FAILED (exit {o.code}): {plan.shell_line(o.argv)}\n    {o.last}")
        return 1 if failures else 0


def main(argv):
    args, extra = parse_args(argv)
    os.chdir(ROOT)
    return Sweep(args, extra).run()
