"""A run's results in numbers, computed once from its checkpoint and kept beside its
figures (<figures_dir>/runs/<run>/summary.json and training.csv).

The figures of a sweep are drawn from these files, so they can be redrawn, and the
sweep's finished runs kept, on a machine without the checkpoints. Reading and writing
kept summaries needs no TensorFlow (./run does it); computing one imports it then.
"""

import csv
import dataclasses
import json
import os
import shutil
import sys

from absl import logging

from betavae import rundir
from results import identity
from results import protocol_change
from results.original import ORIGINAL_RECONSTRUCTION

# Where a sweep keeps each run's results beside its figures.
RUNS_DIR = "runs"
SUMMARY_FILE = "summary.json"
TRAINING_FILE = "training.csv"
PROGRESS_FILE = "progress.jsonl"  # the scores along the way: one JSON object per point
REPLACED_FILE = "progress.replaced.jsonl"  # the points of trainings this run replaced


def run_name(directory):
    return os.path.basename(os.path.normpath(directory))


def kept_summary(figures_dir, run_name):
    """The run's kept summary (<figures_dir>/runs/<run>/summary.json) as a dict, or None
    when there is none or it is unreadable (identity.stale then says why it is no use;
    an unreadable one is also named on stderr)."""
    path = os.path.join(folder(figures_dir, run_name), SUMMARY_FILE)
    try:
        with open(path) as f:
            return json.load(f)
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as e:
        print(f"skipping unreadable {path} ({e})", file=sys.stderr)
        return None


def kept_summaries(figures_dir):
    """Every readable summary kept under <figures_dir>/runs, sorted by run name."""
    root = os.path.join(figures_dir, RUNS_DIR)
    names = sorted(os.listdir(root)) if os.path.isdir(root) else []
    return [s for s in (kept_summary(figures_dir, n) for n in names) if s is not None]


def read_progress(figures_dir, name, replaced=False):
    """The run's scored points (progress.jsonl), in the order they were scored; with
    `replaced`, those of the trainings set aside before it (progress.replaced.jsonl)."""
    path = os.path.join(folder(figures_dir, name),
                        REPLACED_FILE if replaced else PROGRESS_FILE)
    if not os.path.exists(path):
        return []
    with open(path) as f:
        return [json.loads(line) for line in f if line.strip()]


def progress_steps(figures_dir, name):
    return {p["step"] for p in read_progress(figures_dir, name)}


def clear_progress(figures_dir, name):
    """Sets a run's points aside (appended to progress.replaced.jsonl, after those of any
    training set aside before) when it trains afresh; whether there were any."""
    path = os.path.join(folder(figures_dir, name), PROGRESS_FILE)
    if not os.path.exists(path):
        return False
    with open(path) as f, open(os.path.join(folder(figures_dir, name), REPLACED_FILE),
                                "a") as aside:
        aside.write(f.read())
    os.remove(path)
    return True


def repeats_replaced(figures_dir, name, step):
    """Whether the run's point at `step` was scored on the same checkpoint (its
    identity.fingerprint, which covers every tensor) as the newest set-aside training's
    point at that step: whether training afresh repeated it bit for bit. None when
    either has no point there."""
    def at_step(points):
        found = [p.get("checkpoint") for p in points if p["step"] == step]
        return found[-1] if found and found[-1] else None
    mine = at_step(read_progress(figures_dir, name))
    before = at_step(read_progress(figures_dir, name, replaced=True))
    return None if mine is None or before is None else mine == before


def record_point(figures_dir, summary):
    """Appends one scored point of a run (a summary of its checkpoint then, without the
    per-run lists that the final summary keeps) to its progress.jsonl, unless a point
    of that step is there: a resumed sweep neither loses nor repeats one."""
    name = summary["run"]
    if summary["step"] in progress_steps(figures_dir, name):
        logging.info("%s: point at step %d already kept", name, summary["step"])
        return False
    point = {k: v for k, v in summary.items() if k not in ("config", "run_dir")}
    point["images"] = summary["step"] * summary["config"]["batch_size"]
    os.makedirs(folder(figures_dir, name), exist_ok=True)
    with open(os.path.join(folder(figures_dir, name), PROGRESS_FILE), "a") as f:
        f.write(json.dumps(point) + "\n")
    logging.info("%s: point at step %d kept", name, summary["step"])
    return True


def table_sizes(num_train=None, num_eval=None, num_mig=None):
    """How many points the scores use (disentanglement_lib's defaults unless told)."""
    from betavae import metrics
    return {"num_train": num_train or metrics.NUM_TRAIN,
            "num_eval": num_eval or metrics.NUM_EVAL, "num_mig": num_mig or metrics.NUM_MIG}


