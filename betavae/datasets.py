"""The datasets a run can train on, by name: the original's balls and the 2D shapes of
Higgins et al.'s own experiment (betavae/shapes.py), with the names of their models and samplers
and the balls' geometry. No TensorFlow: betavae/config.py checks a run's flags here, before
TensorFlow loads."""

import numpy as np

IMAGE_SIZES = {"balls": 32, "shapes": 64}
DATASETS = tuple(IMAGE_SIZES)
# The models each dataset's images fit (the ball models' layers are sized for 32x32).
MODELS_FOR = {"balls": ("fully_connected", "conv", "all_conv"), "shapes": ("burgess", "paper_fc")}
MODEL_NAMES = tuple(m for models in MODELS_FOR.values() for m in models)  # architecture.MODELS
SAMPLERS = ("iid", "trajectory")  # data.py's ball samplers: independent, the original's

# The balls (data.py renders them, and holds the same numbers): the box has side
# BOX_SIZE; positions in box units.
BOX_SIZE = 10.0
IMAGE_SIZE = IMAGE_SIZES["balls"]
RADIUS = 1.2

# Rejection sampling of non-overlapping balls is refused below this acceptance rate:
# beyond it a batch would need thousands of redraws (and 9+ balls never fit at random).
MIN_ACCEPTANCE = 0.01
TRAJECTORY_START_LOW = 2.0  # the original's trajectories start in [2, 10]


def acceptance_rate(num_balls, low=RADIUS, high=BOX_SIZE - RADIUS, draws=20000):
    """Monte-Carlo estimate of the share of uniform draws in [low, high] that are valid."""
    rng = np.random.default_rng(0)
    p = rng.uniform(low, high, size=(draws, num_balls, 2))
    inside = np.all((p >= RADIUS) & (p <= BOX_SIZE - RADIUS), axis=(1, 2))
    d2 = np.sum((p[:, :, None] - p[:, None]) ** 2, axis=-1)
    d2[:, np.arange(num_balls), np.arange(num_balls)] = np.inf
    return float(np.mean(inside & np.all(d2 >= (2 * RADIUS) ** 2, axis=(1, 2))))


def check_num_balls(num_balls, sampler="iid"):
    """Raises ValueError unless num_balls >= 1 and random placement is practical.

    The trajectory sampler draws its start from the original's smaller region [2, 10],
    where fewer placements are valid.
    """
    if not isinstance(num_balls, (int, np.integer)) or num_balls < 1:
        raise ValueError(f"num_balls must be an integer >= 1, got {num_balls!r}")
    low, high = ((TRAJECTORY_START_LOW, BOX_SIZE) if sampler == "trajectory"
                 else (RADIUS, BOX_SIZE - RADIUS))
    rate = acceptance_rate(num_balls, low, high)
    if rate < MIN_ACCEPTANCE:
        raise ValueError(
            f"num_balls={num_balls} does not fit: only {rate:.2%} of random placements of "
            f"{num_balls} balls of radius {RADIUS} (centres in [{low:g}, {high:g}]) are "
            f"inside the {BOX_SIZE:g}x{BOX_SIZE:g} box and free of overlaps (at least "
            f"{MIN_ACCEPTANCE:.0%} needed for the {sampler} sampler); use fewer balls")


def sample_batch(dataset, batch_size, num_balls, seed, sampler="iid", friction=False):
    """(images [B, size, size, 1], factors) of one training batch of `dataset`: ball
    positions [B, num_balls, 2], or shape factor indices [B, 5]."""
    if dataset == "shapes":
        from betavae import shapes
        return shapes.sample_batch(batch_size, seed)
    import data
    return data.sample_batch(batch_size, num_balls, seed, sampler, friction)
