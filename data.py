"""Ball images rendered with TensorFlow ops, so they can be generated inside a compiled step.

Units: the box has side BOX_SIZE = 10; a position is (column, row) in box units, i.e. the
first coordinate is horizontal. Images are float32 [batch, 32, 32, 1] in [0, 1].

All randomness is stateless: every sampler takes a `seed`, a shape-[2] int32/int64 tensor
(or a Python int, or None for a fresh random seed), so a batch is a pure function of its
seed. Training derives the seed from (run seed, step), which makes a resumed run draw the
same batches as an uninterrupted one.
"""

import numpy as np
import tensorflow as tf

# The box (positions in box units), the image and the balls. betavae/datasets.py keeps a
# TensorFlow-free copy, with which flags are checked before TensorFlow loads.
BOX_SIZE = 10.0
IMAGE_SIZE = 32
RADIUS = 1.2
TRAJECTORY_START_LOW = 2.0  # the original's trajectories start in [2, 10]

_MAX_REJECTION_ROUNDS = 10000  # at 1% acceptance a row is left unfilled with p < 1e-40

# The original's trajectory: start positions uniform in [TRAJECTORY_START_LOW, 10] (then
# rejected), speed scaled to Frobenius norm 0.5, two sub-steps of 0.5 per frame.
_SPEED = 0.5
_SUB_STEP = 0.5
_GRAVITY = 0.003
_FRICTION = 0.005


def _as_seed(seed):
    """Int, None or a [2] tensor -> an int64 [2] stateless seed."""
    if seed is None:
        return tf.random.uniform([2], maxval=2**31 - 1, dtype=tf.int64)
    if isinstance(seed, (int, np.integer)):
        return tf.constant([int(seed), 0], tf.int64)
    return tf.cast(seed, tf.int64)


def pixel_centres():
    """[32] pixel-centre coordinates in box units: (k + 0.5) / 32 * 10."""
    return (tf.range(IMAGE_SIZE, dtype=tf.float32) + 0.5) / IMAGE_SIZE * BOX_SIZE


def render(positions, radius=RADIUS):
    """[batch, num_balls, 2] positions -> [batch, 32, 32, 1] images.

    Each ball adds exp(-((d^2 / r^2) ** 4)), d the distance from the pixel centre to the
    ball centre; the sum is clipped at 1 (the original's draw_image).
    """
    positions = tf.convert_to_tensor(positions, tf.float32)
    centres = pixel_centres()
    x = positions[:, :, 0, None, None]  # [B, n, 1, 1]
    y = positions[:, :, 1, None, None]
    dx2 = tf.square(centres[None, None, None, :] - x)  # [B, n, 1, 32]: column
    dy2 = tf.square(centres[None, None, :, None] - y)  # [B, n, 32, 1]: row
    q = tf.square(tf.square((dx2 + dy2) / radius**2))  # (d^2 / r^2) ** 4
    image = tf.minimum(tf.reduce_sum(tf.exp(-q), axis=1), 1.0)  # [B, 32, 32]
    return image[..., None]


def _valid(positions, radius=RADIUS):
    """[B, n, 2] -> [B] bool: every ball inside the walls and no two overlapping."""
    inside = tf.reduce_all((positions >= radius) & (positions <= BOX_SIZE - radius), axis=[1, 2])
    n = positions.shape[1]
    if n < 2:
        return inside
    diff = positions[:, :, None, :] - positions[:, None, :, :]  # [B, n, n, 2]
    dist2 = tf.reduce_sum(tf.square(diff), axis=-1)
    apart = dist2 >= (2 * radius) ** 2
    apart = apart | tf.eye(n, dtype=tf.bool)[None]
    return inside & tf.reduce_all(apart, axis=[1, 2])


def _draw(shape, seed, low, high, grid):
    """Uniform in [low, high], or uniform over `grid` evenly spaced values spanning it."""
    if grid is None:
        return tf.random.stateless_uniform(shape, seed, low, high)
    k = tf.random.stateless_uniform(shape, seed, 0, grid, dtype=tf.int32)
    return tf.gather(grid_values(grid, low, high), k)


