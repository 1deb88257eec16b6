"""The original's 18-run sweep as data, and the main.py command of each run."""

import csv
import dataclasses
import datetime
import itertools
import json
import os
import shlex
import sys

from config import Config

MODELS = ("fully_connected", "conv", "all_conv")
ORIGINAL_ORDER = ("conv", "all_conv", "fully_connected")  # the original's `runs` file
NUM_BALLS = (1, 2)
BETAS = (0.1, 0.5, 1.0)

# The original's per-model settings (its ./run script).
FAITHFUL = {
    "fully_connected": {"hidden_size": 10, "lr": 5e-5, "weight_init": 0.01},
    "conv": {},
    "all_conv": {"hidden_size": 1},
}

# --reproduce: the original's models, sizes, init, loss and batch 128 on i.i.d. images; only
# the optimizer recipe differs (warm-up, cosine decay to 0). all_conv also holds beta at 0
# for 1000 steps, then ramps it over 5000: measured here, its two-ball runs otherwise
# fall onto the mean image (KL ~ 0) within 500 steps and stay there (beta 0.5 and 1.0,
# with the ramp alone). fully_connected: 15000 steps at peak 6e-4 in place of 25000 at
# 3e-4 (its one-ball beta 0.1 run, seed 0: 21.50 nats both ways), chosen on seed 0 to
# shorten the sweep. See README.
_RECIPE = {"sampler": "iid", "lr_schedule": "cosine", "warmup_steps": 500}
REPRODUCE = {
    "fully_connected": dict(_RECIPE, hidden_size=10, weight_init=0.01, lr=6e-4,
                            max_step=15000),
    "conv": dict(_RECIPE, lr=3e-3, max_step=30000),
    "all_conv": dict(_RECIPE, hidden_size=1, lr=3e-3, kl_delay_steps=1000,
                     kl_warmup_steps=5000, max_step=30000),
}
# Runs that need more than their model's recipe, as measured here (see README): at 30000
# steps these all_conv runs ended 0.14, 0.29 and 1.36 nats above the original.
REPRODUCE_RUNS = {
    ("all_conv", 1, 0.1): {"lr": 6e-3, "max_step": 60000},
    ("all_conv", 1, 0.5): {"max_step": 60000},
    ("all_conv", 2, 1.0): {"lr": 8e-3, "max_step": 80000},
}
# How many runs of a model share a CPU-only machine (each gets cores / share threads).
# Measured on 2 cores: two one-thread conv runs do 1.8x the work of one two-thread run;
# the fully connected step is compute-bound and gains nothing from a split.
REPRODUCE_SHARE = {"fully_connected": 1, "conv": 2, "all_conv": 2}
REPRODUCE_ORDER = ("all_conv", "fully_connected", "conv")

# --quick: a 2-core CPU runs all 18 runs and the figures in about 20 minutes (see README).
# Measured: at the original's learning rates every model first sits on the "mean image"
# plateau for 1000-1500 steps; larger steps leave it within a few hundred. Smaller
# batches buy more steps per second.
QUICK = {
    "fully_connected": {"sampler": "iid", "hidden_size": 10, "lr": 1e-3, "weight_init": 0.01,
                        "batch_size": 64, "max_step": 1000},
    "conv": {"sampler": "iid", "lr": 3e-3, "batch_size": 64, "max_step": 1500},
    "all_conv": {"sampler": "iid", "hidden_size": 1, "lr": 3e-3, "batch_size": 64,
                 "max_step": 1200},
}
# ... and scores its runs on fewer points than disentanglement_lib's defaults.
QUICK_TABLE = ["--num_train=300", "--num_eval=150", "--num_mig=5000"]


# preset: (per-model settings, model order, {(model, num_balls, beta): settings that
# replace the model's for that run})
# --shapes: Higgins et al.'s own experiment, on 2D shapes rendered here (shapes.py), with
# the paper's network and optimizer (Adagrad 1e-2) and 10 latents; a plain VAE (beta 1)
# against the paper's beta-VAE (beta 4). 4500 steps of batch 128: where the beta-VAE score
# of a beta-4 run settled, on development seed 100 (measure_settling.py; docs/shapes.md).
SHAPES = {"paper_fc": {"dataset": "shapes", "sampler": "iid", "hidden_size": 10,
                       "optimizer": "adagrad", "lr": 1e-2, "max_step": 4500}}
SHAPES_BETAS = (1.0, 4.0)
# The paper's disentanglement metric on 2D shapes (its Figure 6, via a secondary
# summary): {beta: (accuracy, its +-)}.
PAPER_BETA_VAE_SCORE = {1.0: (0.6158, 0.005), 4.0: (0.9923, 0.001)}

