"""./run itself (sweep/runner.py): what it trains or skips, how many runs at once, threads,
GPUs, events.

The sweep's `execute` (which starts main.py and the figure scripts) is replaced by a fake
that writes what main.py would (config.json) and keeps a record, so a sweep of 18 runs
takes a moment."""

import csv
import dataclasses
import datetime
import json
import os
import threading
import time

import pytest

from results import identity
from sweep import runner, timing
from results import summaries
from sweep import plan

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def as_script(argv):
    """argv with a reporting module's `-m reporting.<name>` written as its file,
    reporting/<name>.py, as the top-level figure scripts are."""
    if len(argv) > 2 and argv[1] == "-m":
        return [argv[0], argv[2].replace(".", "/") + ".py"] + argv[3:]
    return argv


class FakeExecute:
    """Stands in for Sweep.execute: records each command, tracks how many run at once."""

    def __init__(self, seconds=0.0, together=0, per_gpu=1):
        """together: the first `together` jobs wait (up to 5 s) until that many run at
        once, so a sweep that can run them together is seen doing it however slow the
        machine is, and one that cannot is seen not doing it."""
        self.seconds, self.together, self.calls = seconds, together, []
        self.per_gpu = per_gpu  # jobs a GPU may hold at once
        self.lock = threading.Condition()
        self.running = self.most = 0
        self.gpus_in_use = []

    def __call__(self, tag, argv, log_path, gpu=None):
        argv = as_script(argv)
        with self.lock:
            self.calls.append((argv, gpu))
            self.running += 1
            self.most = max(self.most, self.running)
            if gpu is not None:
                assert self.gpus_in_use.count(gpu) < self.per_gpu, \
                    f"GPU {gpu} given to more than {self.per_gpu} jobs"
                self.gpus_in_use.append(gpu)
            self.lock.notify_all()
            if len(self.calls) <= self.together:
                self.lock.wait_for(lambda: self.running >= self.together, timeout=5)
        if "main.py" in argv[1]:
            from betavae.config import Config
            config = Config(**plan.parse_flags(  # --stop_at: this session's, not config's
                [a for a in argv[2:] if not a.startswith("--stop_at=")])).resolved()
            os.makedirs(config.run_dir, exist_ok=True)
            config.save(config.run_dir)
        time.sleep(self.seconds)
        with self.lock:
            self.running -= 1
            if gpu is not None:
                self.gpus_in_use.remove(gpu)
        return 0, "ok"

    def trained(self):
        return [a for a, _ in self.calls if "main.py" in a[1]]


@pytest.fixture
def run(monkeypatch):
    monkeypatch.setattr(runner.Sweep, "catch_signals", lambda self: None)
    monkeypatch.setattr(runner, "visible_gpus", lambda: [])
    monkeypatch.chdir(ROOT)
    return runner


def run_sweep(run, monkeypatch, tmp_path, *args, seconds=0.0, together=0, per_gpu=1):
    fake = FakeExecute(seconds, together, per_gpu)
    monkeypatch.setattr(run.Sweep, "execute", lambda self, *a, **k: fake(*a, **k))
    code = run.main(["--train_dir", str(tmp_path / "ck" / "ts"), "--figures_dir",
                     str(tmp_path / "figs")] + list(args))
    assert code == 0
    return fake


def _keep_summaries(tmp_path, seed=None, **change):
    """Kept summaries that answer for every run of the reproduce preset (as a clone of
    the repository has them), with `change` made to their configs."""
    for config, _ in plan.plan("reproduce", str(tmp_path / "ck" / "ts"), (seed,)):
        settings = dict(dataclasses.asdict(config), **change)
        folder = tmp_path / "figs" / summaries.RUNS_DIR / os.path.basename(config.run_dir)
        folder.mkdir(parents=True)
        (folder / summaries.SUMMARY_FILE).write_text(json.dumps(
            {"run": os.path.basename(config.run_dir), "config": settings,
             "step": config.max_step,
             "evaluation": identity.EVALUATION}))


def test_a_fresh_clone_trains_every_run_whatever_summaries_it_holds(run, monkeypatch,
                                                                    tmp_path):
    _keep_summaries(tmp_path)
    fake = run_sweep(run, monkeypatch, tmp_path, "--reproduce")
    assert len(fake.trained()) == 18
    # each trained run is scored (reporting/create_run_summary.py), then the figures are drawn
    scored = [a for a, _ in fake.calls if a[1] == "reporting/create_run_summary.py"]
    assert len(scored) == 18
    assert fake.calls[-1][0][1] == "reporting/create_training_curves.py"
    assert "reporting/create_score_graph.py" in [a[1] for a, _ in fake.calls[-5:]]  # seeds' spread


