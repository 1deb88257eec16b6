"""The optimizer recipe as functions of the training step: learning rate, KL weight and
the capacity of the annealed objective.

Both are pure functions of the step counter (which is checkpointed), so a resumed run
follows exactly the schedule of an uninterrupted one. `step` is the 0-based index of the
step about to be taken; the functions work on Python numbers and on TF tensors alike.
"""

import math

import tensorflow as tf

from betavae.config import LR_SCHEDULES  # noqa: F401  (named in config, which checks flags)


def learning_rate(step, peak, schedule="constant", warmup_steps=0, decay_steps=None):
    """Linear warm-up to `peak` over warmup_steps (step s uses (s + 1) / warmup_steps of
    it, so no step is wasted at 0), then constant, or cosine decay reaching 0 at
    decay_steps, which the cosine needs explicitly and past the warm-up. (main.py's flag
    --decay_steps=0 means max_step: Config.resolved() makes it so before it comes here.)"""
    if schedule not in LR_SCHEDULES:
        raise ValueError(f"unknown lr schedule {schedule!r}; choose one of {LR_SCHEDULES}")
    if schedule == "cosine" and (decay_steps is None or decay_steps <= warmup_steps):
        raise ValueError(f"a cosine schedule needs decay_steps past the warm-up "
                         f"({warmup_steps}), not {decay_steps} (Config.resolved() turns "
                         "--decay_steps=0 into max_step)")
    s = tf.cast(step, tf.float32)
    factor = tf.constant(1.0)
    if warmup_steps > 0:
        factor = tf.minimum(1.0, (s + 1.0) / warmup_steps)
    if schedule == "cosine":
        span = decay_steps - warmup_steps
        progress = tf.clip_by_value((s - warmup_steps) / span, 0.0, 1.0)
        factor = factor * 0.5 * (1.0 + tf.cos(math.pi * progress))
    return peak * factor


def kl_weight(step, beta, warmup_steps=0, delay_steps=0):
    """0 for the first delay_steps, then ramped linearly to beta over warmup_steps (0:
    at once), then beta."""
    s = tf.cast(step, tf.float32) - delay_steps
    if warmup_steps <= 0:
        return tf.where(s >= 0, float(beta), 0.0)
    return beta * tf.clip_by_value(s / warmup_steps, 0.0, 1.0)


def capacity(step, c_max, c_steps):
    """The annealed objective's target KL C (nats per image): raised linearly from 0 at
    step 0 to c_max at c_steps (0: c_max at once), then held."""
    s = tf.cast(step, tf.float32)
    if c_steps <= 0:
        return tf.constant(float(c_max))
    return c_max * tf.clip_by_value(s / c_steps, 0.0, 1.0)
