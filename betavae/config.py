"""A run's settings as one frozen object, its checks, and the run directory it names."""

import dataclasses
import json
import os

from betavae.rundir import CONFIG_FILE, recorded, run_dir  # noqa: F401 (CONFIG_FILE: for others)

# No TensorFlow at import: ./run builds the Config of each planned run to know its
# identity. validate() imports the registries it checks against.

MAX_SEED = 2**32 - 1  # numpy's limit (keras.utils.set_random_seed seeds numpy too)
STRATEGIES = ("default", "mirrored")
OPTIMIZERS = ("adam", "adagrad")  # adam: the original's; adagrad: the paper's 2D shapes
# beta: the original's loss, reconstruction + beta * KL; annealed: Burgess et al.'s
# capacity annealing, reconstruction + gamma * |KL - C| with C raised from 0 to c_max.
OBJECTIVES = ("beta", "annealed")
LR_SCHEDULES = ("constant", "cosine")  # schedules.learning_rate's
# Keras dtype policies a run can train under: float32, or bfloat16 matmuls and convs with
# float32 variables and loss (faster on CPUs with AVX512_BF16 or AMX; tools/benchmark.py).
PRECISIONS = ("float32", "mixed_bfloat16")
# The 2D shapes' sizes: dSprites' (betavae/shapes.py). "small" names the first renderer (shapes
# drawn smaller, square and heart with the same ink), which made the kept paper_fc runs of
# figures/shapes_small_sprites/; it is no longer drawn.
SHAPE_SIZES = ("dsprites",)

# Settings that may change when a run is resumed; every other one must match config.json.
# (train_dir is part of the directory's name, so it matches by construction.)
# A cosine schedule's end (decay_steps) is fixed when the run starts: it is not resumable.
RESUMABLE = ("max_step", "checkpoint_every", "log_every", "steps_per_call", "train_dir",
             "strategy", "threads")


@dataclasses.dataclass(frozen=True)
class Config:
    """Every flag of main.py. Defaults are the original's."""
    model: str = "conv"
    dataset: str = "balls"
    num_balls: int = 1
    beta: float = 0.1
    hidden_size: int = 32
    max_step: int = 100000
    lr: float = 1e-3
    batch_size: int = 128
    weight_init: float = 0.1
    keep_prob: float = 1.0
    train_dir: str = "./checkpoints/train_store"
    friction: bool = False
    sampler: str = "trajectory"
    seed: int = 0
    checkpoint_every: int = 1000
    log_every: int = 100
    steps_per_call: int = 10
    strategy: str = "default"
    lr_schedule: str = "constant"
    warmup_steps: int = 0
    decay_steps: int = 0
    kl_warmup_steps: int = 0
    kl_delay_steps: int = 0
    threads: int = 0
    optimizer: str = "adam"
    objective: str = "beta"
    gamma: float = 1000.0
    c_max: float = 25.0
    c_steps: int = 50000
    precision: str = "float32"
    shape_sizes: str = "dsprites"

    def resolved(self):
        """This config with its defaults made explicit: a cosine schedule without
        decay_steps ends at max_step."""
        if self.lr_schedule == "cosine" and self.decay_steps == 0:
            return dataclasses.replace(self, decay_steps=self.max_step)
        return self

    @property
    def run_dir(self):
        """The original's run directory, <train_dir>_model_<m>_num_balls_<n>_beta_<beta>,
        with _seed_<seed> after it for a seed other than 0; a shapes run's is
        <train_dir>_dataset_shapes_model_<m>_beta_<beta>[_seed_<seed>]."""
        annealed = (self.gamma, self.c_max) if self.objective == "annealed" else None
        return run_dir(self.train_dir, self.model, self.num_balls, self.beta, self.seed,
                       self.dataset, annealed)

    def to_json(self):
        return json.dumps(dataclasses.asdict(self), indent=2, sort_keys=True)

    @classmethod
    def from_dict(cls, values):
        """Builds a Config from a recorded dict (a config.json, a kept summary's), ignoring
        keys this version does not know; a setting recorded before it existed is given
        the value those runs had (rundir.recorded)."""
        names = {f.name for f in dataclasses.fields(cls)}
        return cls(**{k: v for k, v in recorded(values).items() if k in names})

    @classmethod
    def load(cls, directory):
        with open(os.path.join(directory, CONFIG_FILE)) as f:
            return cls.from_dict(json.load(f))

    def save(self, directory):
        path = os.path.join(directory, CONFIG_FILE)
        with open(path + ".tmp", "w") as f:
            f.write(self.to_json() + "\n")
        os.replace(path + ".tmp", path)


# Every setting's default: a run recorded before a setting existed ran with its default.
DEFAULTS = dataclasses.asdict(Config())


def with_dataset_defaults(values, given):
    """Settings {name: value} with what the dataset fixes filled in where it was not
    given (`given`: the names set explicitly): 2D shapes have one sampler, iid. An
    explicit other value is left for validate() to refuse."""
    if values.get("dataset") == "shapes" and "sampler" not in given:
        return dict(values, sampler="iid")
    return values

def _positive(name, value):
    return None if value > 0 else f"--{name}={value!r}: must be > 0"


