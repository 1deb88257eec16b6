"""The three models against the original's layer table, independently of architecture.py.

The table below is the original's (layer_def.py and architecture.py of the 2016 code):
every hidden layer ELU, "SAME" padding, conv/deconv weights truncated normal with stddev
0.01 and bias 0.01, fully connected weights truncated normal with stddev weight_init and
bias weight_init. A numpy forward pass written from the table, fed the model's own
weights, must reproduce the model's mean, log-variance and logits; and each layer's
initial weights must have the table's statistics.
"""

import numpy as np
import pytest
import tensorflow as tf

from architecture import build_model

CONV_INIT = 0.01
# (kind, kernel, stride, outputs, activation); "2h" is twice the latent channels.
TABLE = {
    "fully_connected": {
        "encoder": [("flatten",), ("fc", 1200, "elu"), ("fc", 1200, "elu"), ("fc", "2h", None)],
        "decoder": [("fc", 1200, "elu"), ("fc", 1200, "elu"), ("fc", 1200, "elu"),
                    ("fc", 1024, None), ("reshape", (32, 32, 1))],
        "latent": lambda h: (h,),
    },
    "conv": {
        "encoder": [("conv", 3, 2, 8, "elu"), ("conv", 3, 1, 8, "elu"), ("conv", 3, 2, 8, "elu"),
                    ("conv", 1, 1, 4, "elu"), ("flatten",), ("fc", 128, "elu"),
                    ("fc", "2h", None)],
        "decoder": [("fc", 128, "elu"), ("fc", 256, "elu"), ("reshape", (8, 8, 4)),
                    ("deconv", 1, 1, 8, "elu"), ("deconv", 3, 2, 8, "elu"),
                    ("deconv", 3, 1, 8, "elu"), ("deconv", 3, 2, 1, None)],
        "latent": lambda h: (h,),
    },
    "all_conv": {
        "encoder": [("conv", 3, 2, 8, "elu"), ("conv", 3, 1, 8, "elu"), ("conv", 3, 2, 16, "elu"),
                    ("conv", 3, 1, 8, "elu"), ("conv", 3, 1, 8, "elu"),
                    ("conv", 3, 2, "2h", None)],
        "decoder": [("deconv", 3, 2, 8, "elu"), ("deconv", 3, 1, 8, "elu"),
                    ("deconv", 3, 1, 16, "elu"), ("deconv", 3, 2, 8, "elu"),
                    ("deconv", 3, 1, 8, "elu"), ("deconv", 3, 2, 1, None)],
        "latent": lambda h: (4, 4, h),
    },
    # Burgess et al.'s network for 64x64 shapes, as disentangling-vae builds it: 4x4
    # kernels, stride 2, padding 1 (SAME here), ReLU.
    "burgess": {
        "encoder": [("conv", 4, 2, 32, "relu")] * 4 + [
            ("flatten",), ("fc", 256, "relu"), ("fc", 256, "relu"), ("fc", "2h", None)],
        "decoder": [("fc", 256, "relu"), ("fc", 256, "relu"), ("fc", 512, "relu"),
                    ("reshape", (4, 4, 32))] + [("deconv", 4, 2, 32, "relu")] * 3 + [
            ("deconv", 4, 2, 1, None)],
        "latent": lambda h: (h,),
        "image_size": 64,
    },
}


def elu(x):
    return np.where(x > 0, x, np.expm1(np.minimum(x, 0)))


