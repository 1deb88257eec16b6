"""What the figure and metric scripts compute from a trained model (no flags, no plotting)."""

import functools
import math

import numpy as np
import tensorflow as tf

import data
from betavae import shapes
from architecture import kl_divergence, reconstruction_loss, sample_latent

BALL_WORDS = {1: "one", 2: "two"}


def ball_word(num_balls):
    """1 -> 'one', 2 -> 'two' (the original's file names); other counts as digits."""
    return BALL_WORDS.get(num_balls, str(num_balls))


_trajectory = tf.function(data.sample_trajectory, reduce_retracing=True, autograph=False)


def images(num_balls, count, seed, sampler="iid", frames=None, friction=False):
    """[count, 32, 32, 1] evaluation images (seeds apart from training's).

    iid: independent positions. trajectory: count // frames bouncing-ball trajectories of
    `frames` consecutive frames each (default: one of `count`), as the original's figure
    scripts drew them.
    """
    if sampler == "iid":
        return data.render(_iid_positions(num_balls, count, seed))
    if sampler != "trajectory":
        raise ValueError(f"unknown sampler {sampler!r}; choose one of {data.SAMPLERS}")
    frames = frames or count
    if count % frames:
        raise ValueError(f"{count} images are not a whole number of {frames}-frame "
                         "trajectories")
    positions = [_trajectory(frames, num_balls, tf.constant([seed, 7919 + i], tf.int64),
                             friction) for i in range(count // frames)]
    return data.render(tf.concat(positions, axis=0))


def _iid_positions(num_balls, count, seed):
    return data.sample_positions(count, num_balls, tf.constant([seed, 7919], tf.int64))


def run_images(config, count, seed, frames=None, sampler=None):
    """Evaluation images of a run's dataset, from its own sampler (trajectory runs: its
    frames) unless `sampler` says otherwise; shapes runs: i.i.d. factors."""
    if config.dataset == "shapes":
        factors = shapes.sample_factors(count, tf.constant([seed, 7919], tf.int64))
        return shapes.render_compiled(factors)
    return images(config.num_balls, count, seed, sampler or config.sampler, frames,
                  config.friction)


def average_stddev(model, x):
    """[num_latents]: the posterior stddev of each latent, averaged over images x."""
    _, log_var = model.encode(x)
    return tf.reduce_mean(tf.exp(0.5 * log_var), axis=0).numpy()


def latent_kl(model, x):
    """[num_latents]: each latent's KL from the prior (nats), averaged over images x; they
    sum to the model's KL term."""
    mean, log_var = model.encode(x)
    kl = 0.5 * (tf.square(mean) + tf.exp(log_var) - log_var - 1.0)
    return tf.reduce_mean(kl, axis=0).numpy()


TARGET_SE = 0.03  # nats: the standard error a reconstruction is measured to
_CHUNK_BATCHES = 100  # batches evaluated at a time (3200 images of 32)
MAX_IMAGES = 320000


def reconstruction_and_kl(model, config, batches=100, batch_size=32, seed=1, sampler=None,
                          target_se=None, max_images=MAX_IMAGES):
    """Per-image reconstruction loss and KL (nats) on fresh images, as a dict:
    reconstruction, reconstruction_se (its standard error), kl, images.

    Images come in batches of batch_size, each a trajectory of batch_size frames for the
    trajectory sampler (the original averaged 100 batches of 32), else i.i.d.; sampler
    defaults to the run's own. The standard error is that of the mean of the batch means,
    so it holds for correlated trajectory frames too. With target_se, chunks of `batches`
    batches are added (each from its own seed) until the standard error is at most
    target_se; unless the first chunk shows that more than max_images would be needed
    (a model far from trained: its first chunk's standard error is reported).

    As in training (and the original's error graph) the image is decoded from a sample of
    the posterior.
    """
    recon, kl = [], []
    chunk_images = batches * batch_size
    for chunk in range(max(1, max_images // chunk_images)):
        r, k = _chunk_losses(model, config, chunk_images, seed + 1000 * chunk, batch_size,
                             sampler)  # chunk 0: the 3200-image protocol of before
        recon.append(r)
        kl.append(k)
        per_batch = np.concatenate(recon).reshape(-1, batch_size).mean(1)
        se = float(per_batch.std(ddof=1) / np.sqrt(len(per_batch)))
        if not _more_images_help(se, target_se, len(per_batch) * batch_size, max_images):
            break
    return {"reconstruction": float(per_batch.mean()), "reconstruction_se": se,
            "kl": float(np.concatenate(kl).mean()), "images": len(per_batch) * batch_size}


def _chunk_losses(model, config, images, chunk_seed, frames, sampler):
    """Each image's reconstruction loss and KL (float64 arrays) on `images` fresh images
    of one chunk, decoded from a posterior sample drawn with the chunk's seed."""
    x = run_images(config, images, chunk_seed, frames=frames, sampler=sampler)
    mean, log_var = model.encode(x)
    z = sample_latent(mean, log_var, tf.constant([chunk_seed, 0], tf.int64))
    return (reconstruction_loss(x, model.decode(z)).numpy().astype(np.float64),
            kl_divergence(mean, log_var).numpy().astype(np.float64))


def _more_images_help(se, target_se, images, max_images):
    """Whether to add a chunk: a target is set and not met, and the images it would take
    by the current standard error (se^2 falls as 1/images) are within max_images."""
    if target_se is None or se <= target_se:
        return False
    return images * (se / target_se) ** 2 <= max_images


@functools.lru_cache(maxsize=None)
def entropy_floor(num_balls, count=102400, seed=2, sampler="iid", chunk=10240):
    """Mean over images of the summed binary entropy of their pixels (nats).

    The images are soft-edged, so even a perfect model pays this much Bernoulli
    cross-entropy per image: it is the floor of the reconstruction loss. sampler
    "trajectory": over the frames of 128-frame trajectories, the original's data.
    The default count gives the floors the docs quote (21.19 and 42.32 nats); i.i.d.
    images are rendered `chunk` at a time, which bounds memory and leaves the value as
    if rendered at once.
    """
    if sampler == "iid":
        positions = _iid_positions(num_balls, count, seed)
        parts = (data.render(positions[i:i + chunk]) for i in range(0, count, chunk))
    else:
        parts = [images(num_balls, count, seed, sampler, frames=128)]
    total = 0.0
    for x in parts:
        p = np.clip(x.numpy().astype(np.float64), 1e-12, 1 - 1e-12)
        total += float((-p * np.log(p) - (1 - p) * np.log(1 - p)).sum())
    return total / count


def traversal_inputs(model, config, rows=10):
    """(image [32, 32, 1], latents [<= rows], stddev [num_latents]) of a traversal figure:
    latents ranked by average posterior stddev, lowest first, and the image to start from.

    iid runs: ranked over 1000 images, started from another. trajectory runs, as the
    original: ranked over one 128-frame trajectory, started from its first frame.
    """
    if config.sampler == "trajectory":
        x = run_images(config, 128, seed=3)
        image = x[0]
    else:
        x = run_images(config, 1000, seed=3)
        image = run_images(config, 1, seed=4)[0]
    stddev = average_stddev(model, x)
    return image, np.argsort(stddev, kind="stable")[:rows], stddev


def traversal(model, image, latents, values=(-3.0, -1.5, 0.0, 1.5, 3.0)):
    """[len(latents), len(values), size, size]: decode the posterior mean of image with
    one latent at a time set to each value."""
    mean, _ = model.encode(image[None])
    z = np.repeat(mean.numpy(), len(latents) * len(values), axis=0)
    for row, latent in enumerate(latents):
        z[row * len(values):(row + 1) * len(values), latent] = values
    decoded = tf.sigmoid(model.decode(z)).numpy()
    return decoded.reshape((len(latents), len(values)) + decoded.shape[1:3])


def trajectory_statistics(num_balls, trajectories=1000, frames=128, seed=11):
    """How far the original's trajectory data is from uniform over valid positions:
    the fraction of ball coordinates outside the walls' valid range [r, 10 - r], their
    extremes, and the fraction of trajectories with a frame where two balls overlap."""
    positions = np.stack([_trajectory(frames, num_balls, tf.constant([i, seed], tf.int64))
                          .numpy() for i in range(trajectories)])  # [T, frames, n, 2]
    low, high = data.RADIUS, data.BOX_SIZE - data.RADIUS
    stats = {"outside_valid_range": float(np.mean((positions < low) | (positions > high))),
             "min": float(positions.min()), "max": float(positions.max())}
    if num_balls > 1:
        i, j = np.triu_indices(num_balls, 1)
        gaps = np.linalg.norm(positions[:, :, i] - positions[:, :, j], axis=-1)
        stats["trajectories_with_overlap"] = float(np.mean(
            (gaps < 2 * data.RADIUS).any(axis=(1, 2))))
    return stats


def settled_from(rows):
    """The first step from which every later beta-VAE score lies within two standard
    errors (binomial, on num_eval points) of it, or None; rows: dicts with step, beta_vae
    and num_eval (tools/measure_settling.py's CSV rows), in step order."""
    for i, row in enumerate(rows):
        p, n = float(row["beta_vae"]), int(row["num_eval"])
        margin = 2 * math.sqrt(p * (1 - p) / n)
        if all(abs(float(later["beta_vae"]) - p) <= margin for later in rows[i + 1:]):
            return int(row["step"]) if i + 1 < len(rows) else None
    return None
