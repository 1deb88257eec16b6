"""2D shapes with dSprites' factors, rendered with TF ops (so inside a compiled step).

dSprites (Matthey et al. 2017; the data of Higgins et al.'s 2D-shapes experiment) is
64x64 binary images of one white shape on black, with five factors, every combination
once (737280 images):

    shape        square, ellipse, heart
    scale        6 values, linspace(0.5, 1)
    orientation  40 values, linspace(0, 2 pi): both ends included, so the first and the
                 last angle draw the same image
    x, y         32 values each, linspace(0, 1)

Its images were drawn with a game framework (LOVE) whose heart outline and
position-to-pixel mapping were never published. This renderer has the same factor
structure and draws each shape at dSprites' sizes, as measured from the 320 frames of
`dsprites.gif` in the dataset's repository (one factor varied at a time; the measured
numbers are in tests/test_shapes.py):
- square: side 19.2 * scale pixels (10, 12, ..., 20 pixels a side when axis-aligned on
  the pixel grid, 364-372 pixels turned at scale 1);
- ellipse: semi-axes 12.75 and 7.21 pixels times the scale, the long one along x at
  orientation 0 (26x14 pixels, 286-294 of them, at scale 1);
- heart: two discs of radius 5.1 whose centres are 4.65 pixels either side of the
  shape's centre and 4.0 above it, joined by their tangents to a tip 8.9 below the
  centre; the lobes up at orientation 0 (20x17 pixels, 219-232 of them, at scale 1);
- x and y move the centre from 16 to 48 pixels (x along columns, y down the rows), as
  dSprites' shapes move;
- a pixel is white when its centre is inside the shape: binary, no anti-aliasing;
- orientation turns the shape counter-clockwise as seen on screen.
So, as in dSprites, the three shapes carry different amounts of ink at one scale (up to
1.8x), which gives even a model that draws blobs a reason to code the shape.
"""

import math

import numpy as np
import tensorflow as tf

IMAGE_SIZE = 64
SHAPES = ("square", "ellipse", "heart")
SCALES = np.linspace(0.5, 1.0, 6)
ORIENTATIONS = np.linspace(0.0, 2 * math.pi, 40)
POSITIONS = np.linspace(0.0, 1.0, 32)
FACTORS = ("shape", "scale", "orientation", "x", "y")
FACTOR_SIZES = (len(SHAPES), len(SCALES), len(ORIENTATIONS), len(POSITIONS), len(POSITIONS))
# Pixels, at scale 1 (measured from dsprites.gif; see the module's docstring).
SQUARE_SIDE = 19.2
ELLIPSE_AXES = (12.75, 7.21)  # semi-axes along the shape's own x and y
HEART_LOBE_RADIUS, HEART_LOBE_X, HEART_LOBE_Y, HEART_TIP = 5.1, 4.65, 4.0, 8.9
CENTRE_LOW, CENTRE_HIGH = 16.0, 48.0  # the centre's pixel coordinate at position 0 and 1


def _heart_tangent():
    """(x, y) of the point where the right lobe's outer tangent from the tip touches it,
    with the lobes' centres at y = 0 and the tip at (0, -(HEART_TIP + HEART_LOBE_Y))."""
    drop = HEART_TIP + HEART_LOBE_Y
    to_tip = math.atan2(-drop, -HEART_LOBE_X)
    angle = to_tip + math.acos(HEART_LOBE_RADIUS / math.hypot(HEART_LOBE_X, drop))
    return (HEART_LOBE_X + HEART_LOBE_RADIUS * math.cos(angle),
            HEART_LOBE_RADIUS * math.sin(angle))


HEART_TANGENT = _heart_tangent()