def test_reuse_skips_exactly_the_runs_whose_kept_summary_answers(run, monkeypatch,
                                                                 tmp_path):
    _keep_summaries(tmp_path)
    assert run_sweep(run, monkeypatch, tmp_path, "--reproduce", "--reuse").trained() == []
    # seed 1 has no summaries: all 18 train; seed 0's are reused
    fake = run_sweep(run, monkeypatch, tmp_path, "--reproduce", "--reuse", "--seeds=0,1")
    assert len(fake.trained()) == 18 and all("--seed=1" in a for a in fake.trained())
    # the same with --seed after --
    fake = run_sweep(run, monkeypatch, tmp_path, "--reproduce", "--reuse", "--", "--seed=1")
    assert len(fake.trained()) == 18


def test_progress_counts_the_runs_done_of_those_to_train(run, monkeypatch, tmp_path,
                                                          capsys):
    _keep_summaries(tmp_path)  # seed 0's 18 are reused, seed 1's 18 train
    run_sweep(run, monkeypatch, tmp_path, "--reproduce", "--reuse", "--seeds=0,1")
    lines = [line for line in capsys.readouterr().out.splitlines()
             if line.startswith("[sweep]")]
    assert len(lines) == 18
    assert lines[0].startswith("[sweep] 1 of 18 runs to train done (18 skipped), 0 failed")
    assert lines[-1].startswith("[sweep] 18 of 18 runs to train done (18 skipped), 0 failed")


def test_reuse_does_not_take_a_summary_of_another_recipe(run, monkeypatch, tmp_path):
    _keep_summaries(tmp_path, kl_warmup_steps=123)
    assert len(run_sweep(run, monkeypatch, tmp_path, "--reproduce", "--reuse").trained()) == 18


def test_selection_flags(run, monkeypatch, tmp_path):
    fake = run_sweep(run, monkeypatch, tmp_path, "--reproduce", "--models=conv",
                  "--num_balls=2", "--betas=0.5,1.0")
    assert sorted((a[2], a[3], a[4]) for a in fake.trained()) == [
        ("--model=conv", "--num_balls=2", "--beta=0.5"),
        ("--model=conv", "--num_balls=2", "--beta=1.0")]


@pytest.mark.parametrize("jobs", range(1, 13))
def test_n_jobs_run_n_at_a_time(run, monkeypatch, tmp_path, jobs):
    fake = run_sweep(run, monkeypatch, tmp_path, "--quick", f"--jobs={jobs}", seconds=0.01,
                  together=jobs)
    assert len(fake.trained()) == 18
    assert fake.most == min(jobs, 18)


def test_threads_are_the_cores_split_between_the_jobs(run, monkeypatch, tmp_path):
    monkeypatch.setattr(run.os, "cpu_count", lambda: 8)
    fake = run_sweep(run, monkeypatch, tmp_path, "--quick", "--jobs=4")
    assert all(a[-1] == "--threads=2" for a in fake.trained())
    fake = run_sweep(run, monkeypatch, tmp_path, "--quick", "--jobs=1")
    assert not any("--threads" in " ".join(a) for a in fake.trained())
    # --reproduce: as measured, conv and all_conv two at a time, fully connected alone
    fake = run_sweep(run, monkeypatch, tmp_path, "--reproduce")
    threads = {a[2]: a[-1] for a in fake.trained()}
    assert threads == {"--model=conv": "--threads=4", "--model=all_conv": "--threads=4",
                       "--model=fully_connected": "--max_step=15000"}


def test_the_last_runs_take_the_cores_the_finished_ones_left(run, monkeypatch):
    """A run's later main.py calls (its stretches between points) share the cores only
    with the runs not yet finished."""
    monkeypatch.setattr(run.os, "cpu_count", lambda: 8)
    args, extra = run.parse_args(["--shapes", "--jobs=4"])
    sweep_ = run.Sweep(args, extra)
    config = plan.plan("shapes", "./ck/ts", (None,), [], "python3")[0][0]
    sweep_.shares = {config.run_dir: 4}
    argv = ["python3", "main.py", "--beta=4.0", "--threads=2"]
    for unfinished, threads in ((9, 2), (4, 2), (3, 2), (2, 4), (1, 8)):
        sweep_.unfinished = unfinished
        assert sweep_.rethreaded(argv, config)[-1] == f"--threads={threads}"
    sweep_.shares = {config.run_dir: 1}  # a run planned alone keeps its command
    assert sweep_.rethreaded(argv, config) == argv