def _same_padding(size, k, s):
    total = max((-(-size // s) - 1) * s + k - size, 0)
    return total // 2, total - total // 2


def conv2d(x, w, s):
    """SAME convolution: x [B, H, W, C], w [k, k, C, O]."""
    k = w.shape[0]
    (top, bottom), (left, right) = (_same_padding(x.shape[1], k, s),
                                    _same_padding(x.shape[2], k, s))
    xp = np.pad(x, ((0, 0), (top, bottom), (left, right), (0, 0)))
    h, wd = -(-x.shape[1] // s), -(-x.shape[2] // s)
    out = np.zeros((x.shape[0], h, wd, w.shape[3]))
    for m in range(k):
        for n in range(k):
            out += xp[:, m:m + (h - 1) * s + 1:s, n:n + (wd - 1) * s + 1:s, :] @ w[m, n]
    return out


def deconv2d(x, w, s):
    """SAME transposed convolution (the adjoint of conv2d with output size H * s):
    x [B, H, W, C], w [k, k, O, C]."""
    k = w.shape[0]
    b, h, wd, _ = x.shape
    full = np.zeros((b, (h - 1) * s + k, (wd - 1) * s + k, w.shape[2]))
    for m in range(k):
        for n in range(k):
            full[:, m:m + (h - 1) * s + 1:s, n:n + (wd - 1) * s + 1:s, :] += x @ w[m, n].T
    top, _ = _same_padding(h * s, k, s)
    left, _ = _same_padding(wd * s, k, s)
    return full[:, top:top + h * s, left:left + wd * s, :]


def weighted_layers(model):
    """(kernel, bias) of each layer with weights, encoder then decoder, in order."""
    found = []
    for part in (model.encoder, model.decoder):
        found += [tuple(v.numpy().astype(np.float64) for v in layer.weights)
                  for layer in part.layers if layer.weights]
    return found


def forward(layers, weights, x, h):
    """Runs x through the table's layers, taking (kernel, bias) pairs from weights."""
    for layer in layers:
        kind = layer[0]
        if kind == "flatten":
            x = x.reshape(len(x), -1)
            continue
        if kind == "reshape":
            x = x.reshape((len(x),) + layer[1])
            continue
        kernel, bias = next(weights)
        outputs, activation = layer[-2], layer[-1]
        outputs = 2 * h if outputs == "2h" else outputs
        if kind == "fc":
            assert kernel.shape == (x.shape[-1], outputs)
            x = x @ kernel + bias
        elif kind == "conv":
            assert kernel.shape == (layer[1], layer[1], x.shape[-1], outputs)
            x = conv2d(x, kernel, layer[2]) + bias
        else:
            assert kernel.shape == (layer[1], layer[1], outputs, x.shape[-1])
            x = deconv2d(x, kernel, layer[2]) + bias
        if activation == "elu":
            x = elu(x)
        elif activation == "relu":
            x = np.maximum(x, 0)
    return x


@pytest.mark.parametrize("name,h", [("fully_connected", 3), ("conv", 5), ("all_conv", 2),
                                    ("burgess", 4)])
def test_numpy_forward_pass_from_the_table_matches_the_model(name, h):
    size = TABLE[name].get("image_size", 32)
    model = build_model(name, h, weight_init=0.1, image_size=size)
    rng = np.random.default_rng(0)
    # Weights large enough that every nonlinearity matters (at init most are tiny).
    for part in (model.encoder, model.decoder):
        for layer in part.layers:
            if layer.weights:
                kernel, bias = layer.get_weights()
                fan_in = np.prod(kernel.shape[:-1]) if "transpose" not in layer.name else (
                    np.prod(kernel.shape[:2]) * kernel.shape[3])
                layer.set_weights([rng.normal(0, 1.5 / np.sqrt(fan_in), kernel.shape),
                                   rng.normal(0, 0.3, bias.shape)])
    images = rng.uniform(size=(4, size, size, 1)).astype(np.float32)
    mean, log_var = (t.numpy() for t in model.encode(images))
    z = rng.normal(size=mean.shape).astype(np.float32)
    logits = model.decode(z).numpy()

    weights = iter(weighted_layers(model))
    out = forward(TABLE[name]["encoder"], weights, images.astype(np.float64), h)
    channels = out.shape[-1] // 2  # mean is the first half of the last axis
    np.testing.assert_allclose(mean, out[..., :channels].reshape(4, -1), rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(log_var, out[..., channels:].reshape(4, -1), rtol=1e-4,
                               atol=1e-4)
    decoded = forward(TABLE[name]["decoder"],
                      weights, z.astype(np.float64).reshape((4,) + TABLE[name]["latent"](h)), h)
    assert next(weights, None) is None  # every weight used, none missing
    np.testing.assert_allclose(logits, decoded.reshape(logits.shape), rtol=1e-4, atol=1e-4)
    assert np.abs(logits).mean() > 0.1  # a forward pass that means something


def test_burgess_initial_weights_are_he_uniform_with_zero_biases():
    """disentangling-vae's init for its ReLU layers: Kaiming uniform, bound sqrt(6 / fan_in),
    where PyTorch's fan_in of a transposed conv is its outputs x kernel area, as Keras's
    (kernel [k, k, outputs, inputs]): every kernel's fan_in is its shape but the last."""
    tf.keras.utils.set_random_seed(2)
    layers = weighted_layers(build_model("burgess", 10, image_size=64))
    assert len(layers) == 14  # 4 convs, 3 fc | 3 fc, 4 transposed convs
    for kernel, bias in layers:
        bound = np.sqrt(6 / np.prod(kernel.shape[:-1]))
        assert np.abs(kernel).max() <= bound
        # a uniform on [-bound, bound] has stddev bound / sqrt(3)
        assert kernel.std() == pytest.approx(bound / np.sqrt(3), rel=0.1), kernel.shape
        assert not bias.any()


@pytest.mark.parametrize("name", ["fully_connected", "conv", "all_conv"])
def test_initial_weights_have_the_tables_statistics(name):
    weight_init = 0.05  # apart from the conv layers' 0.01, so a swap shows
    tf.keras.utils.set_random_seed(1)
    model = build_model(name, 8, weight_init=weight_init)
    kinds = [layer[0] for part in ("encoder", "decoder") for layer in TABLE[name][part]
             if layer[0] in ("fc", "conv", "deconv")]
    layers = weighted_layers(model)
    assert len(layers) == len(kinds)
    for kind, (kernel, bias) in zip(kinds, layers):
        stddev = weight_init if kind == "fc" else CONV_INIT
        # truncated at 2 stddev and redrawn: the samples' stddev is 0.8796 of it
        assert np.abs(kernel).max() <= 2 * stddev * (1 + 1e-6), kind
        tolerance = 4 * 0.88 * stddev / np.sqrt(2 * kernel.size)
        assert abs(kernel.std() - 0.8796 * stddev) < tolerance, (kind, kernel.shape)
        assert abs(kernel.mean()) < 4 * 0.88 * stddev / np.sqrt(kernel.size)
        np.testing.assert_allclose(bias, stddev, rtol=1e-6)
