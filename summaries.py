"""A run's results in numbers, computed once from its checkpoint and kept beside its
figures (<figures_dir>/runs/<run>/summary.json and training.csv).

The figures of a sweep are drawn from these files, so they can be redrawn, and the
sweep's finished runs kept, on a machine without the checkpoints.
"""

import json
import os
import shutil
import time

from absl import logging

import analysis
import metrics
from architecture import active_latents
from runs import METRICS_FILE, load_runs, read_metrics
from sweep import ORIGINAL_RECONSTRUCTION, RUNS_DIR, SUMMARY_FILE
TRAINING_FILE = "training.csv"
STDDEV_IMAGES = 1000


def run_name(directory):
    return os.path.basename(os.path.normpath(directory))


def table_sizes(num_train=metrics.NUM_TRAIN, num_eval=metrics.NUM_EVAL,
                num_mig=metrics.NUM_MIG):
    """How many points the scores use (disentanglement_lib's defaults unless told)."""
    return {"num_train": num_train, "num_eval": num_eval, "num_mig": num_mig}


def evaluate(directory, config, model, step, sizes=None, seed=0):
    """The run's numbers: reconstruction and KL (3200 fresh images), the average posterior
    stddev of each latent (1000 images), both from the run's own sampler; active
    latents; and the three scores (on the factor grid) computed on `sizes` points (None:
    no scores)."""
    start = time.time()
    recon, kl = analysis.reconstruction_and_kl(model, config)
    stddev = analysis.average_stddev(model, analysis.run_images(config, STDDEV_IMAGES, seed=5))
    scores = {"beta_vae": None, "factor_vae": None, "mig": None}
    if sizes is not None:
        scores = metrics.evaluate(lambda x: model.encode(x)[0].numpy(), config.num_balls,
                                  seed, **sizes)
    original = ORIGINAL_RECONSTRUCTION.get((config.num_balls, config.model), {})
    curve = read_metrics(directory)
    return {"run": run_name(directory), "model": config.model,
            "num_balls": config.num_balls, "beta": config.beta, "step": step,
            "reconstruction": recon, "kl": kl, "active_latents": active_latents(stddev),
            "beta_vae": scores["beta_vae"], "factor_vae": scores["factor_vae"],
            "mig": scores["mig"], "original_reconstruction": original.get(config.beta, ""),
            "run_dir": directory, "stddev": [float(s) for s in stddev],
            "table_sizes": sizes,
            "config": json.loads(config.to_json()),
            "training_seconds": curve[-1].get("elapsed") if curve else None,
            "evaluation_seconds": round(time.time() - start, 1)}


def folder(figures_dir, name):
    return os.path.join(figures_dir, RUNS_DIR, name)


def save(summary, figures_dir):
    """Writes summary.json and a copy of the run's metrics.csv (its training curve)."""
    out = folder(figures_dir, summary["run"])
    os.makedirs(out, exist_ok=True)
    path = os.path.join(out, SUMMARY_FILE)
    with open(path + ".tmp", "w") as f:
        json.dump(summary, f, indent=1)
        f.write("\n")
    os.replace(path + ".tmp", path)
    curve = os.path.join(summary["run_dir"], METRICS_FILE)
    if os.path.exists(curve):
        shutil.copyfile(curve, os.path.join(out, TRAINING_FILE))
    logging.info("wrote %s", path)
    return path


def load_all(figures_dir):
    """Every summary kept under figures_dir/runs, sorted by run name."""
    root = os.path.join(figures_dir, RUNS_DIR)
    found = []
    for name in sorted(os.listdir(root)) if os.path.isdir(root) else []:
        path = os.path.join(root, name, SUMMARY_FILE)
        try:
            with open(path) as f:
                found.append(json.load(f))
        except FileNotFoundError:
            continue
        except (OSError, ValueError) as e:
            logging.warning("skipping unreadable %s (%s)", path, e)
    return found


def _usable(kept, step, sizes):
    """Whether a kept summary answers for the run at `step` (with scores on `sizes`)."""
    return (kept is not None and kept.get("step") == step
            and (sizes is None or kept.get("table_sizes") == sizes))


def collect(train_dir, figures_dir, sizes=None):
    """Summaries of every run under train_dir (evaluated where the kept one is missing or
    stale, then kept) and of the runs kept in figures_dir whose checkpoints are not here.

    sizes: the scores' sizes the summaries must have; None when no scores are needed.
    """
    kept = {s["run"]: s for s in load_all(figures_dir)}
    found = []
    for directory, config, model, step in load_runs(train_dir):
        name = run_name(directory)
        summary = kept.pop(name, None)
        if not _usable(summary, step, sizes):
            summary = evaluate(directory, config, model, step, sizes)
            save(summary, figures_dir)
        found.append(summary)
    for name, summary in sorted(kept.items()):
        if sizes is None or summary.get("table_sizes") == sizes:
            logging.info("%s: from its kept summary (no checkpoint under %s)", name, train_dir)
            found.append(summary)
        else:
            logging.warning("%s: kept summary scored on %s, not %s; left out", name,
                            summary.get("table_sizes"), sizes)
    return found


def training_curve(summary, figures_dir):
    """The run's metrics.csv rows: live from its run directory, else the kept copy."""
    live = read_metrics(summary["run_dir"])
    if live:
        return live
    return read_metrics(folder(figures_dir, summary["run"]), TRAINING_FILE)


def grouped(found):
    """{num_balls: {model: {beta: summary}}}; where two share a slot, the first is kept."""
    groups = {}
    for summary in found:
        slot = groups.setdefault(summary["num_balls"], {}).setdefault(summary["model"], {})
        slot.setdefault(summary["beta"], summary)
    return groups