def test_gpus_go_to_the_first_free_one(run, monkeypatch, tmp_path):
    monkeypatch.setattr(run, "visible_gpus", lambda: ["0", "1"])
    fake = run_sweep(run, monkeypatch, tmp_path, "--quick", seconds=0.01, together=2)
    assert fake.most == 2  # one job per GPU, never two on one (the fake asserts it)
    assert {g for a, g in fake.calls if "main.py" in a[1]} == {"0", "1"}


@pytest.mark.parametrize("jobs", [1, 3])
def test_jobs_bound_the_runs_at_once_on_gpus_too(run, monkeypatch, tmp_path, jobs):
    """--jobs=N runs at most N at once whatever the GPU count (1 on 2 GPUs ran 2, 3 ran
    2), spread evenly over the GPUs, in the plan's order (longest first)."""
    monkeypatch.setattr(run, "visible_gpus", lambda: ["0", "1"])
    fake = run_sweep(run, monkeypatch, tmp_path, "--reproduce", f"--jobs={jobs}",
                  seconds=0.02, together=jobs, per_gpu=2)  # 3 on 2 GPUs: 2 and 1
    assert fake.most == jobs
    planned = [a for _, a in plan.plan("reproduce", str(tmp_path / "ck" / "ts"),
                                        (None,), [], "python3")]
    started = [a[2:5] for a in fake.trained()]
    order = [a[2:5] for a in planned]
    # jobs that start together may reach main.py in any order, by less than `jobs` places
    assert sorted(started) == sorted(order)
    assert all(abs(started.index(a) - i) < jobs for i, a in enumerate(order))


def test_events_are_logged_in_utc_with_the_zone(run, monkeypatch, tmp_path):
    run_sweep(run, monkeypatch, tmp_path, "--reproduce", "--models=conv", "--num_balls=1",
           "--betas=1.0")
    with open(tmp_path / "figs" / "sweep_time.csv") as f:
        rows = list(csv.DictReader(f))
    assert [r["event"] for r in rows] == ["start", "started", "trained", "summarized",
                                          "trained all", "done"]
    for r in rows:
        t = datetime.datetime.fromisoformat(r["time"])
        assert t.utcoffset() == datetime.timedelta(0)
    total, invocations = timing.run_time(str(tmp_path / "figs" / "sweep_time.csv"))
    assert invocations == 1 and total >= 0


def test_a_running_job_logs_a_heartbeat(run, monkeypatch, tmp_path):
    monkeypatch.setattr(timing, "HEARTBEAT_SECONDS", 0.02)
    run_sweep(run, monkeypatch, tmp_path, "--reproduce", "--models=conv", "--num_balls=1",
              "--betas=1.0", seconds=0.2)
    with open(tmp_path / "figs" / "sweep_time.csv") as f:
        events = [r["event"] for r in csv.DictReader(f)]
    assert "working" in events
    assert events.index("working") > events.index("started")
    assert "working" not in events[events.index("summarized"):]


def test_a_run_trained_and_scored_here_before_is_checked_without_adding_to_its_time(
        run, monkeypatch, tmp_path):
    (config, _), = [p for p in plan.plan("reproduce", str(tmp_path / "ck" / "ts"), (None,))
                    if p[0].model == "conv" and p[0].num_balls == 1 and p[0].beta == 1.0]
    os.makedirs(config.run_dir)
    config.save(config.run_dir)
    checkpoint = os.path.join(config.run_dir, f"ckpt-{config.max_step}")
    with open(checkpoint + ".index", "w") as f:
        f.write("the final checkpoint")
    name = os.path.basename(config.run_dir)
    folder = tmp_path / "figs" / summaries.RUNS_DIR / name
    folder.mkdir(parents=True)
    summary = {"run": name, "config": dataclasses.asdict(config), "step": config.max_step,
               "evaluation": identity.EVALUATION,
               "checkpoint": identity.fingerprint(checkpoint)}
    (folder / summaries.SUMMARY_FILE).write_text(json.dumps(summary))
    select = ["--reproduce", "--models=conv", "--num_balls=1", "--betas=1.0"]

    def logged():
        with open(tmp_path / "figs" / "sweep_time.csv") as f:
            return [r["event"] for r in csv.DictReader(f) if r["run"] == name]

    fake = run_sweep(run, monkeypatch, tmp_path, *select)
    assert len(fake.calls) == 1 + 1 + len(runner.FIGURE_SCRIPTS["reproduce"])  # still run
    assert logged() == []
    with open(checkpoint + ".index", "w") as f:  # trained again: scoring it is work
        f.write("another final checkpoint")
    run_sweep(run, monkeypatch, tmp_path, *select)
    assert logged() == ["resumed", "trained", "summarized"]


