"""Interruption, one writer per run, bad flags, divergence, damaged runs, determinism.

The interruption and flag tests run the real main.py in a subprocess."""

import logging
import os
import signal
import subprocess
import sys
import time

import numpy as np
import pytest
import tensorflow as tf

from reporting import plots, tables
from results import summaries
from betavae import runs
from betavae import train
from betavae.config import Config

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# The conv model runs as a TF graph on a CPU: it starts faster than the XLA-compiled FC.
TINY = ["--model=conv", "--hidden_size=4", "--batch_size=8", "--log_every=10",
        "--steps_per_call=5"]


def start_main(args, log_path):
    """main.py in the background, its output going to log_path."""
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2")
    log = open(log_path, "w")
    return subprocess.Popen([sys.executable, os.path.join(ROOT, "main.py")] + args,
                            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)


def run_main(args, timeout=120):
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2")
    return subprocess.run([sys.executable, os.path.join(ROOT, "main.py")] + args, cwd=ROOT,
                          env=env, capture_output=True, text=True, timeout=timeout)


def wait_for(log_path, text, timeout=120):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if text in open(log_path).read():
            return
        time.sleep(0.2)
    raise AssertionError(f"{text!r} did not appear in {log_path}:\n{open(log_path).read()}")


def run_dir(prefix):
    return Config(model="conv", train_dir=prefix).run_dir


def assert_clean_metrics(directory, last_step, every=10):
    steps = [r["step"] for r in runs.read_metrics(directory)]
    assert steps == list(range(every, last_step + 1, every)), steps


def start_long_run(tmp_path, checkpoint_every, until_step):
    """A main.py run of 100000 steps, once it has logged until_step: (process, prefix, log)."""
    prefix = str(tmp_path / "ts")
    log = str(tmp_path / "log")
    process = start_main(TINY + [f"--train_dir={prefix}", "--max_step=100000",
                                 f"--checkpoint_every={checkpoint_every}"], log)
    try:
        wait_for(log, f"step {until_step}/100000")
    except AssertionError:
        process.kill()
        raise
    return process, prefix, log


def stopped_step(prefix):
    return int(tf.train.latest_checkpoint(run_dir(prefix)).rsplit("-", 1)[1])


