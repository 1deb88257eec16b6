"""The optimizer recipe: learning-rate schedule, KL warm-up, their flags and resume."""

import dataclasses
import math
import os
import subprocess
import sys

import pytest

from betavae import schedules
from betavae import train
from betavae.config import Config, resume_conflicts, validate
from betavae.runs import read_metrics

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def lr(step, **kw):
    return float(schedules.learning_rate(step, 1e-3, **kw))


def test_constant_schedule_is_the_original():
    assert [lr(s) for s in (0, 10, 99999)] == pytest.approx([1e-3] * 3)


def test_warmup_then_cosine_values():
    kw = dict(schedule="cosine", warmup_steps=100, decay_steps=1100)
    assert lr(0, **kw) == pytest.approx(1e-5)  # step 0 already moves: 1/100 of the peak
    assert lr(49, **kw) == pytest.approx(0.5e-3)
    assert lr(99, **kw) == pytest.approx(1e-3)
    assert lr(100, **kw) == pytest.approx(1e-3)  # the cosine starts at the peak
    assert lr(600, **kw) == pytest.approx(0.5e-3)  # halfway through the decay
    assert lr(350, **kw) == pytest.approx(1e-3 * 0.5 * (1 + math.cos(math.pi / 4)))
    assert lr(1100, **kw) == pytest.approx(0.0, abs=1e-12)
    assert lr(5000, **kw) == pytest.approx(0.0, abs=1e-12)  # stays at 0 past the end


def test_warmup_with_constant_schedule():
    assert lr(4, warmup_steps=10) == pytest.approx(0.5e-3)
    assert lr(10, warmup_steps=10) == pytest.approx(1e-3)


def test_beta_ramp():
    beta = lambda s, w: float(schedules.kl_weight(s, 0.5, w))  # noqa: E731
    assert [beta(s, 0) for s in (0, 7)] == [0.5, 0.5]
    assert beta(0, 100) == 0.0  # the first step is pure reconstruction
    assert beta(25, 100) == pytest.approx(0.125)
    assert beta(100, 100) == pytest.approx(0.5)
    assert beta(10000, 100) == pytest.approx(0.5)


def test_beta_delay_then_ramp():
    beta = lambda s, w, d: float(schedules.kl_weight(s, 1.0, w, d))  # noqa: E731
    assert [beta(s, 100, 50) for s in (0, 49, 50, 100, 150, 999)] == pytest.approx(
        [0, 0, 0, 0.5, 1, 1])
    assert [beta(s, 0, 50) for s in (0, 49, 50)] == [0.0, 0.0, 1.0]  # a delay alone


def test_unknown_schedule_fails():
    with pytest.raises(ValueError, match="cosine"):
        schedules.learning_rate(0, 1e-3, "linear")


@pytest.mark.parametrize("values, flag", [
    (dict(lr_schedule="step"), "--lr_schedule"),
    (dict(warmup_steps=-1), "--warmup_steps"),
    (dict(kl_warmup_steps=-5), "--kl_warmup_steps"),
    (dict(kl_delay_steps=-1), "--kl_delay_steps"),
    (dict(decay_steps=100), "--decay_steps"),  # without cosine: would be ignored
    (dict(lr_schedule="cosine", max_step=100, decay_steps=100, warmup_steps=100),
     "--warmup_steps"),
    (dict(lr_schedule="cosine", max_step=200, decay_steps=100), "--max_step"),
    (dict(threads=-1), "--threads"),
    (dict(friction=True, sampler="iid"), "--friction"),
])
def test_bad_recipe_values_get_one_line_each(values, flag):
    problems = validate(Config(**values).resolved())
    assert len(problems) == 1 and problems[0].startswith(flag) and "\n" not in problems[0]


def test_cosine_end_defaults_to_max_step_and_is_fixed():
    config = Config(lr_schedule="cosine", max_step=300).resolved()
    assert config.decay_steps == 300 and validate(config) == []
    longer = Config(lr_schedule="cosine", max_step=500).resolved()
    (conflict,) = resume_conflicts(longer, config)
    assert "ends at step 300" in conflict and "not extended" in conflict
    # stopping early on the same schedule is fine
    assert resume_conflicts(Config(lr_schedule="cosine", max_step=200, decay_steps=300),
                            config) == []


