"""Damaged run directories and bad output paths: resumed from the right step, or a
one-line error; never a traceback, never a silent restart, nothing deleted."""

import logging
import os
import re
import shutil
import signal
import subprocess
import sys

import pytest

from betavae import runs
from betavae import train
from betavae.config import Config, validate
from test_reliability import ROOT, run_main, start_main, wait_for

# main.py flags of tiny(): the graph (conv) path, which compiles fastest
SMALL = ["--model=conv", "--hidden_size=4", "--batch_size=8", "--log_every=10",
         "--checkpoint_every=10", "--steps_per_call=5"]
COLUMNS = ("step", "reconstruction", "kl", "loss", "lr", "beta", "active_latents")


def tiny(tmp_path, max_step, **overrides):
    values = dict(model="conv", hidden_size=4, batch_size=8, max_step=max_step, log_every=10,
                  checkpoint_every=10, steps_per_call=5, train_dir=str(tmp_path / "ts"))
    values.update(overrides)
    return Config(**values)


@pytest.fixture(scope="module")
def _run_at_20(tmp_path_factory):
    config = tiny(tmp_path_factory.mktemp("trained"), 20)
    train.train(config)
    assert runs.checkpoint_paths(config.run_dir)[0].endswith("ckpt-20")
    return config.run_dir


@pytest.fixture
def trained_to_20(tmp_path, _run_at_20):
    """A run trained to step 20 with checkpoints at 10 and 20 (a copy of one trained once
    per module, at this test's tiny() path); its directory."""
    directory = tiny(tmp_path, 20).run_dir
    shutil.copytree(_run_at_20, directory)
    return directory


def steps(directory):
    return [r["step"] for r in runs.read_metrics(directory)]


def test_torn_last_row_of_metrics_is_dropped_with_a_warning(tmp_path, trained_to_20, caplog):
    with open(os.path.join(trained_to_20, "metrics.csv"), "a") as f:
        f.write("15,123.4,5\n")  # what a kill during a write leaves
    caplog.set_level(logging.WARNING)
    assert train.train(tiny(tmp_path, 30)) == 30
    assert "unreadable row left out" in caplog.text and "15,123.4,5" in caplog.text
    assert steps(trained_to_20) == [10, 20, 30]


def test_garbage_checkpoint_index_does_not_restart_from_zero(tmp_path, trained_to_20,
                                                             caplog):
    with open(os.path.join(trained_to_20, "checkpoint"), "w") as f:
        f.write("\x00\x01 this is not a checkpoint state {{{\n")
    caplog.set_level(logging.INFO)
    assert train.train(tiny(tmp_path, 30)) == 30
    assert "restored from step 20" in caplog.text
    assert steps(trained_to_20) == [10, 20, 30]  # the history is kept


def _truncate(directory, step):
    (data,) = [f for f in os.listdir(directory) if f.startswith(f"ckpt-{step}.data")]
    path = os.path.join(directory, data)
    with open(path, "r+b") as f:
        f.truncate(os.path.getsize(path) // 2)
    return data


def test_truncated_newest_checkpoint_falls_back_to_the_older_one(tmp_path, trained_to_20,
                                                                 caplog):
    _truncate(trained_to_20, 20)
    caplog.set_level(logging.INFO)
    assert train.train(tiny(tmp_path, 30)) == 30
    assert "ckpt-20 does not restore" in caplog.text
    assert "restored from step 10" in caplog.text
    assert steps(trained_to_20) == [10, 20, 30]


def test_figure_scripts_draw_the_newest_checkpoint_that_restores(trained_to_20, caplog):
    _truncate(trained_to_20, 20)
    caplog.set_level(logging.WARNING)
    config, model, step, _ = runs.load_run(trained_to_20)
    assert step == 10 and config.model == "conv"
    assert "ckpt-20 does not restore" in caplog.text


def _snapshot(directory):
    return {name: open(os.path.join(directory, name), "rb").read()
            for name in sorted(os.listdir(directory))}


def test_no_restorable_checkpoint_is_a_one_line_error_and_changes_nothing(tmp_path,
                                                                         trained_to_20):
    directory = trained_to_20
    for step in (10, 20):
        _truncate(directory, step)
    before = _snapshot(directory)
    result = run_main(SMALL + [f"--train_dir={tmp_path}/ts", "--max_step=30"])
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith("main.py:") and "no checkpoint restores" in last
    assert "ckpt-20" in last and "ckpt-10" in last and directory in last
    assert _snapshot(directory) == before


@pytest.mark.parametrize("script, flag", [
    ("main.py", "--train_dir=/proc/no/such/place/ts"),
    ("create_error_graph.py", "--figures_dir=/proc/no/such/place"),
    ("reporting/create_run_summary.py", "--figures_dir=/proc/no/such/place"),
    ("main.py", "--seed=-1"),
])
def test_bad_paths_and_seed_are_one_line_errors(tmp_path, script, flag):
    args = [flag]
    if script == "reporting/create_run_summary.py":
        args.append(f"--run_dir={tmp_path}")
    elif script == "create_error_graph.py":
        args.append(f"--train_dir={tmp_path}/nothing")
    else:
        args.append(f"--train_dir={tmp_path}/ts" if "seed" in flag else "--max_step=1")
    command = (["-m", script[:-3].replace("/", ".")] if "/" in script  # a package's
               else [os.path.join(ROOT, script)])
    result = subprocess.run([sys.executable, *command] + args, cwd=ROOT,
                            capture_output=True, text=True, timeout=120,
                            env=dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2"))
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith(f"{os.path.basename(script)}: {flag.split('=')[0]}"), last
    assert not os.path.exists(os.path.join(str(tmp_path), "ts_model_conv_num_balls_1_beta_0.1"))


def test_seed_range_is_checked():
    assert any(p.startswith("--seed") for p in validate(Config(seed=2**32)))
    assert validate(Config(seed=2**32 - 1)) == []


def test_killed_at_several_moments_ends_as_an_uninterrupted_run(tmp_path):
    """SIGKILL twice at different moments, resume each time: the same metrics.csv as a
    run straight through (every column but wall time, bit for bit).

    Each kill comes a number of steps after the step its process started from: on a
    loaded machine a process may pass a checkpoint or two before the kill lands, so the
    next one may start later than the last kill's step."""
    final = 150
    straight = tiny(tmp_path, final, checkpoint_every=20, train_dir=str(tmp_path / "straight"))
    train.train(straight)

    prefix = str(tmp_path / "killed")
    args = SMALL + [f"--train_dir={prefix}", "--checkpoint_every=20"]
    directory = tiny(tmp_path, final, train_dir=prefix).run_dir
    for i, after in enumerate((30, 20)):
        log = str(tmp_path / f"log{i}")
        process = start_main(args + ["--max_step=100000"], log)
        try:
            wait_for(log, " -> 100000")
            start = int(re.search(r"steps (\d+) -> 100000", open(log).read()).group(1))
            wait_for(log, f"step {start + after}/100000")
        finally:
            process.send_signal(signal.SIGKILL)
            process.wait(timeout=60)
    done = run_main(args + [f"--max_step={final}"])
    assert done.returncode == 0, done.stderr
    assert "stale lock" in done.stderr
    want = [tuple(r[c] for c in COLUMNS) for r in runs.read_metrics(straight.run_dir)]
    got = [tuple(r[c] for c in COLUMNS) for r in runs.read_metrics(directory)]
    assert [r[0] for r in got] == list(range(10, final + 1, 10))
    assert got == want
