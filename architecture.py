"""The original's three encoder/decoder pairs and the beta-VAE loss.

Every script builds its model through `build_model`, so training, the figure scripts, the
metrics and the benchmark share one definition. A model maps images [B, 32, 32, 1] to a
flat latent [B, num_latents] and back to logits [B, 32, 32, 1].
"""

import numpy as np
import tensorflow as tf
from tensorflow import keras

from data import IMAGE_SIZE

CONV_STDDEV = 0.01  # the original's conv/deconv weight stddev and bias
ACTIVE_STDDEV = 0.5  # a latent whose average posterior stddev is below this is "active"


def _dense(units, weight_init, activation="elu"):
    return keras.layers.Dense(
        units, activation=activation,
        kernel_initializer=keras.initializers.TruncatedNormal(stddev=weight_init),
        bias_initializer=keras.initializers.Constant(weight_init))


def _conv(filters, kernel, stride, activation="elu", transpose=False):
    layer = keras.layers.Conv2DTranspose if transpose else keras.layers.Conv2D
    return layer(
        filters, kernel, strides=stride, padding="same", activation=activation,
        kernel_initializer=keras.initializers.TruncatedNormal(stddev=CONV_STDDEV),
        bias_initializer=keras.initializers.Constant(CONV_STDDEV))


def _deconv(filters, kernel, stride, activation="elu"):
    return _conv(filters, kernel, stride, activation, transpose=True)


class VAE(tf.Module):
    """An encoder whose output holds mean and log-variance halves, and a decoder to logits.

    `split_axis` is the axis of the encoder output that holds [mean, log_var]; both halves
    are flattened to [B, num_latents], and `decode` reshapes z to `latent_shape` first.
    """

    def __init__(self, name, encoder_layers, decoder_layers, latent_shape,
                 image_size=IMAGE_SIZE):
        super().__init__(name=name)
        self.image_size = image_size
        self.latent_shape = tuple(latent_shape)
        self.num_latents = 1
        for d in self.latent_shape:
            self.num_latents *= d
        self.encoder = keras.Sequential(
            [keras.Input((image_size, image_size, 1))] + encoder_layers, name="encoder")
        self.decoder = keras.Sequential(
            [keras.Input(self.latent_shape)] + decoder_layers, name="decoder")

    def encode(self, images, training=False):
        """images [B, size, size, 1] -> (mean, log_var), each [B, num_latents]."""
        # float32 whatever the layers compute in (tools/benchmark.py times a bfloat16 policy)
        out = tf.cast(self.encoder(images, training=training), tf.float32)
        mean, log_var = tf.split(out, 2, axis=-1)
        return (tf.reshape(mean, [-1, self.num_latents]),
                tf.reshape(log_var, [-1, self.num_latents]))

    def decode(self, z):
        """z [B, num_latents] -> logits [B, size, size, 1]."""
        logits = tf.cast(self.decoder(tf.reshape(z, (-1,) + self.latent_shape)), tf.float32)
        return tf.reshape(logits, [-1, self.image_size, self.image_size, 1])

    @property
    def variables(self):
        return self.encoder.variables + self.decoder.variables

    @property
    def trainable_variables(self):
        return self.encoder.trainable_variables + self.decoder.trainable_variables

    def count_params(self):
        return self.encoder.count_params() + self.decoder.count_params()


def fully_connected(hidden_size, weight_init, keep_prob):
    """1024 -> 1200 -> 1200 -> 2h | h -> 1200 -> 1200 -> 1200 -> 1024."""
    del keep_prob  # the original's FC model has no dropout
    encoder = [keras.layers.Flatten(), _dense(1200, weight_init), _dense(1200, weight_init),
               _dense(2 * hidden_size, weight_init, activation=None)]
    decoder = [_dense(1200, weight_init), _dense(1200, weight_init), _dense(1200, weight_init),
               _dense(IMAGE_SIZE * IMAGE_SIZE, weight_init, activation=None)]
    return VAE("fully_connected", encoder, decoder, [hidden_size])


def conv(hidden_size, weight_init, keep_prob):
    """Three 3x3 convs and a 1x1 to 8x8x4, fc 128, dropout, fc 2h; mirrored decoder."""
    encoder = [_conv(8, 3, 2), _conv(8, 3, 1), _conv(8, 3, 2), _conv(4, 1, 1),
               keras.layers.Flatten(), _dense(128, weight_init)]
    if keep_prob < 1.0:
        encoder.append(keras.layers.Dropout(1.0 - keep_prob))
    encoder.append(_dense(2 * hidden_size, weight_init, activation=None))
    decoder = [_dense(128, weight_init), _dense(256, weight_init),
               keras.layers.Reshape((8, 8, 4)),
               _deconv(8, 1, 1), _deconv(8, 3, 2), _deconv(8, 3, 1),
               _deconv(1, 3, 2, activation=None)]
    return VAE("conv", encoder, decoder, [hidden_size])


def all_conv(hidden_size, weight_init, keep_prob):
    """Convolutions only, down to a 4x4 map of h latents; transposed convs back up."""
    del weight_init, keep_prob  # no fc layers, no dropout
    encoder = [_conv(8, 3, 2), _conv(8, 3, 1), _conv(16, 3, 2), _conv(8, 3, 1),
               _conv(8, 3, 1), _conv(2 * hidden_size, 3, 2, activation=None)]
    decoder = [_deconv(8, 3, 2), _deconv(8, 3, 1), _deconv(16, 3, 1), _deconv(8, 3, 2),
               _deconv(8, 3, 1), _deconv(1, 3, 2, activation=None)]
    return VAE("all_conv", encoder, decoder, [4, 4, hidden_size])


