"""A reconstruction is measured with its standard error, on as many images as that needs."""

import numpy as np
import pytest
import tensorflow as tf

from betavae import analysis
from architecture import reconstruction_loss
from betavae.config import Config


class _NoisyModel:
    """A stand-in model whose per-image loss varies with the sampled latent: every pixel's
    logit is scale * z[0], so the loss's spread is set by `scale`."""

    def __init__(self, scale):
        self.scale = scale

    def encode(self, x):
        zeros = tf.zeros([tf.shape(x)[0], 2])
        return zeros, zeros

    def decode(self, z):
        return tf.ones([tf.shape(z)[0], 32, 32, 1]) * self.scale * z[:, :1, None, None]


def test_images_are_added_until_the_standard_error_meets_the_target():
    config = Config(sampler="iid")
    one_chunk = analysis.reconstruction_and_kl(_NoisyModel(0.3), config)
    assert one_chunk["images"] == 3200
    target = one_chunk["reconstruction_se"] / 2.5  # needs about 6.25 chunks
    out = analysis.reconstruction_and_kl(_NoisyModel(0.3), config, target_se=target)
    assert out["reconstruction_se"] <= target
    assert out["images"] % 3200 == 0 and 5 * 3200 <= out["images"] <= 9 * 3200
    # the first chunk is the 3200-image protocol; the mean is over all the images
    assert out["reconstruction"] == pytest.approx(one_chunk["reconstruction"],
                                                  abs=4 * one_chunk["reconstruction_se"])
    # an unreachable target: the first chunk says so, and no more is spent
    hopeless = analysis.reconstruction_and_kl(_NoisyModel(0.3), config, target_se=1e-4)
    assert hopeless["images"] == 3200


def test_the_standard_error_is_that_of_the_batch_means():
    config = Config(sampler="trajectory")
    model = _NoisyModel(0.3)
    out = analysis.reconstruction_and_kl(model, config, batches=10, batch_size=32, seed=5)
    x = analysis.images(1, 320, 5, "trajectory", frames=32)
    mean, _ = model.encode(x)
    from architecture import sample_latent
    z = sample_latent(mean, mean, tf.constant([5, 0], tf.int64))
    per_image = reconstruction_loss(x, model.decode(z)).numpy().astype(np.float64)
    per_batch = per_image.reshape(10, 32).mean(axis=1)
    assert out["reconstruction"] == pytest.approx(per_image.mean(), rel=1e-6)
    assert out["reconstruction_se"] == pytest.approx(per_batch.std(ddof=1) / np.sqrt(10),
                                                     rel=1e-6)
    assert out["images"] == 320


def test_settled_from_is_the_first_step_every_later_score_stays_near():
    def rows(scores, n=1000):
        return [{"step": 1000 * (i + 1), "beta_vae": s, "num_eval": n}
                for i, s in enumerate(scores)]
    # two standard errors at 0.8 on 1000 points: 0.0253
    assert analysis.settled_from(rows([0.5, 0.8, 0.81, 0.78, 0.79])) == 2000
    assert analysis.settled_from(rows([0.5, 0.8, 0.81, 0.70])) is None  # still moving
    assert analysis.settled_from(rows([0.8])) is None  # one stage says nothing
    # fewer evaluation points, wider margin: the same drift counts as settled
    assert analysis.settled_from(rows([0.5, 0.8, 0.81, 0.74], n=100)) == 2000


def test_latent_kl_sums_to_the_kl_term():
    from architecture import build_model, kl_divergence
    model = build_model("conv", 5)
    x = tf.random.uniform([16, 32, 32, 1], seed=1)
    per_latent = analysis.latent_kl(model, x)
    assert per_latent.shape == (5,) and np.all(per_latent >= 0)
    mean, log_var = model.encode(x)
    assert per_latent.sum() == pytest.approx(float(tf.reduce_mean(kl_divergence(mean, log_var))),
                                             rel=1e-5)