def evaluate(directory, run, sizes=None, seed=0, target_se=None):
    """A run's summary: what identifies it, its numbers (evaluation.measure, the scores on
    `sizes` points, None: no scores; target_se: the standard error its reconstruction is
    measured to, 0: one chunk of 3200 images, for a point along the way) and where and
    how long it was trained. run: runs.load_run's (config, model, step, checkpoint)."""
    from betavae import evaluation  # TensorFlow: not for ./run, which reads summaries
    from betavae.runs import machine_steps, read_metrics
    measured = evaluation.measure(run.model, run.config, sizes, seed, target_se)
    config, curve = run.config, read_metrics(directory)
    original = ORIGINAL_RECONSTRUCTION.get((config.num_balls, config.model), {})
    return {"run": run_name(directory), "model": config.model, "dataset": config.dataset,
            "num_balls": config.num_balls, "beta": config.beta, "seed": config.seed,
            "step": run.step, **measured,
            "original_reconstruction": original.get(config.beta, ""),
            "run_dir": directory, "table_sizes": sizes,
            "config": json.loads(config.to_json()),
            "evaluation": identity.EVALUATION,
            "checkpoint": identity.fingerprint(run.checkpoint) if run.checkpoint else None,
            "training_seconds": curve[-1].get("elapsed") if curve else None,
            "machines": machine_steps(directory, run.step)}


CHECKPOINTS_FILE = "checkpoints.csv"
CHECKPOINT_COLUMNS = ("step", "reconstruction", "reconstruction_se", "images",
                      "iid_reconstruction", "iid_reconstruction_se", "iid_images", "kl",
                      "checkpoint")


def _checkpoints_path(figures_dir, directory):
    return os.path.join(folder(figures_dir, run_name(directory)), CHECKPOINTS_FILE)


def save_checkpoints(figures_dir, directory, rows):
    """Writes checkpoint_reconstructions' rows as runs/<run>/checkpoints.csv; its path."""
    path = _checkpoints_path(figures_dir, directory)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path + ".tmp", "w", newline="") as f:
        writer = csv.DictWriter(f, CHECKPOINT_COLUMNS)
        writer.writeheader()
        writer.writerows(rows)
    os.replace(path + ".tmp", path)
    return path


def kept_checkpoints_answer(figures_dir, directory):
    """Whether the run's kept checkpoints.csv was made from exactly the checkpoints the
    run keeps now (each by its identity.fingerprint), so scoring them again would repeat
    it."""
    from betavae.runs import checkpoint_paths
    path = _checkpoints_path(figures_dir, directory)
    if not os.path.exists(path):
        return False
    with open(path, newline="") as f:
        kept = [r.get("checkpoint") for r in csv.DictReader(f)]
    return kept == [identity.fingerprint(p) for p in reversed(checkpoint_paths(directory))]


def checkpoint_reconstructions(directory, config, model):
    """The reconstruction of each checkpoint the run keeps (oldest first), as evaluate()
    measures it (the run's own sampler; a trajectory run also on i.i.d. images, to
    analysis.TARGET_SE): how much the number moves between neighbouring checkpoints of
    one run, beside how much it moves between seeds."""
    import tensorflow as tf
    from betavae import evaluation
    from betavae.runs import checkpoint_for, checkpoint_paths
    rows = []
    for path in reversed(checkpoint_paths(directory)):
        step = tf.Variable(0, dtype=tf.int64)
        checkpoint_for(model, step=step).read(path).expect_partial()
        own, iid = evaluation.reconstructions(model, config)
        rows.append({"step": int(step.numpy()), "reconstruction": own["reconstruction"],
                     "reconstruction_se": own["reconstruction_se"], "images": own["images"],
                     "iid_reconstruction": iid.get("reconstruction"),
                     "iid_reconstruction_se": iid.get("reconstruction_se"),
                     "iid_images": iid.get("images"), "kl": own["kl"],
                     "checkpoint": identity.fingerprint(path)})
        logging.info("%s step %d: %.3f +- %.3f nats", run_name(directory), rows[-1]["step"],
                     own["reconstruction"], own["reconstruction_se"])
    return rows


def folder(figures_dir, name):
    return os.path.join(figures_dir, RUNS_DIR, name)


def save(summary, figures_dir):
    """Writes summary.json and a copy of the run's metrics.csv (its training curve)."""
    from betavae.runs import METRICS_FILE
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


def settled(figures_dir, config, defaults):
    """Whether the run (a Config) has been trained to its max_step here and its kept
    summary was computed from that very checkpoint (identity.stale), so scoring it again
    finds nothing to do. No TensorFlow: ./run asks it of each run it starts."""
    on_disk = rundir.checkpoints_on_disk(config.run_dir)
    step = max(on_disk, default=0)
    if step < config.max_step:
        return False
    kept = kept_summary(figures_dir, run_name(config.run_dir))
    return identity.stale(kept, dataclasses.asdict(config), step, None,
                          identity.fingerprint(on_disk[step]), defaults) is None


