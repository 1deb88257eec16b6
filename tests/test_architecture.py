import numpy as np
import pytest
import tensorflow as tf

from architecture import (MODELS, build_model, kl_divergence, reconstruction_loss,
                          vae_loss)


def dense(n_in, n_out):
    return n_in * n_out + n_out


def conv(k, c_in, c_out):
    return k * k * c_in * c_out + c_out


def expected_params(model, h):
    """Parameter counts from the original's layer table (TABLE in test_layer_table.py),
    computed independently."""
    if model == "fully_connected":
        enc = dense(1024, 1200) + dense(1200, 1200) + dense(1200, 2 * h)
        dec = dense(h, 1200) + 2 * dense(1200, 1200) + dense(1200, 1024)
    elif model == "conv":
        enc = (conv(3, 1, 8) + conv(3, 8, 8) + conv(3, 8, 8) + conv(1, 8, 4)
               + dense(256, 128) + dense(128, 2 * h))
        dec = (dense(h, 128) + dense(128, 256) + conv(1, 4, 8) + conv(3, 8, 8)
               + conv(3, 8, 8) + conv(3, 8, 1))
    else:
        enc = (conv(3, 1, 8) + conv(3, 8, 8) + conv(3, 8, 16) + conv(3, 16, 8)
               + conv(3, 8, 8) + conv(3, 8, 2 * h))
        dec = (conv(3, h, 8) + conv(3, 8, 8) + conv(3, 8, 16) + conv(3, 16, 8)
               + conv(3, 8, 8) + conv(3, 8, 1))
    return enc + dec


@pytest.mark.parametrize("model,h,latents", [
    ("fully_connected", 10, 10), ("conv", 32, 32), ("all_conv", 1, 16), ("all_conv", 2, 32)])
def test_shapes_latents_and_parameters(model, h, latents):
    m = build_model(model, h, weight_init=0.01)
    images = tf.random.uniform([3, 32, 32, 1])
    mean, log_var = m.encode(images)
    assert mean.shape == (3, latents) and log_var.shape == (3, latents)
    assert m.num_latents == latents
    assert m.decode(mean).shape == (3, 32, 32, 1)
    assert m.count_params() == expected_params(model, h)


def test_registry_has_the_three_models_and_refuses_others():
    # the original's three, and two for the 2D shapes: the paper's and Burgess et al.'s
    assert set(MODELS) == {"fully_connected", "conv", "all_conv", "paper_fc", "burgess"}
    with pytest.raises(ValueError, match="unknown model"):
        build_model("resnet", 10)


def test_fully_connected_init_follows_weight_init():
    m = build_model("fully_connected", 10, weight_init=0.01)
    kernel, bias = m.encoder.layers[1].kernel.numpy(), m.encoder.layers[1].bias.numpy()
    assert np.all(bias == pytest.approx(0.01))
    assert np.abs(kernel).max() <= 0.02 + 1e-6  # truncated at two stddevs
    assert 0.007 < kernel.std() < 0.01


def test_conv_dropout_only_when_keep_prob_below_one():
    with_dropout = build_model("conv", 8, keep_prob=0.5)
    without = build_model("conv", 8, keep_prob=1.0)
    names = lambda m: [type(layer).__name__ for layer in m.encoder.layers]
    assert "Dropout" in names(with_dropout) and "Dropout" not in names(without)
    x = tf.random.uniform([4, 32, 32, 1])
    np.testing.assert_allclose(with_dropout.encode(x)[0], with_dropout.encode(x)[0])


def test_kl_closed_form_known_values():
    mean = tf.constant([[1.0, 0.0], [0.0, 2.0]])
    log_var = tf.constant([[0.0, np.log(4.0)], [np.log(0.25), 0.0]], tf.float32)
    # 0.5 * (mu^2 + sigma^2 - 2 log sigma - 1) per latent
    expected = [0.5 * (1 + 1 - 0 - 1) + 0.5 * (0 + 4 - np.log(4) - 1),
                0.5 * (0 + 0.25 - np.log(0.25) - 1) + 0.5 * (4 + 1 - 0 - 1)]
    np.testing.assert_allclose(kl_divergence(mean, log_var), expected, rtol=1e-6)
    assert float(tf.reduce_max(tf.abs(kl_divergence(tf.zeros([1, 5]), tf.zeros([1, 5]))))) == 0


