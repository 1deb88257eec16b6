import numpy as np
import pytest
import tensorflow as tf

import data
from betavae import datasets
from results.original_generator import original_draw_image, original_simulate


def test_render_matches_original_formula():
    rng = np.random.default_rng(0)
    for n in (1, 2, 3):
        X = rng.uniform(0.5, 9.5, size=(16, n, 2)).astype(np.float32)
        ours = data.render(X).numpy()
        assert ours.shape == (16, 32, 32, 1)
        np.testing.assert_allclose(ours[..., 0], original_draw_image(X), atol=1e-5)


def test_render_first_coordinate_is_the_column():
    image = data.render([[[1.0, 5.0]]]).numpy()[0, :, :, 0]
    row, col = np.unravel_index(np.argmax(image), image.shape)
    assert col in (2, 3) and row in (15, 16)


def brute_force_valid(p, r=data.RADIUS):
    inside = np.all((p >= r) & (p <= 10 - r), axis=(1, 2))
    d = np.linalg.norm(p[:, :, None] - p[:, None], axis=-1)
    d[:, np.arange(p.shape[1]), np.arange(p.shape[1])] = np.inf
    return inside & np.all(d >= 2 * r, axis=(1, 2))


@pytest.mark.parametrize("num_balls", [1, 2, 3])
def test_sample_positions_valid(num_balls):
    p = data.sample_positions(2000, num_balls, seed=1).numpy()
    assert p.shape == (2000, num_balls, 2)
    assert brute_force_valid(p).all()


def test_sample_positions_roughly_uniform():
    p = data.sample_positions(20000, 1, seed=2).numpy().reshape(-1)
    counts, _ = np.histogram(p, bins=8, range=(data.RADIUS, 10 - data.RADIUS))
    expected = p.size / 8
    assert np.all(np.abs(counts - expected) < 0.06 * expected), counts


def test_two_ball_sampler_matches_rejection_of_uniform_pairs():
    # The i.i.d. sampler is uniform over valid configurations: its marginal of one
    # coordinate must match plain rejection sampling done in numpy.
    ours = data.sample_positions(20000, 2, seed=3).numpy()[:, 0, 0]
    rng = np.random.default_rng(3)
    raw = rng.uniform(data.RADIUS, 10 - data.RADIUS, size=(60000, 2, 2))
    reference = raw[brute_force_valid(raw)][:, 0, 0]
    bins = np.linspace(data.RADIUS, 10 - data.RADIUS, 9)
    h1 = np.histogram(ours, bins)[0] / len(ours)
    h2 = np.histogram(reference, bins)[0] / len(reference)
    assert np.max(np.abs(h1 - h2)) < 0.012


def test_sampler_is_seeded():
    a = data.sample_positions(64, 2, seed=5).numpy()
    b = data.sample_positions(64, 2, seed=5).numpy()
    c = data.sample_positions(64, 2, seed=6).numpy()
    np.testing.assert_array_equal(a, b)
    assert not np.allclose(a, c)


@pytest.mark.parametrize("bad", [0, -1, 9, 20])
def test_check_num_balls_refuses(bad):
    with pytest.raises(ValueError, match="num_balls"):
        datasets.check_num_balls(bad)


def test_trajectory_start_region_is_checked_too():
    datasets.check_num_balls(5)  # 4.8% of uniform placements are valid
    with pytest.raises(ValueError, match="does not fit"):
        datasets.check_num_balls(5, sampler="trajectory")  # 0.5% in the original's [2, 10]


def test_check_num_balls_accepts_sweep_values():
    datasets.check_num_balls(1)
    datasets.check_num_balls(2)


def test_sample_positions_fixed_holds_coordinates():
    mask = np.zeros((500, 2, 2), bool)
    mask[:, 0, 0] = True
    values = np.zeros((500, 2, 2), np.float32)
    values[:, 0, 0] = 3.0
    p = data.sample_positions_fixed(mask, values, seed=1).numpy()
    assert np.all(p[:, 0, 0] == 3.0)
    assert brute_force_valid(p).all()
    assert p[:, 1, 0].std() > 1.0  # the free coordinates still vary


def test_trajectory_stays_inside_and_keeps_speed():
    x0 = tf.constant([[5.0, 5.0]])
    v0 = tf.constant([[0.3, 0.4]])  # speed 0.5, as the original scales it
    frames = data.simulate(x0, v0, 400).numpy()
    assert frames.shape == (400, 1, 2)
    # A sub-step may carry a ball at most 0.25 past a wall before it turns.
    assert frames.min() >= data.RADIUS - 0.25 and frames.max() <= 10 - data.RADIUS + 0.25
    step = np.linalg.norm(np.diff(frames[:, 0], axis=0), axis=-1)
    assert np.median(step) == pytest.approx(0.5, abs=1e-5)  # no friction: speed kept
    assert step.max() <= 0.5 + 1e-5


def test_trajectory_friction_slows_balls():
    x0 = tf.constant([[5.0, 5.0]])
    v0 = tf.constant([[0.3, 0.4]])
    frames = data.simulate(x0, v0, 400, friction=True).numpy()
    step = np.linalg.norm(np.diff(frames[:, 0], axis=0), axis=-1)
    assert step[-50:].mean() < 0.5 * step[:10].mean()


def test_trajectory_collision_separates_balls():
    x0 = tf.constant([[3.0, 5.0], [7.0, 5.0]])
    v0 = tf.constant([[0.5, 0.0], [-0.5, 0.0]])
    frames = data.simulate(x0, v0, 7).numpy()
    gap = np.linalg.norm(frames[:, 0] - frames[:, 1], axis=-1)
    assert gap.min() >= 2 * data.RADIUS - 1.0  # they touch but do not pass through
    # Head-on, equal masses: the velocities swap, so the balls move apart again.
    assert frames[-1, 0, 0] < frames[-3, 0, 0] and frames[-1, 1, 0] > frames[-3, 1, 0]
    assert gap[-1] > gap.min()


