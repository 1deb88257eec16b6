"""The 2D-shapes renderer against computations of its own: areas, symmetries, the
position grid and margins, binary pixels, and every combination inside the frame."""

import itertools
import math

import numpy as np
import pytest

from betavae import shapes

SQUARE, ELLIPSE, HEART = range(3)


def _draw(shape, scale=1.0, angle=0.0, cx=32.0, cy=32.0):
    """Images [n, 64, 64] of n shapes with the given (broadcast) values."""
    values = np.broadcast_arrays(shape, scale, angle, cx, cy)
    return shapes.render_values(*[np.atleast_1d(v) for v in values]).numpy()[..., 0]


# Measured from dsprites.gif (the dSprites repository's animation, 320 frames of 64x64, one
# factor varied at a time), a pixel white when its grey level is above 127.
# Each shape at orientation 0 and position (0, 0), scales 0.5, 0.6, ..., 1.0:
# (pixels, (rows, columns) of its bounding box).
DSPRITES_AT_SCALES = {
    SQUARE: [(100, (10, 10)), (144, (12, 12)), (196, (14, 14)), (256, (16, 16)),
             (324, (18, 18)), (400, (20, 20))],
    ELLIPSE: [(76, (8, 12)), (104, (8, 16)), (144, (10, 18)), (184, (12, 20)),
              (228, (12, 22)), (288, (14, 26))],
    HEART: [(58, (9, 10)), (84, (11, 12)), (108, (13, 14)), (140, (14, 16)),
            (182, (15, 18)), (222, (17, 20))],
}
# Pixels at scale 1 over the frames in which the shape turns: (mean, least, most).
DSPRITES_TURNING = {SQUARE: (368.6, 364, 372), ELLIPSE: (289.2, 286, 294),
                    HEART: (225.0, 219, 232)}
# Where a square or an ellipse (centroid = centre) stands, in pixel coordinates (the left
# or top edge of the frame is 0), at positions 0 and 1: the heart moves its centroid by 32.0
# pixels between them, along x and along y, and at position (0, 0) the square's centroid is
# (16.0, 16.0).
DSPRITES_CENTRE = (16.0, 48.0)


def _bounding_box(image):
    rows, cols = np.nonzero(image)
    return rows.max() - rows.min() + 1, cols.max() - cols.min() + 1


@pytest.mark.parametrize("shape", [SQUARE, ELLIPSE, HEART])
def test_each_scale_draws_dsprites_size(shape):
    """Within a pixel of dSprites' extent and 5% of its area, at every scale."""
    images = shapes.render(np.array([[shape, s, 0, 0, 0] for s in range(6)])).numpy()[..., 0]
    for image, (area, box) in zip(images, DSPRITES_AT_SCALES[shape]):
        assert image.sum() == pytest.approx(area, rel=0.05), shapes.SHAPES[shape]
        assert np.abs(np.subtract(_bounding_box(image), box)).max() <= 1, shapes.SHAPES[shape]


def test_turned_shapes_keep_dsprites_area_and_the_shapes_differ_in_ink():
    turning = {}
    for shape, (mean, least, most) in DSPRITES_TURNING.items():
        # the frames between the first and the last orientation (both axis-aligned)
        images = shapes.render(np.array([[shape, 5, o, 0, 0] for o in range(1, 39)])).numpy()
        areas = images.sum(axis=(1, 2, 3))
        assert areas.mean() == pytest.approx(mean, rel=0.05), shapes.SHAPES[shape]
        assert least * 0.95 <= areas.min() and areas.max() <= most * 1.05, shapes.SHAPES[shape]
        turning[shape] = areas.mean()
    # as in dSprites: the square has the most ink, the heart the least (1.6-1.8x apart)
    assert turning[SQUARE] > 1.2 * turning[ELLIPSE] > 1.2 * 1.1 * turning[HEART]