def test_cross_entropy_equals_original_on_soft_targets():
    rng = np.random.default_rng(0)
    x = rng.uniform(0, 1, size=(4, 32, 32, 1)).astype(np.float32)
    logits = rng.normal(0, 3, size=(4, 32, 32, 1)).astype(np.float32)
    p = 1 / (1 + np.exp(-logits.astype(np.float64)))
    original = np.sum(-x * np.log(p) - (1 - x) * np.log(1 - p), axis=(1, 2, 3))
    np.testing.assert_allclose(reconstruction_loss(x, logits), original, rtol=1e-5)


def test_loss_is_sum_over_batch_with_beta_on_kl():
    m = build_model("conv", 4)
    images = tf.random.uniform([5, 32, 32, 1])
    seed = tf.constant([1, 2], tf.int64)
    loss0, recon0, kl0, _ = vae_loss(m, images, 0.0, seed)
    loss2, recon2, kl2, stddev = vae_loss(m, images, 2.0, seed)
    np.testing.assert_allclose(loss0, np.sum(recon0), rtol=1e-6)
    np.testing.assert_allclose(loss2, np.sum(recon2) + 2.0 * np.sum(kl2), rtol=1e-6)
    assert stddev.shape == (5, 4) and np.all(stddev.numpy() > 0)


@pytest.mark.parametrize("capacity", [0.0, 3.0, 1e4])
def test_annealed_loss_against_numpy(capacity):
    """reconstruction + gamma * |KL - C|, summed over the batch, computed again in numpy
    from the model's own posterior and decoder (C below and above the batch's KL)."""
    m = build_model("conv", 4)
    images = tf.random.uniform([6, 32, 32, 1], seed=3)
    seed = tf.constant([4, 5], tf.int64)
    loss, recon, kl, _ = vae_loss(m, images, 7.0, seed, capacity=capacity)
    mean, log_var = (t.numpy().astype(np.float64) for t in m.encode(images))
    eps = tf.random.stateless_normal(mean.shape, seed).numpy()
    logits = m.decode(tf.constant(mean + np.exp(0.5 * log_var) * eps, tf.float32)).numpy()
    x = images.numpy().astype(np.float64)
    p = 1 / (1 + np.exp(-logits.astype(np.float64)))
    want_recon = np.sum(-x * np.log(p) - (1 - x) * np.log(1 - p), axis=(1, 2, 3))
    want_kl = 0.5 * np.sum(mean**2 + np.exp(log_var) - log_var - 1, axis=1)
    np.testing.assert_allclose(recon, want_recon, rtol=1e-4)
    np.testing.assert_allclose(kl, want_kl, rtol=1e-4, atol=1e-4)
    want = want_recon.sum() + 7.0 * abs(want_kl.sum() - 6 * capacity)
    np.testing.assert_allclose(loss, want, rtol=1e-4)


def test_a_bfloat16_policy_computes_in_bfloat16_and_returns_float32():
    # tools/benchmark.py times the 2D-shapes step under mixed_bfloat16: the layers must compute
    # in bfloat16 (else it times float32 again) and the model hand float32 to the loss
    keras = tf.keras
    keras.mixed_precision.set_global_policy("mixed_bfloat16")
    try:
        m = build_model("conv", 4, weight_init=0.01)
    finally:
        keras.mixed_precision.set_global_policy("float32")
    assert m.encoder.layers[0].compute_dtype == "bfloat16"
    assert all(v.dtype == tf.float32 for v in m.trainable_variables)
    images = tf.random.uniform([2, 32, 32, 1])
    mean, log_var = m.encode(images)
    logits = m.decode(mean)
    assert mean.dtype == log_var.dtype == logits.dtype == tf.float32
    reference = build_model("conv", 4, weight_init=0.01)  # float32 again after the reset
    assert reference.encoder.layers[0].compute_dtype == "float32"