# preset: (per-model settings, model order, {(model, num_balls, beta): settings that
# replace the model's for that run}, (ball counts, betas))
PRESETS = {"faithful": (FAITHFUL, ORIGINAL_ORDER, {}, (NUM_BALLS, BETAS)),
           "quick": (QUICK, MODELS, {}, (NUM_BALLS, BETAS)),
           "reproduce": (REPRODUCE, REPRODUCE_ORDER, REPRODUCE_RUNS, (NUM_BALLS, BETAS)),
           "shapes": (SHAPES, ("paper_fc",), {}, ((1,), SHAPES_BETAS))}


def runs(preset="faithful"):
    """(model, num_balls, beta, settings) for each run of a preset (the ball presets'
    18), in the order they start. Within a model the longest runs (max_step) start
    first: runs that share the cores start as others end, and a long run started last
    would end alone, on its share of the cores."""
    settings, order, per_run, (ball_counts, betas) = PRESETS[preset]
    planned = [(m, n, b, dict(settings[m], **per_run.get((m, n, b), {})))
               for m, n, b in itertools.product(order, ball_counts, betas)]
    return sorted(planned, key=lambda r: (order.index(r[0]), -r[3].get("max_step", 0)))


def parse_flags(argv):
    """{name: value} of main.py flags given as --name=value, or --name / --noname for a
    boolean, typed as Config's fields; ValueError names the first that is not one."""
    fields = {f.name: f.type for f in dataclasses.fields(Config)}
    values = {}
    for arg in argv:
        name, eq, text = arg[2:].partition("=") if arg.startswith("--") else ("", "", "")
        negated = not eq and name.startswith("no") and fields.get(name[2:]) is bool
        if negated:
            name = name[2:]
        kind = fields.get(name)
        if kind is None or (not eq and kind is not bool):
            raise ValueError(f"{arg}: not a main.py flag of the form --name=value")
        try:
            if kind is bool:
                value = (not negated) if not eq else {"true": True, "1": True, "false": False,
                                                      "0": False}[text.lower()]
            else:
                value = kind(text)
        except (KeyError, ValueError):
            raise ValueError(f"{arg}: not a valid {kind.__name__}") from None
        values[name] = value
    return values


def suffix(extra):
    """What flags in `extra` that change what a run computes add to the names of its
    directory and of the sweep's figures folder, e.g. "_lr_0.001" ("" for none; the seed
    is named by the run directory itself)."""
    import identity
    overrides = parse_flags(extra)
    return "".join(f"_{k}_{overrides[k]}" for k in sorted(identity.identity(overrides))
                   if k != "seed")


def plan(preset, train_dir, seeds=(None,), extra=(), python=sys.executable):
    """(config, argv) of every run of a preset, seed after seed: its resolved Config and
    the main.py command that trains it.

    A run is identified by everything that shapes it: a seed other than 0 names its own
    directory (Config.run_dir), and flags in `extra` (passed to every main.py call) that
    change what a run computes (identity.identity) are added to the directory prefix,
    e.g. train_store_lr_0.001_model_conv_..., so they never share a directory, a kept
    summary or a table row with the preset's runs. seeds: None leaves --seed to extra."""
    overrides = parse_flags(extra)
    fixed = sorted(set(overrides) & {"model", "num_balls", "beta", "train_dir", "dataset"})
    if fixed:
        raise ValueError(f"--{fixed[0]} after -- : the sweep sets it for each run (select "
                         "runs with --models, --num_balls, --betas; --train_dir goes before --)")
    if "seed" in overrides and seeds != (None,):
        raise ValueError("give the seed either as --seeds or as --seed after --, not both")
    prefix = train_dir + suffix(extra)
    planned = []
    for seed in seeds:
        for m, n, b, settings in runs(preset):
            own = {} if seed is None else {"seed": seed}
            config = Config(**dict(dict(settings, **own), model=m, num_balls=n, beta=b,
                                   train_dir=prefix, **overrides)).resolved()
            argv = command(m, n, b, dict(settings, **own) if seed else settings, prefix,
                           extra, python)
            planned.append((config, argv))
    return planned


def command(model, num_balls, beta, settings, train_dir, extra=(), python=sys.executable):
    """The argv that trains one run with main.py."""
    argv = [python, "main.py", f"--model={model}", f"--num_balls={num_balls}",
            f"--beta={beta}", f"--train_dir={train_dir}"]
    argv += [f"--{k}={v}" for k, v in settings.items()]
    return argv + list(extra)


