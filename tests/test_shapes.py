"""The 2D-shapes renderer against computations of its own: areas, symmetries, the
position grid and margins, binary pixels, and every combination inside the frame."""

import functools
import itertools
import math

import numpy as np
import pytest

import shapes

SQUARE, ELLIPSE, HEART = range(3)


def _draw(shape, scale=1.0, angle=0.0, cx=32.0, cy=32.0):
    """Images [n, 64, 64] of n shapes with the given (broadcast) values."""
    values = np.broadcast_arrays(shape, scale, angle, cx, cy)
    return shapes.render_values(*[np.atleast_1d(v) for v in values]).numpy()[..., 0]


@functools.lru_cache()
def _heart_area(n=2000):
    """The area of (x^2 + y^2 - 1)^3 <= x^2 y^3, on an n x n grid over its bounding box."""
    x, y = np.meshgrid(np.linspace(-1.5, 1.5, n), np.linspace(-1.5, 1.5, n))
    inside = (x**2 + y**2 - 1) ** 3 - x**2 * y**3 <= 0
    return inside.mean() * 9.0


def test_the_factors_are_dsprites():
    assert shapes.FACTOR_SIZES == (3, 6, 40, 32, 32)
    assert np.prod(shapes.FACTOR_SIZES) == 737280
    np.testing.assert_allclose(shapes.SCALES, [0.5, 0.6, 0.7, 0.8, 0.9, 1.0])
    assert shapes.ORIENTATIONS[0] == 0 and shapes.ORIENTATIONS[-1] == pytest.approx(2 * np.pi)
    assert shapes.POSITIONS[0] == 0 and shapes.POSITIONS[-1] == 1


@pytest.mark.parametrize("scale", [0.5, 1.0])
def test_areas_follow_each_outline_and_the_square_of_the_scale(scale):
    angles = np.linspace(0, 2 * np.pi, 24, endpoint=False)
    # off-grid centres, so pixel rounding averages out
    cx, cy = 32 + 0.37 * np.arange(24) % 1, 30 + 0.61 * np.arange(24) % 1
    size = shapes.RADIUS * scale
    want = {SQUARE: 2 * size**2,  # a square inscribed in the disk: side sqrt(2) * radius
            ELLIPSE: math.pi * size * size / 2,
            HEART: _heart_area() * (size * shapes.HEART_SCALE) ** 2}
    for shape, area in want.items():
        got = _draw(shape, scale, angles, cx, cy).sum(axis=(1, 2)).mean()
        assert got == pytest.approx(area, rel=0.03), shapes.SHAPES[shape]


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


def test_positions_move_the_centre_along_columns_and_rows_within_the_margins():
    span = shapes.IMAGE_SIZE - 2 * shapes.MARGIN
    rows, cols = np.mgrid[0:64, 0:64] + 0.5
    for x, y in [(0, 0), (31, 0), (0, 31), (31, 31), (7, 20)]:
        for shape in (SQUARE, ELLIPSE):  # centrally symmetric: centroid = centre
            image = shapes.render(np.array([[shape, 5, 3, x, y]])).numpy()[0, ..., 0]
            assert (image * cols).sum() / image.sum() == pytest.approx(
                shapes.MARGIN + span * x / 31, abs=0.15)  # a grid step: 1.3 px
            assert (image * rows).sum() / image.sum() == pytest.approx(
                shapes.MARGIN + span * y / 31, abs=0.15)


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
