"""The original's 18-run sweep as data, and the main.py command of each run."""

import dataclasses
import itertools
import os
import shlex
import shutil
import sys

from betavae.config import Config
from betavae.datasets import MODELS_FOR

MODELS = MODELS_FOR["balls"]  # ("fully_connected", "conv", "all_conv")
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


# --shapes: Higgins et al.'s own experiment, on 2D shapes drawn at dSprites' sizes
# (betavae/shapes.py), 10 latents: a plain VAE (beta 1) against the paper's beta-VAE (beta 4), and
# beside them the capacity-annealed objective (Burgess et al. 2018) at disentanglement_lib's
# AnnealedVAE setting: gamma 1000, C_max 25 nats reached after 6.4M images, then held.
# Each run trains 19.2M images, disentanglement_lib's 300000 steps of 64, about 26 passes
# over the 737280 combinations.
# - burgess (what ./run --shapes trains): Burgess et al.'s conv network with
#   disentangling-vae's recipe, Adam 5e-4, batch 64, the KL weight ramped from 0 over the
#   first 10000 steps (its reg_anneal), fixed on the development seed 100 before any
#   reported seed ran (docs/shapes.md). Its annealed runs raise C over 100000 steps of 64,
#   with no ramp (C starts at 0).
# - paper_fc (--models=paper_fc): the paper's fully connected network and optimizer
#   (Adagrad 1e-2, batch 128). Its kept runs, on the first renderer's smaller shapes, are in
#   figures/shapes_small_sprites/. Its annealed runs use Adagrad at 3e-3: on the
#   development seed the paper's 1e-2 sent the KL to 1e21-1e25 nats within 100 steps.
def cpu_has_bf16():
    """Whether this CPU multiplies bfloat16 in hardware (AVX512_BF16 or AMX), the case in
    which oneDNN's bfloat16 kernels can be faster than float32 ones."""
    try:
        with open("/proc/cpuinfo") as f:
            flags = f.read().split()
    except OSError:
        return False
    return "avx512_bf16" in flags or "amx_bf16" in flags


def bf16_cpu():
    """Whether this machine trains on such a CPU, with no NVIDIA GPU in sight."""
    gpu = shutil.which("nvidia-smi") or os.environ.get("CUDA_VISIBLE_DEVICES")
    return not gpu and cpu_has_bf16()


# burgess trains in bfloat16 where the CPU has it: 1.3x the images per second of float32
# on an AVX-512 EPYC, with the same reconstruction and scores on the development seed
# (docs/shapes.md); float32 elsewhere. The precision is part of a run's identity.
SHAPES_PRECISION = "mixed_bfloat16" if bf16_cpu() else "float32"
SHAPES = {
    "burgess": {"dataset": "shapes", "sampler": "iid", "hidden_size": 10, "optimizer": "adam",
                "lr": 5e-4, "batch_size": 64, "kl_warmup_steps": 10000, "max_step": 300000,
                "precision": SHAPES_PRECISION},
    "paper_fc": {"dataset": "shapes", "sampler": "iid", "hidden_size": 10,
                 "optimizer": "adagrad", "lr": 1e-2, "max_step": 150000},
}
SHAPES_ORDER = ("burgess", "paper_fc")
SHAPES_BETAS = (4.0, 1.0)
_ANNEALED = {"objective": "annealed", "gamma": 1000.0, "c_max": 25.0}
SHAPES_ANNEALED = {"burgess": dict(_ANNEALED, c_steps=100000, kl_warmup_steps=0),
                   "paper_fc": dict(_ANNEALED, c_steps=50000, lr=3e-3)}
# The models a preset plans when --models does not say (others only when named).
DEFAULT_MODELS = {"shapes": ("burgess",)}
# Presets scored while they train: every so many images (1.6M: 25000 steps of 64, 12500
# of 128) on POINT_SIZES, then at the end at disentanglement_lib's full sizes
# (reporting/create_run_summary.py).
SCORE_EVERY_IMAGES = {"shapes": 1_600_000}
# Kept shapes runs of earlier renderers, shown beside --shapes's in its objective table.
SHAPES_HISTORY = ("figures/shapes_small_sprites",)
# Presets whose runs, once summarized, also have each kept checkpoint scored
# (reporting/create_checkpoint_spread.py): the original's constant learning rate leaves the number
# moving between checkpoints, and a one-seed table should show by how much.
CHECKPOINT_SPREAD = ("faithful",)
POINT_SIZES = ["--num_train=2000", "--num_eval=1000", "--num_mig=5000"]

# preset: (per-model settings, model order, {(model, num_balls, beta): settings that
# replace the model's for that run}, (ball counts, betas), [(model, num_balls, beta,
# settings added to the model's) of runs beyond the grid, after it])
PRESETS = {"faithful": (FAITHFUL, ORIGINAL_ORDER, {}, (NUM_BALLS, BETAS), []),
           "quick": (QUICK, MODELS, {}, (NUM_BALLS, BETAS), []),
           "reproduce": (REPRODUCE, REPRODUCE_ORDER, REPRODUCE_RUNS, (NUM_BALLS, BETAS), []),
           "shapes": (SHAPES, SHAPES_ORDER, {}, ((1,), SHAPES_BETAS),
                      [(m, 1, 1.0, SHAPES_ANNEALED[m]) for m in SHAPES_ORDER])}


def runs(preset="faithful"):
    """(model, num_balls, beta, settings) for each run of a preset (the ball presets'
    18), in the order they start. Within a model the longest runs (max_step) start
    first: runs that share the cores start as others end, and a long run started last
    would end alone, on its share of the cores. A preset's runs beyond its grid follow."""
    settings, order, per_run, (ball_counts, betas), beyond = PRESETS[preset]
    planned = [(m, n, b, dict(settings[m], **per_run.get((m, n, b), {})))
               for m, n, b in itertools.product(order, ball_counts, betas)]
    planned.sort(key=lambda r: (order.index(r[0]), -r[3].get("max_step", 0)))
    return planned + [(m, n, b, dict(settings[m], **extra)) for m, n, b, extra in beyond]


def parse_flags(argv):
    """{name: value} of the main.py flags in argv, parsed by absl as main.py parses them
    (--name=value, --name value, --name / --noname for a boolean), typed as Config's
    fields; ValueError names the first that is not one."""
    from absl import flags
    fields = {f.name: f for f in dataclasses.fields(Config)}
    values = flags.FlagValues()
    define = {int: flags.DEFINE_integer, float: flags.DEFINE_float, str: flags.DEFINE_string,
              bool: flags.DEFINE_bool}
    for name, field in fields.items():
        define[field.type](name, None, "", flag_values=values)
    for arg in argv:
        if not arg.startswith("--"):
            continue
        name = arg.lstrip("-").partition("=")[0]
        base = name[2:] if name.startswith("no") and name[2:] in fields else name
        if base not in fields:
            raise ValueError(f"{arg}: not a main.py flag")
    try:
        rest = values(["main.py"] + list(argv))
    except flags.Error as e:
        raise ValueError(str(e).split("\n")[0]) from None
    if len(rest) > 1:
        raise ValueError(f"{rest[1]}: not a main.py flag (main.py takes only --flags)")
    return {name: values[name].value for name in fields if values[name].present}


def suffix(extra):
    """What flags in `extra` that change what a run computes add to the names of its
    directory and of the sweep's figures folder, e.g. "_lr_0.001" ("" for none; the seed
    is named by the run directory itself)."""
    from results import identity
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