def shell_line(argv):
    return " ".join(shlex.quote(a) for a in argv)


# Per-image reconstruction loss (nats) the original reported, read off its figures:
# {(num_balls, model): {beta: loss}}.
ORIGINAL_RECONSTRUCTION = {
    (1, "fully_connected"): {0.1: 21.48, 0.5: 22.05, 1.0: 22.71},
    (1, "conv"): {0.1: 21.47, 0.5: 22.16, 1.0: 22.97},
    (1, "all_conv"): {0.1: 21.52, 0.5: 22.26, 1.0: 23.57},
    (2, "fully_connected"): {0.1: 43.45, 0.5: 45.10, 1.0: 47.09},
    (2, "conv"): {0.1: 43.80, 0.5: 46.56, 1.0: 49.21},
    (2, "all_conv"): {0.1: 44.32, 0.5: 47.06, 1.0: 48.12},
}


# The reproduction's target: a mean reconstruction at most the original's + 0.1 nats.
TARGET_MARGIN = 0.1


# Where a sweep keeps each run's results beside its figures (summaries.py writes them).
RUNS_DIR = "runs"
SUMMARY_FILE = "summary.json"


def kept_summary(figures_dir, run_name):
    """The run's kept summary (<figures_dir>/runs/<run>/summary.json) as a dict, or None
    when there is none or it is unreadable (identity.stale then says why it is no use;
    an unreadable one is also named on stderr)."""
    path = os.path.join(figures_dir, RUNS_DIR, run_name, SUMMARY_FILE)
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


# sweep_time.csv events that end a run's work in an invocation (./run logs them).
_RUN_ENDS = ("summarized", "summary failed", "failed", "finished", "interrupted")


def _utc(text):
    """A sweep_time.csv time as an aware UTC datetime; rows written before times carried
    their zone are in the machine's local time."""
    t = datetime.datetime.fromisoformat(text)
    return t.astimezone(datetime.timezone.utc)


def _seed_of(run_name):
    """The seed a run directory's name gives (run_dir): _seed_<n> at its end, else 0."""
    head, _, tail = run_name.rpartition("_seed_")
    return int(tail) if head and tail.isdigit() else 0


def run_time(timing_csv, model=None, seed=None):
    """(seconds, invocations): the wall time of the sweep's current runs, from the events
    ./run logs in sweep_time.csv across its invocations; with `model` or `seed`, of those
    runs alone (without the figures).

    It is the length of the union of the intervals in which a run was being trained or
    scored, plus the last drawing of the figures. A run's "started" event (a fresh run
    directory) drops that run's earlier intervals: they belong to a run that was replaced
    (e.g. by a new recipe). "resumed" opens an interval in the same run. An interval still
    open when its invocation ends (a stop signal, or a session that ended) closes at that
    invocation's last event. Rows from before ./run logged starts (a "trained" or
    "summarized" row alone) give the interval [time - seconds, time]."""
    intervals = {}  # run -> [[start, end], ...] of its current generation
    open_ = {}  # run -> its interval still open in this invocation
    figures, last, invocations = None, None, 0

    def close_all():
        for interval in open_.values():
            interval[1] = last
        open_.clear()

    with open(timing_csv, newline="") as f:
        for row in csv.DictReader(f):
            t = _utc(row["time"])
            event, name = row["event"], row["run"]
            if event == "start":
                close_all()
                invocations += 1
            elif event in ("started", "resumed"):
                if event == "started":
                    intervals[name] = []
                open_[name] = [t, t]
                intervals.setdefault(name, []).append(open_[name])
            elif event == "trained" or event in _RUN_ENDS:  # "finished": not scored
                if name in open_:
                    open_[name][1] = t
                elif row["seconds"]:  # a row from before ./run logged starts
                    seconds = datetime.timedelta(seconds=float(row["seconds"]))
                    intervals.setdefault(name, []).append([t - seconds, t])
                if event in _RUN_ENDS:
                    open_.pop(name, None)
            elif event == "trained all":
                figures = [t, t]
            elif event == "done" and figures is not None:
                figures[1] = t
            last = t
    close_all()
    spans = [i for name, runs_ in intervals.items() for i in runs_
             if (model is None or f"_model_{model}_num_balls_" in name)
             and (seed is None or _seed_of(name) == seed)]
    if figures is not None and model is None and seed is None:
        spans.append(figures)
    total, reach = 0.0, None
    for start, end in sorted(spans):
        if reach is None or start > reach:
            total += (end - start).total_seconds()
            reach = end
        elif end > reach:
            total += (end - reach).total_seconds()
            reach = end
    return total, invocations
