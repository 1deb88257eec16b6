"""What identifies a run, and the one rule for whether a kept summary still answers for it.

./run (without TensorFlow) and every figure script ask `stale` before they reuse a kept
summary (<figures_dir>/runs/<run>/summary.json) instead of computing it again.
"""

import hashlib

from betavae.rundir import RECORDED_BEFORE, recorded


# Settings that do not change what a run computes: how long it has run so far (its
# step is compared on its own), where it is kept, how often it logs, how it is
# scheduled on the machine. Every other Config field, the seed included, is identity.
NOT_IDENTITY = ("max_step", "train_dir", "checkpoint_every", "log_every", "steps_per_call",
                "threads")

# The protocol behind a summary's numbers. Raise it when what evaluate() measures changes,
# so that summaries made the old way are stale. 2: reconstruction with its standard error,
# on as many images as that error needs; the seed and the checkpoint recorded. 3: the
# two-ball conditional sampler fixed (a held coordinate is no longer sorted away), the
# beta-VAE classifier fit to convergence, DCI and SAP added.
EVALUATION = 3
# The protocol since which the reconstruction is measured as it is now (3 changed only the
# scores): a kept summary from here on still gives its run's reconstruction, its scores
# marked stale; one from before is left out.
RECONSTRUCTION_SINCE = 2

# What each protocol gives a fixed synthetic encoder (tests/test_identity.py) at these
# small sizes, seed 0. tests/test_identity.py fails when the scoring moves these numbers
# until EVALUATION is raised and the new numbers are added here under it; a version's
# numbers are never edited.
EVALUATION_CHECK_SIZES = {"num_train": 120, "num_eval": 60, "num_mig": 500}
EVALUATION_CHECK_KEYS = ("beta_vae", "factor_vae", "mig", "dci_disentanglement",
                         "dci_completeness", "dci_informativeness", "sap")
EVALUATION_CHECKS = {
    3: {"one_ball": {"beta_vae": 0.683333333, "factor_vae": 0.616666667, "mig": 0.006444457,
                     "dci_disentanglement": 0.007077193, "dci_completeness": 0.013204632,
                     "dci_informativeness": 0.175, "sap": 0.016666667},
        "two_balls": {"beta_vae": 0.383333333, "factor_vae": 0.333333333, "mig": 0.007695088,
                      "dci_disentanglement": 0.005698591, "dci_completeness": 0.009237062,
                      "dci_informativeness": 0.075, "sap": 0.0125},
        # the first renderer's smaller shapes (shape_sizes "small")
        "shapes": {"beta_vae": 0.383333333, "factor_vae": 0.233333333, "mig": 0.014016378,
                   "dci_disentanglement": 0.008906312, "dci_completeness": 0.009267945,
                   "dci_informativeness": 0.126666667, "sap": 0.023333333},
        # the shapes at dSprites' sizes (from 6 December): the same scoring, other images
        "shapes_dsprites_sizes": {
            "beta_vae": 0.366666667, "factor_vae": 0.2, "mig": 0.018091637,
            "dci_disentanglement": 0.006335798, "dci_completeness": 0.011393763,
            "dci_informativeness": 0.18, "sap": 0.03}},
}


def identity(config):
    """The settings of a run (a Config's dict) that shape what it computes: a setting of
    RECORDED_BEFORE only for the datasets it applies to."""
    dataset = config.get("dataset", "balls")
    return {k: v for k, v in config.items() if k not in NOT_IDENTITY
            and (k not in RECORDED_BEFORE or dataset in RECORDED_BEFORE[k][0])}


def fingerprint(checkpoint_path):
    """A checkpoint's content, in short: the sha256 of its index file (which holds each
    tensor's checksum), so two checkpoints share it only if they hold the same numbers."""
    with open(checkpoint_path + ".index", "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()[:16]


def stale(summary, config, step, sizes, checkpoint=None, defaults=None):
    """Why a kept summary does not answer for a run, or None when it does.

    config: the run's settings (a Config's dict, resolved); step: the step it has, or is
    to be trained to; sizes: the score sizes wanted (None: any); checkpoint: the
    fingerprint of the checkpoint on this machine, if there is one: then the summary must
    have been computed from that very checkpoint. defaults: every setting's default
    (config.DEFAULTS), which a kept config made before the setting existed ran with.
    """
    if summary is None:
        return "no kept summary"
    if summary.get("evaluation") != EVALUATION:
        return (f"evaluated by protocol {summary.get('evaluation')}, not the current "
                f"{EVALUATION}")
    mine = identity(config)
    kept = identity(dict(defaults or {}, **recorded(summary.get("config", {}))))
    differ = sorted(k for k in set(mine) | set(kept) if mine.get(k) != kept.get(k))
    if differ:
        return "trained with other settings: " + ", ".join(
            f"{k}={kept.get(k)!r} (now {mine.get(k)!r})" for k in differ)
    if summary.get("step") != step:
        return f"at step {summary.get('step')}, not {step}"
    if sizes is not None and summary.get("table_sizes") != sizes:
        return f"scored on {summary.get('table_sizes')}, not {sizes}"
    if checkpoint is not None and summary.get("checkpoint") != checkpoint:
        return "computed from another checkpoint than the one here"
    return None