def _recipe(tmp_path, name, max_step, model="conv"):
    return Config(model=model, hidden_size=4, batch_size=8, max_step=max_step,
                  log_every=5, checkpoint_every=5, lr_schedule="cosine", warmup_steps=10,
                  decay_steps=40, kl_warmup_steps=16, kl_delay_steps=4, beta=1.0, steps_per_call=3,
                  train_dir=str(tmp_path / name))


def test_resume_across_warmup_and_decay_follows_the_same_schedule(tmp_path, model="conv"):
    # The schedule is computed from the step counter inside the step that the graph and
    # the XLA paths share, so the faster graph path stands for both; the XLA path's resume
    # (constant schedule) is test_train.py's test_twenty_steps_then_resume.
    straight = _recipe(tmp_path, "straight", 40, model)
    train.train(straight)
    for stop in (15, 40):  # in both warm-ups and the decay, then to the end
        train.train(_recipe(tmp_path, "stopped", stop, model))
    want = read_metrics(straight.run_dir)
    got = read_metrics(_recipe(tmp_path, "stopped", 40, model).run_dir)
    fields = ("step", "loss", "lr", "beta", "reconstruction", "kl")
    assert [tuple(r[f] for f in fields) for r in got] == [
        tuple(r[f] for f in fields) for r in want]
    by_step = {r["step"]: r for r in want}
    # logged values are those of the last step of each call (step index s - 1)
    assert by_step[5]["lr"] == pytest.approx(1e-3 * 5 / 10)
    assert by_step[5]["beta"] == pytest.approx(0 / 16)  # step index 4: the delay's end
    assert by_step[10]["beta"] == pytest.approx(5 / 16)
    assert by_step[25]["beta"] == pytest.approx(1.0)
    assert by_step[40]["lr"] < 1e-5


def test_reproduce_dry_run_is_18_cosine_runs():
    out = subprocess.run([sys.executable, os.path.join(ROOT, "run"), "--reproduce",
                          "--dry-run"], capture_output=True, text=True, check=True).stdout
    lines = out.strip().splitlines()
    assert len(lines) == 18
    assert all("--lr_schedule=cosine" in line and "--sampler=iid" in line
               and "reproduce/train_store" in line for line in lines)
    # the original's sizes: batch 128 (the default) and its per-model settings
    assert not any("--batch_size" in line for line in lines)
    fc = [line for line in lines if "fully_connected" in line]
    assert len(fc) == 6 and all("--hidden_size=10" in line and "--weight_init=0.01" in line
                                for line in fc)


def test_a_cosine_without_its_end_is_refused_not_decayed_at_once():
    # decay_steps=0 means max_step only through Config.resolved(); the schedule itself
    # used to read it as "decay right after the warm-up"
    for end in (None, 0, 100):
        with pytest.raises(ValueError, match="needs decay_steps past the warm-up"):
            schedules.learning_rate(150, 1e-3, "cosine", warmup_steps=100, decay_steps=end)
    assert float(schedules.learning_rate(150, 1e-3, "constant", warmup_steps=100)) == (
        pytest.approx(1e-3))


def test_capacity_rises_linearly_then_holds():
    assert float(schedules.capacity(0, 25.0, 50000)) == 0.0
    assert float(schedules.capacity(25000, 25.0, 50000)) == pytest.approx(12.5)
    assert float(schedules.capacity(50000, 25.0, 50000)) == pytest.approx(25.0)
    assert float(schedules.capacity(150000, 25.0, 50000)) == pytest.approx(25.0)
    assert float(schedules.capacity(0, 25.0, 0)) == 25.0  # no ramp: C_max at once


def test_annealed_objective_settings_are_checked_and_name_the_run():
    run = Config(model="conv", objective="annealed", gamma=1000.0, c_max=25.0)
    assert validate(run) == []
    assert run.run_dir.endswith("_model_conv_num_balls_1_annealed_gamma_1000.0_c_25.0")
    assert any("--c_max=-1.0" in p for p in validate(Config(objective="annealed", c_max=-1.0)))
    assert any("--objective='kl'" in p for p in validate(Config(objective="kl")))
    trainer = train.Trainer(dataclasses.replace(run, hidden_size=4, max_step=10))
    assert float(trainer.beta(0)) == 1000.0  # gamma weighs |KL - C|
    assert float(trainer.capacity(25000)) == pytest.approx(12.5)
    assert train.Trainer(Config(model="conv", hidden_size=4)).capacity(0) is None