def grid_values(grid, low=RADIUS, high=BOX_SIZE - RADIUS):
    """[grid] evenly spaced coordinates from low to high (inclusive), kept inside [low, high]."""
    return tf.clip_by_value(tf.linspace(tf.constant(low, tf.float32), high, grid), low, high)


def canonical_order(positions):
    """Sorts each configuration's balls by x, then y: [B, n, 2] -> [B, n, 2]."""
    by_y = tf.gather(positions, tf.argsort(positions[..., 1], axis=1, stable=True),
                     batch_dims=1)
    return tf.gather(by_y, tf.argsort(by_y[..., 0], axis=1, stable=True), batch_dims=1)


def in_canonical_order(positions):
    """[B, n, 2] -> [B] bool: balls sorted by x, then y (what canonical_order returns)."""
    left, right = positions[:, :-1], positions[:, 1:]
    ordered = (right[..., 0] > left[..., 0]) | (
        (right[..., 0] == left[..., 0]) & (right[..., 1] >= left[..., 1]))
    return tf.reduce_all(ordered, axis=1)


def _rejection_sample(batch_size, num_balls, seed, low, high, fixed=None, grid=None,
                      canonical=False):
    """Uniform over valid configurations with every coordinate drawn from [low, high].

    Vectorised: each round redraws only the rows not yet valid. `fixed`, if given, is a
    pair (mask [B, n, 2] bool, values [B, n, 2]) of coordinates that are held, not drawn.
    `grid` draws coordinates from that many evenly spaced values instead. `canonical`
    returns balls sorted by x, then y (held coordinates refer to that order).

    Without held coordinates a canonical draw is sorted, which keeps it uniform over the
    valid canonical configurations. With them it is not: sorting first and holding after
    would make "the left ball" the lesser of two draws whatever was held, so the held
    values go into the raw draw and a draw out of canonical order is rejected instead.
    """
    shape = [batch_size, num_balls, 2]
    reorder = canonical and num_balls > 1

    def draw(i):
        p = _draw(shape, tf.random.experimental.stateless_fold_in(seed, i), low, high, grid)
        if fixed is not None:
            return tf.where(fixed[0], fixed[1], p)
        return canonical_order(p) if reorder else p

    def valid(p):
        ok = _valid(p)
        return ok & in_canonical_order(p) if reorder else ok

    def body(i, positions, done):
        candidate = draw(i)
        take = ~done & valid(candidate)
        positions = tf.where(take[:, None, None], candidate, positions)
        return i + 1, positions, done | take

    def not_done(i, positions, done):
        return ~tf.reduce_all(done)

    first = draw(tf.constant(0, tf.int64))
    _, positions, _ = tf.while_loop(
        not_done, body, (tf.constant(1, tf.int64), first, valid(first)),
        maximum_iterations=_MAX_REJECTION_ROUNDS)
    return positions


def sample_positions(batch_size, num_balls, seed=None, grid=None, canonical=False):
    """[batch, num_balls, 2] i.i.d. positions, uniform over valid configurations.

    grid: draw each coordinate from that many evenly spaced values over its valid range
    (for the metrics, as dSprites does). canonical: balls sorted by x, then y.
    Call betavae.datasets.check_num_balls first for a number of balls that comes from a user.
    """
    return _rejection_sample(batch_size, num_balls, _as_seed(seed), RADIUS,
                             BOX_SIZE - RADIUS, grid=grid, canonical=canonical)


def sample_positions_fixed(mask, values, seed=None, grid=None, canonical=False):
    """Like sample_positions, but coordinates where mask is True are held at values.

    mask: [batch, num_balls, 2] bool; values: [batch, num_balls, 2] float32. The free
    coordinates are uniform over the configurations that are valid given the fixed ones.
    """
    values = tf.convert_to_tensor(values, tf.float32)
    batch_size, num_balls = tf.shape(values)[0], values.shape[1]  # a batch of any size
    return _rejection_sample(batch_size, num_balls, _as_seed(seed), RADIUS,
                             BOX_SIZE - RADIUS, fixed=(tf.convert_to_tensor(mask), values),
                             grid=grid, canonical=canonical)


