"""Disentanglement scores against the true ball positions: beta-VAE, FactorVAE and MIG.

Definitions and defaults follow google-research/disentanglement_lib, the most used
implementation, so the numbers are comparable to published ones:

- beta-VAE score (Higgins et al. 2017): a training point is a pair of batches of 64
  images that share the value of one random factor; its feature is the mean absolute
  difference of their representations; a logistic regression (scikit-learn defaults)
  predicts the shared factor from 10000 such points; the score is its accuracy on 5000
  fresh points. Chance is 1 / number of factors.
- FactorVAE score (Kim and Mnih 2018): dimensions whose standard deviation over 10000
  images is below 0.05 are dropped as collapsed (disentanglement_lib's
  prune_dims.threshold); a point is a batch of 64 images sharing one factor, voting for
  the dimension whose variance in the batch, divided by its variance over all images,
  is least; a majority vote maps each dimension to a factor (10000 points); the score
  is the accuracy of that map on 5000 fresh points.
- MIG (Chen et al. 2018, disentanglement_lib's histogram form): 10000 images; each
  representation dimension is cut into 20 equal-width bins; the mutual information of
  each dimension with each factor, over the factor's entropy; the gap between the two
  most informative dimensions, averaged over factors.

The factors are the ball centres, x then y of each ball, each drawn from 32 evenly
spaced values over its valid range (as dSprites does for position). Two balls are
exchangeable, so they are ordered canonically, left ball first (by x, then y): the only
order a model could infer from an image. Even so the two-ball scores mean less: the
factors are not independent (balls cannot overlap, and x1 <= x2), and when the balls pass
each other "left ball" switches identity, which a smooth encoder cannot follow.
"""

import warnings

import numpy as np
import tensorflow as tf
from sklearn import linear_model
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import mutual_info_score

import data
import shapes

GRID = 32
BATCH_SIZE = 64
NUM_TRAIN = 10000
NUM_EVAL = 5000
NUM_VARIANCE_ESTIMATE = 10000
NUM_MIG = 10000
MIG_BINS = 20
PRUNE_SCALE = 0.05  # on the standard deviation, as disentanglement_lib
_CHUNK = 4096  # images rendered and encoded at once
# Graph versions of the samplers: their rejection loops run in TF, not in Python.
_sample = tf.function(data.sample_positions)
_sample_fixed = tf.function(data.sample_positions_fixed)