def test_trajectory_batch_is_consecutive_frames():
    images, positions = data.sample_batch(64, 2, seed=4, sampler="trajectory")
    p = positions.numpy()
    assert images.shape == (64, 32, 32, 1)
    moves = np.linalg.norm(np.diff(p, axis=0), axis=-1)
    assert moves.max() < 1.0  # consecutive frames, not independent draws


def test_sample_batch_returns_positions_of_images():
    images, positions = data.sample_batch(8, 2, seed=7)
    np.testing.assert_allclose(images.numpy(), data.render(positions).numpy())


def test_unknown_sampler():
    with pytest.raises(ValueError, match="sampler"):
        data.sample_batch(8, 1, seed=1, sampler="nope")


@pytest.mark.parametrize("friction", [False, True])
def test_trajectory_matches_the_original_loop(friction):
    rng = np.random.default_rng(1)
    x0 = np.array([[3.0, 4.0], [6.5, 6.0]])
    v = rng.normal(size=(2, 2))
    v0 = v / np.linalg.norm(v) * 0.5
    ours = data.simulate(tf.constant(x0, tf.float32), tf.constant(v0, tf.float32), 100,
                         friction=friction).numpy()
    original = original_simulate(x0, v0, 100, friction=friction)
    gap = np.linalg.norm(original[:, 0] - original[:, 1], axis=-1)
    assert gap.min() < 2 * data.RADIUS  # the window includes a collision
    # float32 against float64 over 200 sub-steps with bounces and collisions
    np.testing.assert_allclose(ours, original, atol=2e-3)


def test_trajectory_start_region_and_speed_follow_the_original():
    # The original: start uniform in [2, 10] per coordinate, rejected unless inside the
    # walls (so [2, 8.8]) and apart; velocities randn scaled to Frobenius norm 0.5.
    sample = tf.function(lambda seed: data.sample_trajectory(2, 2, seed))
    starts, speeds = [], []
    for i in range(300):
        frames = sample(tf.constant([i, 5], tf.int64)).numpy()
        starts.append(frames[0])
        speeds.append(np.linalg.norm(frames[1] - frames[0]))  # 2 sub-steps of 0.5 v
    starts = np.array(starts)
    assert starts.min() >= 2.0 and starts.max() <= 10 - data.RADIUS + 1e-6
    assert starts.min() < 2.1 and starts.max() > 8.6  # the whole region is used
    gaps = np.linalg.norm(starts[:, 0] - starts[:, 1], axis=-1)
    assert gaps.min() >= 2 * data.RADIUS
    # frames where no ball met a wall or the other ball move by exactly the start speed
    assert np.median(speeds) == pytest.approx(0.5, abs=1e-5)


def _exact_two_ball_conditional(held, value_index, grid=32):
    """The exact distribution of the other three coordinates of two canonical balls on the
    grid, given one held coordinate: every valid configuration counted once.

    held: (ball, axis) in canonical order (ball 0 is the left one). Returns the valid
    configurations [m, 2, 2] (float32, as the sampler computes) with that coordinate at
    the grid's value_index."""
    g = data.grid_values(grid).numpy()
    k = np.stack(np.meshgrid(*[np.arange(grid)] * 4, indexing="ij"), -1).reshape(-1, 4)
    k = k[k[:, 2 * held[0] + held[1]] == value_index]
    p = g[k].reshape(-1, 2, 2)
    d2 = np.sum(np.square(p[:, 0] - p[:, 1]), axis=-1, dtype=np.float32)
    apart = d2 >= np.float32((2 * data.RADIUS) ** 2)
    ordered = (k[:, 0] < k[:, 2]) | ((k[:, 0] == k[:, 2]) & (k[:, 1] <= k[:, 3]))
    return p[apart & ordered]


def _total_variation(a, b, values):
    pa = np.array([np.mean(np.isclose(a, v)) for v in values])
    pb = np.array([np.mean(np.isclose(b, v)) for v in values])
    return 0.5 * np.abs(pa - pb).sum()


@pytest.mark.parametrize("held", [(0, 0), (1, 0), (1, 1)],
                         ids=["left x held", "right x held", "right y held"])
def test_canonical_conditional_sampler_matches_the_exact_conditional(held):
    """Holding one coordinate of the canonical (left-first) pair must leave the others
    distributed as the valid grid configurations with that coordinate: a sampler that
    sorts its draw before holding the coordinate skews the other ball rightwards
    (mean x 6.61 instead of 5.95 with the left ball's x held at 2.18)."""
    count, index = 20000, 4
    g = data.grid_values(32).numpy()
    mask = np.zeros((count, 2, 2), bool)
    mask[:, held[0], held[1]] = True
    values = np.full((count, 2, 2), g[index], np.float32)
    p = data.sample_positions_fixed(mask, values, seed=3, grid=32, canonical=True).numpy()
    exact = _exact_two_ball_conditional(held, index)
    assert np.all(p[:, held[0], held[1]] == g[index])
    assert brute_force_valid(p).all()
    for ball in range(2):
        for axis in range(2):
            if (ball, axis) == held:
                continue
            sample, truth = p[:, ball, axis], exact[:, ball, axis]
            # 20000 draws over 32 values: sampling alone gives a distance of about 0.02
            assert _total_variation(sample, truth, g) < 0.04, (ball, axis)
            assert sample.mean() == pytest.approx(truth.mean(), abs=0.05), (ball, axis)