def test_sigint_saves_a_checkpoint_and_resume_continues(tmp_path):
    process, prefix, log = start_long_run(tmp_path, 1000, 30)
    process.send_signal(signal.SIGINT)
    assert process.wait(timeout=60) == 128 + signal.SIGINT
    assert "Run the same command again to resume" in open(log).read()
    stopped = stopped_step(prefix)
    assert stopped >= 30 and stopped % 1000 != 0  # saved at the step it was stopped
    assert not os.path.exists(os.path.join(run_dir(prefix), runs.LOCK_FILE))

    final = (stopped // 10 + 2) * 10
    done = run_main(TINY + [f"--train_dir={prefix}", f"--max_step={final}",
                            "--checkpoint_every=1000"])
    assert done.returncode == 0, done.stderr
    assert f"restored from step {stopped}" in done.stderr
    assert_clean_metrics(run_dir(prefix), final)  # TensorBoard gets the same steps


def test_second_writer_is_refused_and_sigterm_saves(tmp_path):
    first, prefix, log = start_long_run(tmp_path, 1000, 10)
    try:
        second = run_main(TINY + [f"--train_dir={prefix}", "--max_step=100000"])
        assert second.returncode != 0
        assert f"being trained by process {first.pid}" in second.stderr
        assert "Traceback" not in second.stderr
    finally:
        first.send_signal(signal.SIGTERM)
        code = first.wait(timeout=60)
    assert code == 128 + signal.SIGTERM
    assert "SIGTERM: stopped at step" in open(log).read()
    assert stopped_step(prefix) >= 10


def test_bad_flags_are_named_one_per_line_and_create_nothing(tmp_path):
    prefix = str(tmp_path / "ts")
    result = run_main([f"--train_dir={prefix}", "--model=resnet"])
    assert result.returncode != 0 and "--model" in result.stderr
    assert "fully_connected" in result.stderr  # the allowed values
    bad = {"--beta=-1": ">= 0", "--num_balls=9": "does not fit", "--keep_prob=0": "(0, 1]",
           "--batch_size=0": "> 0", "--lr=0": "> 0", "--hidden_size=0": "> 0",
           "--max_step=-1": ">= 0", "--stop_at=-1": ">= 0"}
    result = run_main([f"--train_dir={prefix}"] + list(bad))
    assert result.returncode != 0 and "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    for flag, allowed in bad.items():
        assert any(line.count(flag) == 1 and allowed in line for line in lines), flag
    assert os.listdir(tmp_path) == []


def test_flags_are_checked_before_tensorflow_loads(tmp_path):
    """A bad flag is refused at once: main.py checks its flags on names and numbers alone
    (betavae/datasets.py, betavae/config.py), and imports TensorFlow only for a run it can start."""
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2")
    result = subprocess.run([sys.executable, "-X", "importtime", os.path.join(ROOT, "main.py"),
                             f"--train_dir={tmp_path}/ts", "--num_balls=9", "--model=conv"],
                            cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 1 and "--num_balls=9" in result.stderr
    imported = [line.rsplit("|", 1)[-1].strip() for line in result.stderr.splitlines()
                if line.startswith("import time:")]
    assert "absl.flags" in imported
    assert not any(name.split(".")[0] in ("tensorflow", "keras") for name in imported)


def test_the_flag_registries_name_what_the_code_has():
    import architecture
    import data
    from betavae import datasets
    from betavae import schedules
    assert sorted(architecture.MODELS) == sorted(datasets.MODEL_NAMES)
    assert data.SAMPLERS == datasets.SAMPLERS == ("iid", "trajectory")
    assert sorted(architecture.SHAPES_MODELS) == sorted(datasets.MODELS_FOR["shapes"])
    for name in ("BOX_SIZE", "IMAGE_SIZE", "RADIUS", "TRAJECTORY_START_LOW"):
        assert getattr(data, name) == getattr(datasets, name), name  # the TF-free copy
    for name in schedules.LR_SCHEDULES:
        schedules.learning_rate(5, 1e-3, name, decay_steps=10)


def test_resume_with_contradicting_flags_is_refused(tmp_path):
    prefix = str(tmp_path / "ts")
    saved = Config(model="conv", hidden_size=4, train_dir=prefix)
    os.makedirs(saved.run_dir)
    saved.save(saved.run_dir)
    result = run_main(TINY + [f"--train_dir={prefix}", "--max_step=20", "--hidden_size=8"])
    assert result.returncode != 0
    assert "--hidden_size=8 but the run was started with hidden_size=4" in result.stderr
    assert "Traceback" not in result.stderr
    assert os.listdir(saved.run_dir) == ["config.json"]


def test_divergence_stops_and_keeps_the_last_good_checkpoint(tmp_path, monkeypatch):
    calls = tf.Variable(0, dtype=tf.int64)
    real_loss = train.vae_loss

    def poisoned(*args, **kwargs):  # finite for 15 steps, then NaN
        loss, recon, kl, stddev = real_loss(*args, **kwargs)
        calls.assign_add(1)
        return loss + tf.where(calls > 15, np.nan, 0.0), recon, kl, stddev

    monkeypatch.setattr(train, "vae_loss", poisoned)
    config = Config(model="fully_connected", hidden_size=4, batch_size=8, max_step=40,
                    log_every=10, checkpoint_every=10, steps_per_call=5,
                    train_dir=str(tmp_path / "ts"))
    with pytest.raises(train.Diverged, match="between step 15 and 20") as error:
        train.train(config)
    assert "last good checkpoint is step 10" in str(error.value)
    _, model, step, _ = runs.load_run(config.run_dir)
    assert step == 10
    assert all(np.all(np.isfinite(v.numpy())) for v in model.trainable_variables)


def test_diverging_main_exits_with_a_message(tmp_path):
    result = run_main(TINY + [f"--train_dir={tmp_path / 'ts'}", "--max_step=50", "--lr=1e30",
                              "--model=conv"])
    assert result.returncode == 1
    assert "NaN or Inf" in result.stderr and "Traceback" not in result.stderr


def make_damaged_runs(prefix):
    """A good run, a corrupt checkpoint and one whose config.json does not match it."""
    base = dict(model="fully_connected", hidden_size=4, batch_size=8, max_step=2,
                log_every=1, checkpoint_every=2, train_dir=prefix)
    for beta in (0.1, 0.5, 1.0):
        train.train(Config(beta=beta, **base))
    corrupt = Config(beta=0.5, **base).run_dir
    for name in os.listdir(corrupt):
        if name.endswith(".index"):
            with open(os.path.join(corrupt, name), "wb") as f:
                f.write(b"not a checkpoint")
    mismatched = Config(beta=1.0, **base)
    Config(**dict(base, beta=1.0, hidden_size=6)).save(mismatched.run_dir)
    return corrupt, mismatched.run_dir


def test_damaged_runs_are_named_and_the_rest_drawn(tmp_path, caplog):
    prefix = str(tmp_path / "ts")
    corrupt, mismatched = make_damaged_runs(prefix)
    caplog.set_level(logging.WARNING)
    written = plots.cool_images(prefix, str(tmp_path / "figs"))
    assert [os.path.basename(p) for p in written] == [
        "heat_map_model_fully_connected_num_balls_1_beta_0.1.png"]
    warnings = caplog.text
    assert corrupt in warnings and mismatched in warnings
    assert "none restores the model that config.json describes" in warnings
    rows = tables.metrics_table(prefix, str(tmp_path / "table"),
                               summaries.table_sizes(num_train=50, num_eval=50, num_mig=500))
    assert len(rows) == 5  # two csv, two md, one plot: from the one good run


@pytest.mark.parametrize("model", ["fully_connected", "conv"])
def test_same_seed_same_loss_trace(tmp_path, model):
    def trace(name, seed):
        config = Config(model=model, hidden_size=4, batch_size=8, max_step=20, log_every=5,
                        checkpoint_every=20, seed=seed, train_dir=str(tmp_path / name))
        train.train(config)
        return [(r["step"], r["loss"]) for r in runs.read_metrics(config.run_dir)]

    first = trace("a", 3)
    assert trace("b", 3) == first
    if model == "conv":  # and the seed matters
        assert trace("c", 4) != first