class BallFactors:
    """Samples ball configurations on the factor grid and turns them into images."""

    def __init__(self, num_balls, seed):
        data.check_num_balls(num_balls)
        self.num_balls = num_balls
        self.num_factors = 2 * num_balls
        self._seed = seed
        self._draws = 0

    def _next_seed(self):
        self._draws += 1
        return tf.constant([self._seed, self._draws], tf.int64)

    def sample(self, count):
        """[count, num_balls, 2] canonical positions, uniform over valid grid points."""
        return _sample(count, self.num_balls, self._next_seed(), grid=GRID,
                       canonical=True).numpy()

    def sample_sharing(self, factors, reference, repeat):
        """[len(factors) * repeat, num_balls, 2]: for each i, `repeat` configurations whose
        factor factors[i] equals that of reference[i]; the rest is drawn anew."""
        mask = np.zeros((len(factors), self.num_balls, 2), bool)
        mask[np.arange(len(factors)), factors // 2, factors % 2] = True
        mask = np.repeat(mask, repeat, axis=0)
        values = np.repeat(reference, repeat, axis=0)
        return _sample_fixed(tf.constant(mask), tf.constant(values, tf.float32),
                             self._next_seed(), grid=GRID, canonical=True).numpy()

    def indices(self, positions):
        """[count, num_factors] grid indices (0..31) of positions."""
        low, high = data.RADIUS, data.BOX_SIZE - data.RADIUS
        k = np.rint((positions - low) / (high - low) * (GRID - 1)).astype(np.int64)
        return k.reshape(len(positions), -1)

    @staticmethod
    def render(positions):
        return data.render(positions)


class ShapeFactors:
    """Samples the five factors of 2D shapes (shapes.py) as indices, each uniform over
    its values and independent of the others, as in dSprites."""

    def __init__(self, seed):
        self.num_factors = len(shapes.FACTOR_SIZES)
        self._sizes = np.array(shapes.FACTOR_SIZES)
        self._rng = np.random.default_rng([seed, 17])

    def sample(self, count):
        """[count, 5] factor indices (shape, scale, orientation, x, y)."""
        return self._rng.integers(self._sizes, size=(count, self.num_factors))

    def sample_sharing(self, factors, reference, repeat):
        """[len(factors) * repeat, 5]: for each i, `repeat` draws whose factor factors[i]
        equals that of reference[i]; the other factors drawn anew (they are independent)."""
        fresh = self.sample(len(factors) * repeat)
        rows = np.arange(len(fresh))
        fixed = np.repeat(factors, repeat)
        fresh[rows, fixed] = np.repeat(reference, repeat, axis=0)[rows, fixed]
        return fresh

    def indices(self, values):
        return np.asarray(values, np.int64)

    @staticmethod
    def render(values):
        return shapes.render_compiled(values)


def represent(encode, factors_sampler, values):
    """Renders factor values and encodes them in chunks: [count, k]."""
    out = []
    for start in range(0, len(values), _CHUNK):
        images = factors_sampler.render(values[start:start + _CHUNK]).numpy()
        out.append(np.asarray(encode(images), np.float64))
    return np.concatenate(out).reshape(len(values), -1)


def _beta_vae_points(encode, factors_sampler, rng, count, batch_size):
    f = factors_sampler
    factors = rng.integers(f.num_factors, size=count)
    # Pair i of a batch shares the point's factor; pairs differ from each other.
    first = f.sample(count * batch_size)
    second = f.sample_sharing(np.repeat(factors, batch_size), first, 1)
    diff = np.abs(represent(encode, f, first) - represent(encode, f, second))
    return diff.reshape(count, batch_size, -1).mean(axis=1), factors


def beta_vae_score(encode, factors_sampler, rng, num_train=NUM_TRAIN, num_eval=NUM_EVAL,
                   batch_size=BATCH_SIZE):
    x_train, y_train = _beta_vae_points(encode, factors_sampler, rng, num_train, batch_size)
    x_eval, y_eval = _beta_vae_points(encode, factors_sampler, rng, num_eval, batch_size)
    model = linear_model.LogisticRegression(random_state=int(rng.integers(2**31)))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model.fit(x_train, y_train)
    return {"beta_vae": float(model.score(x_eval, y_eval)),
            "beta_vae_train": float(model.score(x_train, y_train))}


def _factor_vae_votes(encode, f, rng, count, batch_size, scale, active):
    factors = rng.integers(f.num_factors, size=count)
    positions = f.sample_sharing(factors, f.sample(count), batch_size)
    reps = represent(encode, f, positions).reshape(count, batch_size, -1)
    local = np.var(reps, axis=1, ddof=1)[:, active] / scale[active]
    votes = np.zeros((f.num_factors, int(active.sum())), np.int64)
    np.add.at(votes, (factors, np.argmin(local, axis=1)), 1)
    return votes


def factor_vae_score(encode, factors_sampler, rng, num_train=NUM_TRAIN, num_eval=NUM_EVAL,
                     batch_size=BATCH_SIZE, num_variance_estimate=NUM_VARIANCE_ESTIMATE):
    f = factors_sampler
    variance = np.var(represent(encode, f, f.sample(num_variance_estimate)), axis=0,
                      ddof=1)
    active = np.sqrt(variance) >= PRUNE_SCALE
    if not active.any():
        return {"factor_vae": 0.0, "factor_vae_train": 0.0, "factor_vae_active_dims": 0}
    train = _factor_vae_votes(encode, f, rng, num_train, batch_size, variance, active)
    classifier = np.argmax(train, axis=0)  # dimension -> factor
    evaluation = _factor_vae_votes(encode, f, rng, num_eval, batch_size, variance, active)
    columns = np.arange(train.shape[1])
    return {"factor_vae": float(evaluation[classifier, columns].sum() / evaluation.sum()),
            "factor_vae_train": float(train[classifier, columns].sum() / train.sum()),
            "factor_vae_active_dims": int(active.sum())}


def _discretize(reps, bins=MIG_BINS):
    """Each column cut into `bins` equal-width bins over its range (as numpy.histogram)."""
    return np.stack([np.digitize(col, np.histogram(col, bins)[1][:-1]) for col in reps.T],
                    axis=1)


def mig_from_codes(reps, factor_indices, bins=MIG_BINS):
    """(MIG, per-factor gaps) of representations [count, k] against discrete factors."""
    codes = _discretize(reps, bins)
    mi = np.array([[mutual_info_score(factor_indices[:, j], codes[:, i])
                    for j in range(factor_indices.shape[1])] for i in range(codes.shape[1])])
    entropy = np.array([mutual_info_score(y, y) for y in factor_indices.T])
    top = np.sort(mi, axis=0)[::-1]
    second = top[1] if len(top) > 1 else np.zeros_like(top[0])
    gaps = (top[0] - second) / entropy
    return float(gaps.mean()), gaps


def mig_score(encode, factors_sampler, num_points=NUM_MIG):
    positions = factors_sampler.sample(num_points)
    mig, gaps = mig_from_codes(represent(encode, factors_sampler, positions),
                               factors_sampler.indices(positions))
    return {"mig": mig, "mig_per_factor": [float(g) for g in gaps]}


def evaluate(encode, num_balls, seed=0, num_train=NUM_TRAIN, num_eval=NUM_EVAL,
             num_mig=NUM_MIG, dataset="balls"):
    """All three scores of `encode` (float32 images [B, size, size, 1] -> numpy [B, k])
    against the factors of `dataset`: ball positions, or the five factors of 2D shapes.

    Returns a dict with beta_vae, factor_vae and mig in [0, 1], the classifiers'
    training accuracies, factor_vae_active_dims, mig_per_factor, num_factors and
    chance (the accuracy of guessing a factor). Reproducible for a fixed seed.
    """
    rng = np.random.default_rng(seed)
    factors = ShapeFactors(seed) if dataset == "shapes" else BallFactors(num_balls, seed)
    scores = {"num_factors": factors.num_factors, "chance": 1.0 / factors.num_factors}
    scores.update(beta_vae_score(encode, factors, rng, num_train, num_eval))
    scores.update(factor_vae_score(encode, factors, rng, num_train, num_eval,
                                   num_variance_estimate=num_mig))
    scores.update(mig_score(encode, factors, num_mig))
    return scores