def paper_fc(hidden_size, weight_init, keep_prob, image_size=64):
    """Higgins et al.'s 2D-shapes network, as third-party code reads its appendix:
    4096 -> 1200 -> 1200 (ReLU) -> 2h | h -> 1200 -> 1200 -> 1200 (tanh) -> 4096 logits.
    The paper gives no initialisation: Keras's defaults (Glorot uniform, zero biases)."""
    del weight_init, keep_prob
    pixels = image_size * image_size
    encoder = [keras.layers.Flatten(), keras.layers.Dense(1200, activation="relu"),
               keras.layers.Dense(1200, activation="relu"), keras.layers.Dense(2 * hidden_size)]
    decoder = [keras.layers.Dense(1200, activation="tanh"),
               keras.layers.Dense(1200, activation="tanh"),
               keras.layers.Dense(1200, activation="tanh"), keras.layers.Dense(pixels)]
    return VAE("paper_fc", encoder, decoder, [hidden_size], image_size)


def burgess(hidden_size, weight_init, keep_prob, image_size=64):
    """Burgess et al.'s (2018) conv network, as disentangling-vae builds it ("Burgess")
    for 64x64 images: four 4x4 stride-2 convs of 32 channels (64 -> 4x4x32), fc 256,
    fc 256 (ReLU), fc 2h | fc 256, fc 256, fc 512 (ReLU), 4x4x32, four 4x4 stride-2
    transposed convs (32, 32, 32 with ReLU, then 1) to logits. Weights He uniform
    (disentangling-vae's Kaiming init for ReLU layers), biases 0."""
    del weight_init, keep_prob
    if image_size != 64:
        raise ValueError(f"burgess is built for 64x64 images, not {image_size}x{image_size}")

    def layer(kind, units, activation="relu"):
        if kind == "fc":
            return keras.layers.Dense(units, activation=activation,
                                      kernel_initializer="he_uniform")
        make = keras.layers.Conv2D if kind == "conv" else keras.layers.Conv2DTranspose
        return make(units, 4, strides=2, padding="same", activation=activation,
                    kernel_initializer="he_uniform")

    encoder = [layer("conv", 32) for _ in range(4)] + [
        keras.layers.Flatten(), layer("fc", 256), layer("fc", 256),
        layer("fc", 2 * hidden_size, activation=None)]
    decoder = [layer("fc", 256), layer("fc", 256), layer("fc", 512),
               keras.layers.Reshape((4, 4, 32))] + [
        layer("deconv", 32) for _ in range(3)] + [layer("deconv", 1, activation=None)]
    return VAE("burgess", encoder, decoder, [hidden_size], image_size)


MODELS = {"fully_connected": fully_connected, "conv": conv, "all_conv": all_conv,
          "paper_fc": paper_fc, "burgess": burgess}
SHAPES_MODELS = ("paper_fc", "burgess")  # built for any image size (the shapes' 64x64)


def build_model(model, hidden_size, weight_init=0.1, keep_prob=1.0, image_size=IMAGE_SIZE):
    """The registry's builder for `model`, called with the run's settings; image_size is
    the dataset's (the ball models are built for 32x32 only)."""
    if model not in MODELS:
        raise ValueError(f"unknown model {model!r}; choose one of {sorted(MODELS)}")
    if model in SHAPES_MODELS:
        return MODELS[model](hidden_size, weight_init, keep_prob, image_size)
    if image_size != IMAGE_SIZE:
        raise ValueError(f"{model} is built for {IMAGE_SIZE}x{IMAGE_SIZE} images, not "
                         f"{image_size}x{image_size}")
    return MODELS[model](hidden_size, weight_init, keep_prob)


def kl_divergence(mean, log_var):
    """KL(N(mean, exp(log_var)) || N(0, 1)) per example, summed over latents: [B]."""
    return 0.5 * tf.reduce_sum(tf.square(mean) + tf.exp(log_var) - log_var - 1.0, axis=-1)


def reconstruction_loss(images, logits):
    """Bernoulli cross-entropy of the images under sigmoid(logits), summed over pixels: [B]."""
    xent = tf.nn.sigmoid_cross_entropy_with_logits(labels=images, logits=logits)
    return tf.reduce_sum(tf.reshape(xent, [tf.shape(images)[0], -1]), axis=-1)


def active_latents(stddev):
    """How many latents of an average posterior stddev vector [k] are in use."""
    return int(np.sum(np.asarray(stddev) < ACTIVE_STDDEV))


def sample_latent(mean, log_var, seed):
    """Reparameterised z = mean + exp(log_var / 2) * eps, eps from a stateless seed."""
    eps = tf.random.stateless_normal(tf.shape(mean), seed)
    return mean + tf.exp(0.5 * log_var) * eps


def vae_loss(model, images, beta, seed, training=True, capacity=None):
    """The original's objective, summed over the batch, and its per-image parts.

    Returns (loss, reconstruction [B], kl [B], stddev [B, num_latents]); loss is
    sum(reconstruction) + beta * sum(kl). With a capacity C (nats per image) it is the
    capacity-annealed objective of Burgess et al. (2018) with gamma = beta, summed over
    the batch as the original sums: sum(reconstruction) + beta * |sum(kl) - B * C|,
    which is B times disentanglement_lib's AnnealedVAE loss on batch means.
    """
    mean, log_var = model.encode(images, training=training)
    z = sample_latent(mean, log_var, seed)
    logits = model.decode(z)
    recon = reconstruction_loss(images, logits)
    kl = kl_divergence(mean, log_var)
    if capacity is None:
        penalty = tf.reduce_sum(kl)
    else:
        penalty = tf.abs(tf.reduce_sum(kl) - tf.cast(tf.shape(kl)[0], tf.float32) * capacity)
    loss = tf.reduce_sum(recon) + beta * penalty
    return loss, recon, kl, tf.exp(0.5 * log_var)