def _collide(x, v, i, j, radius):
    """Elastic collision of equal masses i, j along their line of centres, if overlapping."""
    d = x[i] - x[j]
    dist = tf.norm(d)
    w = d / tf.maximum(dist, 1e-12)
    vi, vj = tf.reduce_sum(w * v[i]), tf.reduce_sum(w * v[j])
    hit = tf.cast(dist < 2 * radius, tf.float32)
    v[i] = v[i] + hit * w * (vj - vi)
    v[j] = v[j] + hit * w * (vi - vj)


def simulate(x0, v0, num_frames, friction=False, radius=RADIUS):
    """One bouncing-ball trajectory: x0, v0 [n, 2] -> positions [num_frames, n, 2].

    The original's physics: a frame records the positions, then two sub-steps, each
    moving by 0.5 v, applying friction (optional), reflecting off the walls, and
    resolving overlapping pairs in the original's order (i over balls, j < i).
    """
    n = x0.shape[0]

    def sub_step(x, v):
        x = [x[i] + _SUB_STEP * v[i] for i in range(n)]
        v = list(v)
        for i in range(n):
            if friction:
                above = tf.cast(x[i][1] + radius < BOX_SIZE, tf.float32)
                v[i] = v[i] + above * tf.constant([0.0, _GRAVITY])
                v[i] = v[i] - _FRICTION * v[i]
            low = x[i] - radius < 0
            high = x[i] + radius > BOX_SIZE
            v[i] = tf.where(low, tf.abs(v[i]), tf.where(high, -tf.abs(v[i]), v[i]))
        for i in range(n):
            for j in range(i):
                _collide(x, v, i, j, radius)
        return x, v

    def body(t, x, v, frames):
        frames = frames.write(t, x)
        xs, vs = tf.unstack(x), tf.unstack(v)
        for _ in range(int(round(1 / _SUB_STEP))):
            xs, vs = sub_step(xs, vs)
        return t + 1, tf.stack(xs), tf.stack(vs), frames

    frames = tf.TensorArray(tf.float32, size=num_frames, element_shape=[n, 2])
    _, _, _, frames = tf.while_loop(
        lambda t, *_: t < num_frames, body,
        (tf.constant(0), tf.convert_to_tensor(x0, tf.float32),
         tf.convert_to_tensor(v0, tf.float32), frames))
    return frames.stack()


def sample_trajectory(batch_size, num_balls, seed=None, friction=False):
    """[batch, num_balls, 2]: one trajectory of batch_size consecutive frames (the original)."""
    seed = _as_seed(seed)
    start_seed, speed_seed = tf.unstack(tf.random.experimental.stateless_split(seed, 2))
    x0 = _rejection_sample(1, num_balls, start_seed, TRAJECTORY_START_LOW, BOX_SIZE)[0]
    v0 = tf.random.stateless_normal([num_balls, 2], speed_seed)
    v0 = v0 / tf.norm(v0) * _SPEED
    return simulate(x0, v0, batch_size, friction)


def sample_batch(batch_size, num_balls, seed=None, sampler="iid", friction=False):
    """(images [B, 32, 32, 1], positions [B, num_balls, 2]) for one training batch."""
    if sampler not in _SAMPLERS:
        raise ValueError(f"unknown sampler {sampler!r}; choose one of {sorted(_SAMPLERS)}")
    positions = _SAMPLERS[sampler](batch_size, num_balls, seed, friction)
    return render(positions), positions


_SAMPLERS = {
    "iid": lambda batch_size, num_balls, seed, friction: sample_positions(
        batch_size, num_balls, seed),
    "trajectory": sample_trajectory,
}
SAMPLERS = tuple(_SAMPLERS)