def test_areas_follow_the_square_of_the_scale():
    angles = np.linspace(0, 2 * np.pi, 24, endpoint=False)
    # off-grid centres, so pixel rounding averages out
    cx, cy = 32 + 0.37 * np.arange(24) % 1, 30 + 0.61 * np.arange(24) % 1
    for shape in (SQUARE, ELLIPSE, HEART):
        small, large = (_draw(shape, s, angles, cx, cy).sum(axis=(1, 2)).mean()
                        for s in (0.5, 1.0))
        assert large / small == pytest.approx(4.0, rel=0.04), shapes.SHAPES[shape]
    square = _draw(SQUARE, 1.0, angles, cx, cy).sum(axis=(1, 2)).mean()
    assert square == pytest.approx(shapes.SQUARE_SIDE**2, rel=0.02)
    ellipse = _draw(ELLIPSE, 1.0, angles, cx, cy).sum(axis=(1, 2)).mean()
    assert ellipse == pytest.approx(math.pi * np.prod(shapes.ELLIPSE_AXES), rel=0.02)


def test_rotation_periods_square_90_ellipse_180_heart_360():
    angles = np.array([0.3, 1.1, 2.0])
    periods = {SQUARE: math.pi / 2, ELLIPSE: math.pi, HEART: 2 * math.pi}
    for shape, period in periods.items():
        base = _draw(shape, 1.0, angles)
        turned = _draw(shape, 1.0, angles + period)
        # the same image, but for a pixel or two whose centre is on the outline
        assert np.abs(base - turned).sum(axis=(1, 2)).max() <= 2, shapes.SHAPES[shape]
        for shorter in (period / 2, period / 4):
            other = _draw(shape, 1.0, angles + shorter)
            assert np.abs(base - other).sum(axis=(1, 2)).min() > 10, (shapes.SHAPES[shape],
                                                                      shorter)
    # the first and last of the 40 orientations are the same angle
    first, last = (shapes.render(np.array([[s, 5, i, 10, 20] for s in range(3)])).numpy()
                   for i in (0, 39))
    assert np.abs(first - last).sum() <= 2


def test_positions_move_the_centre_along_columns_and_rows_as_dsprites_do():
    low, high = DSPRITES_CENTRE
    rows, cols = np.mgrid[0:64, 0:64] + 0.5
    for x, y in [(0, 0), (31, 0), (0, 31), (31, 31), (7, 20)]:
        for shape in (SQUARE, ELLIPSE):  # centrally symmetric: centroid = centre
            image = shapes.render(np.array([[shape, 5, 3, x, y]])).numpy()[0, ..., 0]
            assert (image * cols).sum() / image.sum() == pytest.approx(
                low + (high - low) * x / 31, abs=0.15)  # a grid step: 1.03 px
            assert (image * rows).sum() / image.sum() == pytest.approx(
                low + (high - low) * y / 31, abs=0.15)


def test_pixels_are_binary_and_every_combination_is_inside_the_frame():
    # The corners of the position grid are the nearest any shape comes to an edge:
    # every shape, scale and orientation there, and a random sample of all combinations.
    corners = [list(c) for c in itertools.product(range(3), range(6), range(40),
                                                  (0, 31), (0, 31))]
    rng = np.random.default_rng(0)
    sample = np.stack([rng.integers(n, size=2000) for n in shapes.FACTOR_SIZES], axis=1)
    for indices in (np.array(corners), sample):
        images = shapes.render_compiled(indices).numpy()[..., 0]
        assert set(np.unique(images)) == {0.0, 1.0}
        assert images.sum(axis=(1, 2)).min() > 0  # nothing vanishes
        border = np.concatenate([images[:, 0], images[:, -1], images[:, :, 0],
                                 images[:, :, -1]], axis=1)
        assert border.max() == 0  # nothing touches the frame


def test_sampled_factors_are_uniform_and_seeded():
    a = shapes.sample_factors(20000, seed=[1, 2]).numpy()
    b = shapes.sample_factors(20000, seed=[1, 2]).numpy()
    np.testing.assert_array_equal(a, b)
    for column, n in enumerate(shapes.FACTOR_SIZES):
        counts = np.bincount(a[:, column], minlength=n)
        assert len(counts) == n and counts.min() > 0.7 * 20000 / n