def factor_values(indices):
    """[B, 5] integer factor indices -> (shape [B] int, scale, angle, cx, cy [B] float32
    with the centre in pixels)."""
    indices = tf.cast(indices, tf.int32)
    shape, scale, angle, x, y = tf.unstack(indices, axis=-1)
    span = CENTRE_HIGH - CENTRE_LOW
    scale = tf.gather(tf.constant(SCALES, tf.float32), scale)
    angle = tf.gather(tf.constant(ORIENTATIONS, tf.float32), angle)
    cx = CENTRE_LOW + span * tf.gather(tf.constant(POSITIONS, tf.float32), x)
    cy = CENTRE_LOW + span * tf.gather(tf.constant(POSITIONS, tf.float32), y)
    return shape, scale, angle, cx, cy


def render(indices):
    """[B, 5] factor indices (shape, scale, orientation, x, y) -> [B, 64, 64, 1] float32
    images of 0s and 1s."""
    return render_values(*factor_values(indices))


def render_values(shape, scale, angle, cx, cy):
    """Images [B, 64, 64, 1] of shapes [B] (0 square, 1 ellipse, 2 heart) of any scale,
    angle (radians) and centre (pixels), as factor_values gives them."""
    shape = tf.convert_to_tensor(shape, tf.int32)
    scale, angle, cx, cy = (tf.convert_to_tensor(v, tf.float32)
                            for v in (scale, angle, cx, cy))
    centres = tf.range(IMAGE_SIZE, dtype=tf.float32) + 0.5
    col = centres[None, None, :] - cx[:, None, None]  # [B, 1, 64]
    row = centres[None, :, None] - cy[:, None, None]  # [B, 64, 1]
    size = scale[:, None, None]
    cos, sin = tf.cos(angle)[:, None, None], tf.sin(angle)[:, None, None]
    # Turn the pixel back by the shape's angle, counter-clockwise on screen (rows grow
    # downwards, so "up" is -row), into the shape's own frame, in pixels at scale 1.
    u = (cos * col - sin * row) / size
    v = (-sin * col - cos * row) / size  # up is +v
    square = tf.maximum(tf.abs(u), tf.abs(v)) <= SQUARE_SIDE / 2
    ellipse = (u / ELLIPSE_AXES[0]) ** 2 + (v / ELLIPSE_AXES[1]) ** 2 <= 1
    heart = _heart(tf.abs(u), v - HEART_LOBE_Y)
    which = shape[:, None, None]
    inside = tf.where(which == 0, square, tf.where(which == 1, ellipse, heart))
    return tf.cast(inside, tf.float32)[..., None]


def _heart(x, y):
    """Inside the heart, for |x| and y in the lobes' frame (their centres at y = 0): in
    a lobe, or below the lobes' centres inside the tangents from the tip."""
    lobe = (x - HEART_LOBE_X) ** 2 + y**2 <= HEART_LOBE_RADIUS**2
    drop = HEART_TIP + HEART_LOBE_Y
    touch_x, touch_y = HEART_TANGENT
    width = tf.minimum(touch_x, (y + drop) * touch_x / (drop + touch_y))
    return lobe | ((y <= 0) & (y >= -drop) & (x <= width))


# For evaluation outside the training step: measured on 2 cores, XLA renders 4096 images
# in 0.1 s, eager TF in 4.6 s. One compilation per batch size.
render_compiled = tf.function(render, jit_compile=True, reduce_retracing=True, autograph=False)


def _seed(seed):
    return tf.convert_to_tensor(seed if seed is not None else np.random.randint(2**31, size=2),
                                tf.int64)


def sample_factors(batch_size, seed=None):
    """[batch_size, 5] factor indices, each factor uniform over its values (stateless)."""
    seeds = tf.random.experimental.stateless_split(_seed(seed), len(FACTOR_SIZES))
    return tf.stack([tf.random.stateless_uniform([batch_size], seeds[i], 0, n, tf.int32)
                     for i, n in enumerate(FACTOR_SIZES)], axis=1)


def sample_batch(batch_size, seed=None):
    """(images [B, 64, 64, 1], factor indices [B, 5]) for one training batch."""
    indices = sample_factors(batch_size, seed)
    return render(indices), indices
