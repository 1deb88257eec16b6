"""A 2D-shapes run: its own directory, the paper's network and optimizer, resume, checks."""

import dataclasses
import os

import numpy as np
import pytest

from betavae import runs
from betavae import train
from betavae.config import Config, validate

TINY = dict(dataset="shapes", model="paper_fc", sampler="iid", hidden_size=4,
            batch_size=8, log_every=2, checkpoint_every=4, beta=4.0, optimizer="adagrad",
            lr=1e-2)


def test_a_shapes_run_trains_resumes_and_names_its_dataset(tmp_path):
    config = Config(train_dir=str(tmp_path / "ts"), max_step=4, **TINY)
    assert os.path.basename(config.run_dir) == "ts_dataset_shapes_model_paper_fc_beta_4.0"
    assert validate(config) == []
    train.train(config)
    train.train(Config(train_dir=str(tmp_path / "ts"), max_step=8, **TINY))
    loaded, model, step, _ = runs.load_run(config.run_dir)
    assert step == 8 and loaded.dataset == "shapes" and loaded.optimizer == "adagrad"
    mean, log_var = model.encode(np.zeros([2, 64, 64, 1], np.float32))
    assert mean.shape == (2, 4)
    assert model.decode(mean).shape == (2, 64, 64, 1)
    rows = runs.read_metrics(config.run_dir)
    assert [r["step"] for r in rows] == [2, 4, 6, 8]
    # the ball runs of the same prefix are other directories
    assert Config(train_dir=str(tmp_path / "ts")).run_dir != config.run_dir


@pytest.mark.parametrize("change, words", [
    (dict(model="conv"), "does not fit --dataset=shapes"),
    (dict(sampler="trajectory"), "--sampler=iid"),
    (dict(num_balls=2), "--sampler=iid"),
    (dict(dataset="mnist"), "--dataset='mnist'"),
    (dict(optimizer="sgd"), "--optimizer='sgd'"),
])
def test_shapes_settings_that_cannot_work_are_named(change, words):
    problems = validate(Config(**dict(TINY, **change)))
    assert any(words in p for p in problems), problems


def test_ball_models_refuse_other_image_sizes():
    from architecture import build_model
    with pytest.raises(ValueError, match="built for 32x32"):
        build_model("conv", 4, image_size=64)
    # the appendix's layer sizes: 4096-1200-1200-(2x10) and 10-1200-1200-1200-4096
    dense = [(4096, 1200), (1200, 1200), (1200, 20), (10, 1200), (1200, 1200), (1200, 1200),
             (1200, 4096)]
    assert build_model("paper_fc", 10, image_size=64).count_params() == sum(
        a * b + b for a, b in dense)


def test_main_py_needs_no_sampler_flag_for_shapes():
    """2D shapes have one sampler: --dataset=shapes alone gives it (main.py passes the
    flags it was given); an explicit --sampler=trajectory is left for validate()."""
    from betavae.config import with_dataset_defaults
    values = dataclasses.asdict(Config(dataset="shapes", model="paper_fc"))
    assert values["sampler"] == "trajectory"  # Config's default, the original's
    assert with_dataset_defaults(values, {"dataset", "model"})["sampler"] == "iid"
    assert with_dataset_defaults(values, {"dataset", "sampler"})["sampler"] == "trajectory"
    balls = dataclasses.asdict(Config())
    assert with_dataset_defaults(balls, set()) == balls