def validate(config):
    """Returns a list of one-line problems with config (empty when it is usable)."""
    from betavae.datasets import (DATASETS, MODEL_NAMES as MODELS, MODELS_FOR, SAMPLERS,
                                  check_num_balls)
    problems = []
    if config.model not in MODELS:
        problems.append(f"--model={config.model!r}: must be one of {', '.join(sorted(MODELS))}")
    if config.dataset not in DATASETS:
        problems.append(f"--dataset={config.dataset!r}: must be one of {', '.join(DATASETS)}")
    elif config.model in MODELS and config.model not in MODELS_FOR[config.dataset]:
        problems.append(f"--model={config.model} does not fit --dataset={config.dataset}'s "
                        f"images: use {' or '.join(MODELS_FOR[config.dataset])}")
    if config.objective not in OBJECTIVES:
        problems.append(f"--objective={config.objective!r}: must be one of "
                        f"{', '.join(OBJECTIVES)}")
    elif config.objective == "annealed":
        problems += [f"--{name}={getattr(config, name)!r}: must be >= 0 with "
                     "--objective=annealed" for name in ("gamma", "c_max", "c_steps")
                     if getattr(config, name) < 0]
    if config.precision not in PRECISIONS:
        problems.append(f"--precision={config.precision!r}: must be one of "
                        f"{', '.join(PRECISIONS)}")
    if config.dataset == "shapes" and config.shape_sizes not in SHAPE_SIZES:
        problems.append(f"shape_sizes={config.shape_sizes!r}: this run's shapes were drawn "
                        "by an earlier renderer, no longer in betavae/shapes.py (it draws "
                        f"{', '.join(SHAPE_SIZES)}' sizes)")
    if config.optimizer not in OPTIMIZERS:
        problems.append(f"--optimizer={config.optimizer!r}: must be one of "
                        f"{', '.join(OPTIMIZERS)}")
    if config.sampler not in SAMPLERS:
        problems.append(f"--sampler={config.sampler!r}: must be one of {', '.join(SAMPLERS)}")
    if config.strategy not in STRATEGIES:
        problems.append(f"--strategy={config.strategy!r}: must be one of {', '.join(STRATEGIES)}")
    if config.beta < 0:
        problems.append(f"--beta={config.beta!r}: must be >= 0")
    if not 0 < config.keep_prob <= 1:
        problems.append(f"--keep_prob={config.keep_prob!r}: must be in (0, 1]")
    if config.max_step < 0:
        problems.append(f"--max_step={config.max_step!r}: must be >= 0")
    if config.friction and config.sampler != "trajectory":
        problems.append(f"--friction with --sampler={config.sampler}: friction only acts on "
                        "trajectories (use --sampler=trajectory, or drop --friction)")
    problems += _schedule_problems(config)
    if not 0 <= config.seed <= MAX_SEED:
        problems.append(f"--seed={config.seed}: must be in [0, {MAX_SEED}]")
    for name in ("batch_size", "hidden_size", "lr", "weight_init", "checkpoint_every",
                 "log_every", "steps_per_call"):
        problem = _positive(name, getattr(config, name))
        if problem:
            problems.append(problem)
    if config.dataset == "shapes":
        if config.sampler != "iid" or config.num_balls != 1:
            problems.append("--dataset=shapes draws i.i.d. factors of one shape: use "
                            "--sampler=iid and the default --num_balls=1")
        return problems
    try:
        check_num_balls(config.num_balls, config.sampler)
    except ValueError as e:
        problems.append(f"--num_balls={config.num_balls!r}: {e}")
    return problems


def _schedule_problems(config):
    problems = [f"--{name}={getattr(config, name)!r}: must be >= 0"
                for name in ("warmup_steps", "decay_steps", "kl_warmup_steps", "kl_delay_steps",
                             "threads")
                if getattr(config, name) < 0]
    if config.lr_schedule not in LR_SCHEDULES:
        problems.append(f"--lr_schedule={config.lr_schedule!r}: must be one of "
                        f"{', '.join(LR_SCHEDULES)}")
    elif config.lr_schedule == "constant" and config.decay_steps:
        problems.append(f"--decay_steps={config.decay_steps}: only with --lr_schedule=cosine")
    elif config.lr_schedule == "cosine" and config.decay_steps > 0:
        if config.warmup_steps >= config.decay_steps:
            problems.append(f"--warmup_steps={config.warmup_steps}: must be below the "
                            f"cosine's end, --decay_steps={config.decay_steps}")
        if config.max_step > config.decay_steps:
            problems.append(f"--max_step={config.max_step}: past the cosine's end "
                            f"--decay_steps={config.decay_steps}, where the learning rate "
                            "is 0")
    return problems


def resume_conflicts(config, saved):
    """One line per setting of config that differs from the saved run's config."""
    conflicts = []
    for name in (f.name for f in dataclasses.fields(Config)):
        mine, theirs = getattr(config, name), getattr(saved, name)
        if name in RESUMABLE or mine == theirs:
            continue
        if name == "decay_steps" and config.lr_schedule == saved.lr_schedule == "cosine":
            conflicts.append(
                f"the run's cosine schedule ends at step {theirs} (decay_steps, fixed when it "
                f"started) but this call's ends at {mine}: a cosine run is not extended, as "
                "that would bend a schedule already under way (pass "
                f"--decay_steps={theirs} with --max_step <= {theirs})")
        else:
            conflicts.append(f"--{name}={mine!r} but the run was started with {name}="
                             f"{theirs!r}")
    return conflicts


def output_dir_problem(flag, directory):
    """A one-line problem if `directory` (an output flag's) cannot be created or written,
    else None. Creates the directory."""
    directory = directory or "."
    try:
        os.makedirs(directory, exist_ok=True)
    except OSError as e:
        return f"{flag}: cannot create {directory} ({e.strerror or e})"
    if not os.access(directory, os.W_OK | os.X_OK):
        return f"{flag}: cannot write in {directory} (permission denied)"
    return None