def test_sigint_reaches_the_running_trainings_and_is_logged(tmp_path):
    """The real ./run and main.py: a stop signal is passed on (main.py saves and says so),
    logged in sweep_time.csv, and the sweep exits 130 instead of hanging."""
    import signal
    import subprocess
    import sys
    from tests.test_reliability import wait_for
    log = str(tmp_path / "run.log")
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2")
    with open(log, "w") as out:
        process = subprocess.Popen(
            [sys.executable, os.path.join(ROOT, "run"), "--quick",
             "--models=conv", "--num_balls=1", "--betas=0.1",
             f"--train_dir={tmp_path}/ck/ts", f"--figures_dir={tmp_path}/figs", "--",
             "--max_step=100000", "--hidden_size=4", "--batch_size=8", "--log_every=10"],
            cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
    try:
        wait_for(log, "step 10/100000", timeout=180)
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=120) == 128 + signal.SIGINT
    finally:
        process.kill()
    name = "ts_batch_size_8_hidden_size_4_model_conv_num_balls_1_beta_0.1"
    with open(os.path.join(tmp_path, "figs", "sweep_time.csv")) as f:
        rows = [(r["event"], r["run"]) for r in csv.DictReader(f)]
    # the run's stop is logged as such (not as a failure) before the sweep's own
    assert rows[-2:] == [("interrupted", name), ("stopped", "SIGINT")]
    with open(log) as f:
        out = f.read()
    assert "[1/1] stopped by SIGINT (the same command resumes it)" in out
    assert "FAILED" not in out and "runs to train done" not in out
    with open(os.path.join(tmp_path, "ck", "logs", name + ".log")) as f:
        assert "Run the same command again to resume" in f.read()


