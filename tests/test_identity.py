"""The one rule for whether a kept summary still answers for a run (identity.stale)."""

import dataclasses
import os

import numpy as np
import pytest

from results import identity
from betavae import metrics
from betavae.config import Config


def _summary(config, step, **fields):
    return dict({"config": dataclasses.asdict(config), "step": step,
                 "evaluation": identity.EVALUATION, "table_sizes": {"num_train": 10},
                 "checkpoint": "abc"}, **fields)


def test_a_summary_answers_only_for_the_same_settings_seed_step_sizes_and_checkpoint():
    run = Config(model="conv", lr=3e-3, max_step=300)
    kept = _summary(run, 300)
    me = dataclasses.asdict(run)
    assert identity.stale(kept, me, 300, {"num_train": 10}, "abc") is None
    assert identity.stale(kept, me, 300, None) is None  # any sizes, no checkpoint here
    # how it is run does not matter: threads, logging, where it is kept
    other_machine = dataclasses.asdict(dataclasses.replace(
        run, threads=1, log_every=7, checkpoint_every=9, train_dir="elsewhere"))
    assert identity.stale(kept, other_machine, 300, None) is None
    for changed, reason in (
            ({"seed": 1}, "seed=0 (now 1)"),
            ({"lr": 1e-3}, "lr=0.003 (now 0.001)"),
            ({"kl_warmup_steps": 5000}, "kl_warmup_steps=0 (now 5000)")):
        other = dataclasses.asdict(dataclasses.replace(run, **changed))
        assert reason in identity.stale(kept, other, 300, None)
    assert "at step 300, not 400" in identity.stale(kept, me, 400, None)
    assert "scored on" in identity.stale(kept, me, 300, {"num_train": 20})
    assert "another checkpoint" in identity.stale(kept, me, 300, None, "def")
    assert "protocol 1" in identity.stale(dict(kept, evaluation=1), me, 300, None)
    assert identity.stale(None, me, 300, None) == "no kept summary"


def test_a_fingerprint_changes_with_the_checkpoints_content(tmp_path):
    (tmp_path / "ckpt-1.index").write_bytes(b"tensors a")
    (tmp_path / "ckpt-2.index").write_bytes(b"tensors b")
    (tmp_path / "ckpt-3.index").write_bytes(b"tensors a")
    a, b, c = (identity.fingerprint(str(tmp_path / f"ckpt-{i}")) for i in (1, 2, 3))
    assert a != b and a == c


def _protocol_encoder(images):
    """A fixed synthetic encoder with exact codes: the image thresholded at 0.5 and
    projected by a fixed integer matrix, so its numbers are the same on every CPU."""
    pixels = (np.asarray(images)[..., 0] > 0.5).reshape(len(images), -1).astype(np.int64)
    weights = np.random.default_rng(7).integers(-2, 3, size=(pixels.shape[1], 6))
    return (pixels @ weights).astype(np.float64)


def _protocol_scores():
    out = {}
    for name, dataset, num_balls in (("one_ball", "balls", 1), ("two_balls", "balls", 2),
                                     ("shapes_dsprites_sizes", "shapes", 1)):
        scores = metrics.evaluate(_protocol_encoder, num_balls, seed=0, dataset=dataset,
                                  **identity.EVALUATION_CHECK_SIZES)
        out[name] = {k: round(scores[k], 9) for k in identity.EVALUATION_CHECK_KEYS}
    return out


def test_the_protocol_version_is_raised_with_any_change_to_the_scores():
    """The scores of a fixed encoder, recorded beside identity.EVALUATION: a change to the
    scoring that moves them fails here until EVALUATION is raised and they are recorded
    anew (printed below), so no kept summary stands as current by an older protocol.
    The numbers are those of OpenBLAS's AVX2 kernels, which conftest.py asks for on every
    x86 CPU: its AVX-512 ones move the shapes beta-VAE score by one point of 60."""
    if os.environ.get("OPENBLAS_CORETYPE") == "Haswell":  # x86 (conftest.py)
        from threadpoolctl import threadpool_info
        kernels = {i.get("architecture") for i in threadpool_info()
                   if i["internal_api"] == "openblas"}
        assert kernels == {"Haswell"}, (
            f"OpenBLAS runs {kernels}: numpy was loaded before conftest.py set "
            "OPENBLAS_CORETYPE, so the recorded numbers need not hold on this CPU")
    recorded = identity.EVALUATION_CHECKS
    assert max(recorded) == identity.EVALUATION, "record the numbers of the new version"
    now = _protocol_scores()
    expected = recorded[identity.EVALUATION]
    moved = {(name, key): (value, expected.get(name, {}).get(key))
             for name, scores in now.items() for key, value in scores.items()
             if expected.get(name, {}).get(key) != pytest.approx(value, abs=1e-6)}
    assert not moved, f"the scores moved: raise identity.EVALUATION and record {now!r}"
    for version, older in recorded.items():
        if version != identity.EVALUATION:  # a version's numbers are its own
            assert older != recorded[identity.EVALUATION], version


def test_a_summary_from_before_a_setting_existed_ran_with_its_default():
    from betavae.config import DEFAULTS
    run = Config(model="conv", max_step=300)
    old = _summary(run, 300)
    for name in ("objective", "gamma", "c_max", "c_steps"):  # added on 1 December
        del old["config"][name]
    me = dataclasses.asdict(run)
    assert identity.stale(old, me, 300, None, defaults=DEFAULTS) is None
    annealed = dataclasses.asdict(dataclasses.replace(run, objective="annealed"))
    assert "objective" in identity.stale(old, annealed, 300, None, defaults=DEFAULTS)


def test_shapes_recorded_before_their_sizes_were_dsprites_were_drawn_small():
    """A kept shapes run without shape_sizes was drawn by the first renderer: it does not
    answer for a run at dSprites' sizes, cannot be resumed, and a ball run is unaffected."""
    from betavae.config import DEFAULTS, validate
    shapes_run = Config(model="burgess", dataset="shapes", sampler="iid", max_step=300)
    old = _summary(shapes_run, 300)
    del old["config"]["shape_sizes"]
    me = dataclasses.asdict(shapes_run)
    assert "shape_sizes='small' (now 'dsprites')" in identity.stale(old, me, 300, None,
                                                                   defaults=DEFAULTS)
    assert identity.stale(_summary(shapes_run, 300), me, 300, None, defaults=DEFAULTS) is None
    loaded = Config.from_dict(old["config"])
    assert loaded.shape_sizes == "small"
    assert any("earlier renderer" in p for p in validate(loaded))
    balls = Config(model="conv", max_step=300)
    old_balls = _summary(balls, 300)
    del old_balls["config"]["shape_sizes"], old_balls["config"]["precision"]
    assert identity.stale(old_balls, dataclasses.asdict(balls), 300, None,
                          defaults=DEFAULTS) is None
    assert Config.from_dict(old_balls["config"]) == balls


def test_precision_is_part_of_a_runs_identity():
    run = Config(model="burgess", dataset="shapes", sampler="iid", max_step=300)
    bf16 = dataclasses.asdict(dataclasses.replace(run, precision="mixed_bfloat16"))
    assert "precision" in identity.stale(_summary(run, 300), bf16, 300, None)
