"""A run's directory, as the science sees it: its name, the config file main.py writes in
it, the checkpoints it holds, and the settings of runs recorded before a setting existed.
No TensorFlow: ./run and the flag checks use it before TensorFlow loads."""

import glob
import os
import re

CONFIG_FILE = "config.json"  # main.py writes it in a run directory as the run starts

# Settings added after runs had been recorded, with the value those runs had where it
# differs from today's default: {setting: (the datasets it applies to, value)}. The 2D
# shapes' sizes became dSprites' on 6 December 2026; runs recorded before were drawn by the
# first renderer, "small".
RECORDED_BEFORE = {"shape_sizes": (("shapes",), "small")}


def recorded(values):
    """A recorded run's settings (a config.json's or a kept summary's dict) with those it
    predates filled in as RECORDED_BEFORE says those runs had them."""
    dataset = values.get("dataset", "balls")
    missing = {k: v for k, (datasets, v) in RECORDED_BEFORE.items()
               if k not in values and dataset in datasets}
    return dict(values, **missing)


def checkpoints_on_disk(directory):
    """{step: checkpoint prefix} of the directory's ckpt-<step>.index files (no TensorFlow:
    ./run's --slurm tells a finished run by them)."""
    found = {}
    for index in glob.glob(os.path.join(glob.escape(directory), "ckpt-*.index")):
        match = re.fullmatch(r"ckpt-(\d+)\.index", os.path.basename(index))
        if match:
            found[int(match.group(1))] = index[:-len(".index")]
    return found


def run_dir(train_dir, model, num_balls, beta, seed=0, dataset="balls", annealed=None):
    """The original's run directory, <train_dir>_model_<m>_num_balls_<n>_beta_<beta>, for
    seed 0; other seeds add _seed_<seed>, so two seeds never share a directory. A shapes
    run names its dataset: <train_dir>_dataset_shapes_model_<m>_beta_<beta>. A run of the
    capacity-annealed objective, annealed=(gamma, c_max), is named by those instead of
    beta: ..._annealed_gamma_<gamma>_c_<c_max>."""
    weight = (f"annealed_gamma_{float(annealed[0])}_c_{float(annealed[1])}" if annealed
              else f"beta_{float(beta)}")
    if dataset != "balls":
        name = f"{train_dir}_dataset_{dataset}_model_{model}_{weight}"
    else:
        name = f"{train_dir}_model_{model}_num_balls_{num_balls}_{weight}"
    return name + (f"_seed_{seed}" if seed else "")
