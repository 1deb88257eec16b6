"""The one rule for whether a kept summary still answers for a run (identity.stale)."""

import dataclasses

import identity
from config import Config


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