def test_the_stop_handler_takes_no_lock_the_interrupted_code_may_hold(tmp_path,
                                                                       monkeypatch):
    """A signal arriving while the main thread is inside say() (holding the print lock)
    must not deadlock: the handler is run here by a thread that holds that lock."""
    import signal
    exits = []
    monkeypatch.setattr(runner.os, "_exit", lambda code: exits.append(code))
    args, extra = runner.parse_args(["--figures_dir", str(tmp_path)])
    sweep_ = runner.Sweep(args, extra)
    before = {s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        sweep_.catch_signals()
        handler = signal.getsignal(signal.SIGINT)
    finally:
        for s, h in before.items():
            signal.signal(s, h)

    def interrupted_inside_say():
        with sweep_.print_lock:
            handler(signal.SIGINT, None)

    thread = threading.Thread(target=interrupted_inside_say, daemon=True)
    thread.start()
    thread.join(timeout=10)
    assert not thread.is_alive(), "the handler waited for the print lock"
    assert exits == [128 + signal.SIGINT]
    with open(tmp_path / "sweep_time.csv") as f:
        assert [r["event"] for r in csv.DictReader(f)] == ["stopped"]


def test_after_a_stop_signal_no_command_starts_and_a_trained_run_is_left_unscored(
        run, tmp_path):
    """A run whose training ends just as a stop signal arrives is not scored now (the
    next ./run scores it), and a run whose turn comes after the signal does not start."""
    calls = []
    args, extra = run.parse_args(["--reproduce", "--figures_dir", str(tmp_path)])
    sweep_ = run.Sweep(args, extra)

    def fake_execute(tag, argv, log_path, gpu=None):
        calls.append(as_script(argv)[1])
        sweep_.stopping = "SIGTERM"  # the signal arrives while main.py runs
        return 0, "done"

    sweep_.execute = fake_execute
    config = plan.plan("reproduce", str(tmp_path / "ts"), (None,), [], "python3")[0][0]
    outcome = sweep_.job("[1/2]", ["python3", "main.py"], config, str(tmp_path), None)
    assert (outcome.status, outcome.code, outcome.last) == ("stopped", 0, "done")
    assert calls == ["main.py"]  # reporting/create_run_summary.py was not started
    outcome = sweep_.job("[2/2]", ["python3", "main.py"], config, str(tmp_path), None)
    assert (outcome.status, outcome.code, outcome.last) == ("stopped", None, "not started")
    assert calls == ["main.py"]
    with open(tmp_path / "sweep_time.csv") as f:
        assert [r["event"] for r in csv.DictReader(f)] == ["started", "trained"]


@pytest.mark.parametrize("failing", ["main.py", "reporting/create_run_summary.py"])
def test_a_failure_is_reported_under_the_command_that_failed(run, monkeypatch, tmp_path,
                                                             capsys, failing):
    fake = FakeExecute()

    def execute(sweep_, tag, argv, log_path, gpu=None):
        fake(tag, argv, log_path, gpu)
        return (1, "boom") if as_script(argv)[1] == failing else (0, "ok")

    monkeypatch.setattr(run.Sweep, "execute", execute)
    code = run.main(["--reproduce", "--models=conv", "--num_balls=1", "--betas=1.0",
                     "--train_dir", str(tmp_path / "ck" / "ts"),
                     "--figures_dir", str(tmp_path / "figs")])
    assert code == 1
    failed = [line for line in capsys.readouterr().out.splitlines()
              if line.startswith("FAILED")]
    command = failing if failing == "main.py" else "-m " + failing[:-3].replace("/", ".")
    assert len(failed) == 1 and f" {command} " in failed[0]
    # a failed training is not scored
    assert [a[1] for a, _ in fake.calls].count("reporting/create_run_summary.py") == (
        0 if failing == "main.py" else 1)


def test_the_time_line_names_the_models_and_seeds_the_sweep_ran(run, monkeypatch,
                                                                 tmp_path, capsys):
    for _ in range(2):  # the time over invocations is printed from the second on
        run_sweep(run, monkeypatch, tmp_path, "--shapes", "--seeds=0,1")
    line = [l for l in capsys.readouterr().out.splitlines() if "invocations" in l][-1]
    assert "burgess" in line and "seed 0" in line and "seed 1" in line
    assert not any(m in line for m in plan.MODELS)  # the ball models were not run


def test_a_partial_sweep_says_which_kept_summaries_its_figures_draw_on(run, monkeypatch,
                                                                       tmp_path, capsys):
    _keep_summaries(tmp_path)  # all 18 reproduce runs kept, as a clone has them
    run_sweep(run, monkeypatch, tmp_path, "--reproduce", "--models=conv")
    out = capsys.readouterr().out
    assert ("[figures] the tables and figures also draw on 12 kept summaries in "
            f"{tmp_path / 'figs'}/runs of runs this invocation did not plan") in out
    run_sweep(run, monkeypatch, tmp_path, "--reproduce")  # the whole sweep: nothing else
    assert "also draw on" not in capsys.readouterr().out


def test_the_faithful_sweep_scores_each_run_as_it_finishes(run, monkeypatch, tmp_path):
    fake = run_sweep(run, monkeypatch, tmp_path, "--models=conv,all_conv", "--num_balls=2")
    assert len(fake.trained()) == 6
    scripts = [a[1] for a, _ in fake.calls]
    assert scripts.count("reporting/create_run_summary.py") == 6
    # each summary is followed by its run's checkpoints scored, for the same run
    for i, script in enumerate(scripts):
        if script == "reporting/create_run_summary.py":
            assert scripts[i + 1] == "reporting/create_checkpoint_spread.py"
            assert fake.calls[i + 1][0][2] == fake.calls[i][0][2]  # --run_dir
    assert "reporting/create_checkpoint_spread.py" not in [
        a[1] for a, _ in run_sweep(run, monkeypatch, tmp_path, "--reproduce", "--models=conv",
                                "--num_balls=1").calls]
    trained = fake.trained()
    assert all("--max_step" not in " ".join(a) for a in trained)  # the original's commands


def test_a_figures_folder_of_ones_own_trains_into_checkpoints_of_its_own():
    """A short development run made for its own figures folder must not be a finished
    run under the preset's checkpoints, where the preset's tables would collect it."""
    def dirs(*argv):
        args, _ = runner.parse_args(list(argv))
        return os.path.normpath(args.train_dir), os.path.normpath(args.figures_dir)

    assert dirs("--shapes") == ("checkpoints/shapes/train_store", "figures/shapes")
    assert dirs("--shapes", "--figures_dir=figures/shapes_development", "--",
                "--max_step=50000") == ("checkpoints/shapes_development/train_store",
                                        "figures/shapes_development")
    assert dirs("--figures_dir=figures/faithful/") == ("checkpoints/train_store",
                                                       "figures/faithful")
    assert dirs("--reproduce", "--", "--lr=1e-3")[0] == "checkpoints/reproduce/train_store"
    assert dirs("--reproduce", "--figures_dir=f/mine", "--train_dir=c/ts") == ("c/ts",
                                                                              "f/mine")
