"""The original's numpy data generator, written as it was (Python loops over frames, balls
and pairs): the reference the tests hold data.py to, and the benchmark's baseline."""

import numpy as np

SIZE, RADIUS, RES = 10.0, 1.2, 32


def original_draw_image(X, res=RES, size=SIZE, r=RADIUS):
    """draw_image: X [T, n, 2] -> [T, res, res], a loop per frame and ball."""
    ar = np.arange(0, 1, 1.0 / res) + 1.0 / res / 2
    I, J = np.meshgrid(ar * size, ar * size)
    A = np.zeros((len(X), res, res))
    for t in range(len(X)):
        for i in range(X.shape[1]):
            A[t] += np.exp(-((((I - X[t, i, 0]) ** 2 + (J - X[t, i, 1]) ** 2) / r**2) ** 4))
        A[t][A[t] > 1] = 1
    return A


def original_simulate(x, v, num_frames, friction=False, r=RADIUS, size=SIZE):
    """bounce_n's loop from given start positions and velocities x, v [n, 2]."""
    x, v = np.array(x, np.float64), np.array(v, np.float64)
    n = len(x)
    frames = np.zeros((num_frames, n, 2))
    for t in range(num_frames):
        frames[t] = x
        for _ in range(2):
            x = x + 0.5 * v
            for i in range(n):
                if friction:
                    if x[i][1] + r < size:
                        v[i][1] += 0.003
                    v[i] -= 0.005 * v[i]
                for z in range(2):
                    if x[i][z] - r < 0:
                        v[i][z] = abs(v[i][z])
                    if x[i][z] + r > size:
                        v[i][z] = -abs(v[i][z])
            for i in range(n):
                for j in range(i):
                    if np.linalg.norm(x[i] - x[j]) < 2 * r:
                        w = (x[i] - x[j]) / np.linalg.norm(x[i] - x[j])
                        vi, vj = w @ v[i], w @ v[j]
                        v[i] += w * (vj - vi)
                        v[j] += w * (vi - vj)
    return frames


def original_batch(batch_size, num_balls, rng, r=RADIUS, size=SIZE):
    """One batch as the original made it: a trajectory of batch_size frames, drawn."""
    v = rng.normal(size=(num_balls, 2))
    v = v / np.linalg.norm(v) * 0.5
    while True:
        x = 2 + rng.uniform(size=(num_balls, 2)) * 8
        good = bool(np.all((x - r >= 0) & (x + r <= size)))
        for i in range(num_balls):
            for j in range(i):
                good &= bool(np.linalg.norm(x[i] - x[j]) >= 2 * r)
        if good:
            break
    return original_draw_image(original_simulate(x, v, batch_size))
