import json
import logging
import os
import time

import numpy as np
import pytest
import tensorflow as tf

from betavae import runs
from betavae import train
from betavae.config import Config, validate
from betavae.runs import read_metrics


def small_config(tmp_path, **overrides):
    values = dict(model="fully_connected", hidden_size=4, batch_size=16, max_step=20,
                  lr=1e-3, weight_init=0.01, num_balls=1, beta=1.0, log_every=10,
                  checkpoint_every=10, train_dir=str(tmp_path / "train_store"))
    values.update(overrides)
    return Config(**values)


def test_run_directory_uses_the_original_name(tmp_path):
    c = small_config(tmp_path, num_balls=2, beta=1.0)
    assert c.run_dir == str(tmp_path / "train_store") + "_model_fully_connected_num_balls_2_beta_1.0"
    assert Config(beta=0.1).run_dir == "./checkpoints/train_store_model_conv_num_balls_1_beta_0.1"


def test_twenty_steps_then_resume(tmp_path, caplog):
    caplog.set_level(logging.INFO)
    config = small_config(tmp_path)
    start = time.perf_counter()
    assert train.train(config) == 20
    first_call = time.perf_counter() - start
    run = config.run_dir
    saved = json.load(open(os.path.join(run, "config.json")))
    assert saved["model"] == "fully_connected" and saved["max_step"] == 20
    assert tf.train.latest_checkpoint(run).endswith("ckpt-20")
    rows = read_metrics(run)
    assert [r["step"] for r in rows] == [10, 20]
    header = open(os.path.join(run, "metrics.csv")).readline()
    assert header.startswith("step,reconstruction,kl")
    assert all(np.isfinite(r["reconstruction"]) and r["reconstruction"] > 0 for r in rows)
    assert any(f.startswith("events.out.tfevents") for f in os.listdir(run))

    elapsed = [r["elapsed"] for r in rows]
    assert 0 < elapsed[0] < elapsed[1] <= first_call  # wall seconds of training

    caplog.clear()
    start = time.perf_counter()
    assert train.train(small_config(tmp_path, max_step=30)) == 30
    second_call = time.perf_counter() - start
    assert "restored from step 20" in caplog.text
    # summed over the run's sessions
    assert elapsed[1] < read_metrics(run)[-1]["elapsed"] <= elapsed[1] + second_call
    assert [r["step"] for r in read_metrics(run)] == [10, 20, 30]
    assert json.load(open(os.path.join(run, "config.json")))["max_step"] == 30

    caplog.clear()
    assert train.train(small_config(tmp_path, max_step=30)) == 30
    assert "is done" in caplog.text
    # two sessions that trained (the third found the run done), both on this machine
    assert runs.machine_steps(run, 30) == {runs.describe_machine(): 30}
    with open(os.path.join(run, runs.SESSIONS_FILE)) as f:
        assert [line.split(",")[1] for line in f.read().splitlines()[1:]] == ["0", "20"]


def test_a_run_stopped_at_a_step_keeps_its_length_and_resumes_to_it(tmp_path, caplog):
    """--stop_at (./run --shapes's stages) stops short of max_step: config.json keeps the
    planned length, so the run is not taken as finished, and the next call goes on."""
    caplog.set_level(logging.INFO)
    config = small_config(tmp_path, max_step=30)
    assert train.train(config, stop_at=10) == 10
    assert json.load(open(os.path.join(config.run_dir, "config.json")))["max_step"] == 30
    assert [r["step"] for r in read_metrics(config.run_dir)] == [10]
    assert list(runs.load_runs(str(tmp_path / "train_store"), finished=True)) == []
    assert "step 10 of 30" in caplog.text
    caplog.clear()
    assert train.train(config, stop_at=10) == 10  # already there: nothing trained
    assert "past --stop_at=10 (of max_step 30)" in caplog.text and "is done" not in caplog.text
    assert train.train(config, stop_at=20) == 20
    assert train.train(config) == 30
    assert [r["step"] for r in read_metrics(config.run_dir)] == [10, 20, 30]
    assert [run.step for _, run in runs.load_runs(str(tmp_path / "train_store"),
                                                   finished=True)] == [30]


def test_resume_with_other_settings_is_refused(tmp_path):
    train.train(small_config(tmp_path, max_step=10))
    with pytest.raises(train.RunError, match="lr"):
        train.train(small_config(tmp_path, max_step=20, lr=0.5))


def test_training_reduces_the_loss(tmp_path):
    config = small_config(tmp_path, model="conv", hidden_size=4, max_step=60,
                          log_every=20, checkpoint_every=60, batch_size=32)
    train.train(config)
    rows = read_metrics(config.run_dir)
    assert rows[-1]["loss"] < 0.8 * rows[0]["loss"]


@pytest.mark.parametrize("sampler", ["trajectory"])
def test_trajectory_sampler_trains(tmp_path, sampler):
    config = small_config(tmp_path, sampler=sampler, num_balls=2, max_step=10, friction=True)
    assert train.train(config) == 10


def test_validate_names_each_bad_flag():
    problems = validate(Config(model="resnet", beta=-1, num_balls=12, batch_size=0, lr=0,
                               hidden_size=0, keep_prob=1.5, max_step=-1))
    text = "\n".join(problems)
    for flag in ("--model", "--beta", "--num_balls", "--batch_size", "--lr", "--hidden_size",
                 "--keep_prob", "--max_step"):
        assert flag in text
    assert validate(Config()) == []