def current(directory, run, figures_dir, sizes=None):
    """(summary, evaluated): the loaded run's kept summary if it answers for this very
    checkpoint (identity.stale), else one evaluated now and kept (carrying what the
    replaced one said, if an older protocol made it: protocol_change.previous)."""
    summary = kept_summary(figures_dir, run_name(directory))
    from betavae.config import DEFAULTS
    step = run.step
    reason = identity.stale(summary, json.loads(run.config.to_json()), step, sizes,
                            identity.fingerprint(run.checkpoint), DEFAULTS)
    if reason is None:
        logging.info("%s: kept summary answers for its checkpoint", run_name(directory))
        from betavae.runs import machine_steps
        machines = machine_steps(directory, step)
        if machines and summary.get("machines") != machines:  # recorded after it was made
            summary["machines"] = machines
            save(summary, figures_dir)
        return summary, False
    logging.info("%s: evaluating (kept summary: %s)", run_name(directory), reason)
    replaced = summary
    summary = evaluate(directory, run, sizes)
    before = protocol_change.previous(replaced, summary)
    if before:
        summary["previous_protocol"] = before
    save(summary, figures_dir)
    return summary, True


def collect(train_dir, figures_dir, sizes=None):
    """Summaries of every finished run under train_dir (evaluated where the kept one does
    not answer for its checkpoint, then kept; an unfinished one is left to its kept
    summary, if any) and of the runs kept in figures_dir whose checkpoints are not here
    (the reference results, used as they are; one made by an older evaluation protocol
    carries "stale", and tables mark its scores).

    sizes: the scores' sizes the summaries must have; None when no scores are needed.
    """
    from betavae.runs import load_runs
    others = {s["run"]: s for s in kept_summaries(figures_dir)}
    found = []
    for directory, run in load_runs(train_dir, finished=True):
        others.pop(run_name(directory), None)
        found.append(current(directory, run, figures_dir, sizes)[0])
    for name, summary in sorted(others.items()):
        version = summary.get("evaluation") or 0
        if version < identity.RECONSTRUCTION_SINCE:
            logging.warning("%s: kept summary made by evaluation protocol %s; left out", name,
                            version)
        elif version != identity.EVALUATION:
            logging.warning("%s: kept summary made by evaluation protocol %s, not %s, and no "
                            "checkpoint here to rescore it: kept, marked stale", name,
                            summary.get("evaluation"), identity.EVALUATION)
            found.append(dict(summary, stale=f"evaluation protocol {version}"))
        elif sizes is None or summary.get("table_sizes") == sizes:
            logging.info("%s: from its kept summary (no checkpoint under %s)", name, train_dir)
            found.append(summary)
        else:
            logging.warning("%s: kept summary scored on %s, not %s; left out", name,
                            summary.get("table_sizes"), sizes)
    return found


def training_curve(summary, figures_dir):
    """The run's metrics.csv rows: live from its run directory, else the kept copy."""
    from betavae.runs import read_metrics
    live = read_metrics(summary["run_dir"])
    if live:
        return live
    return read_metrics(folder(figures_dir, summary["run"]), TRAINING_FILE)


def objective(summary):
    """The run's objective: "beta", or "annealed" (a summary from before the objective
    was a setting ran with beta)."""
    return summary.get("config", {}).get("objective", "beta")


def objective_label(summary):
    """"beta 4", "beta 1" or "annealed (gamma 1000, C_max 25)": a run's objective, as its
    figures' titles and the shapes tables name it."""
    config = summary.get("config", {})
    if objective(summary) == "annealed":
        return f"annealed (gamma {config['gamma']:g}, C_max {config['c_max']:g})"
    return f"beta {summary['beta']:g}"


def network_label(summary):
    """A shapes run's network, and the renderer's sizes when they were not dSprites':
    "burgess", "paper_fc (small sprites)"."""
    config = rundir.recorded(summary.get("config", {}))
    small = config.get("shape_sizes") == "small"
    return summary.get("model", config.get("model", "?")) + (" (small sprites)" if small else "")


def config_label(config):
    """objective_label of the run a Config describes."""
    return objective_label({"config": dataclasses.asdict(config), "beta": config.beta})


def model_label(summary):
    """The model as tables and figures name a run's row: its model, or "<model>
    (annealed)" for the annealed objective, whose beta is not its weight, so that it
    never shares a row with the beta run of the same beta."""
    if objective(summary) == "annealed":
        return f"{summary['model']} (annealed)"
    return summary["model"]


def grouped(found):
    """{num_balls: {model label: {beta: {seed: summary}}}} (model_label); where two share
    a slot, the first is kept."""
    groups = {}
    for summary in found:
        slot = groups.setdefault(summary["num_balls"], {}).setdefault(model_label(summary), {})
        slot.setdefault(summary["beta"], {}).setdefault(summary.get("seed", 0), summary)
    return groups
