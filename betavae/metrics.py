"""Disentanglement scores against the true factors: beta-VAE, FactorVAE, MIG, DCI and SAP.

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

- DCI (Eastwood and Williams 2018): from 10000 training and 5000 test points, one
  gradient-boosted classifier per factor predicts its value from the code; their
  feature importances form a [codes, factors] matrix. Disentanglement is 1 minus each
  code's entropy over factors (base: the number of factors), weighted by the code's share
  of importance; completeness is 1 minus each factor's entropy over codes (base: the
  number of codes), weighted likewise; informativeness is the classifiers' mean test
  accuracy. disentanglement_lib fits scikit-learn's GradientBoostingClassifier (exact
  splits, impurity importance): 5-10 min a run on one core here. This project fits the
  same trees (100 rounds of depth 3, learning rate 0.1) with LightGBM on 1023-bin
  histograms and its gain importance (DCI_ESTIMATOR; the estimator is named in each result):
  docs/metrics.md gives the cost of each and their difference on the same codes.
- SAP (Kumar et al. 2018), discrete factors: for each code and factor, a linear SVM
  (C 0.01, balanced classes) on that code alone predicts the factor, trained on 10000
  points and scored on 5000; per factor, the gap between the two best codes' accuracies,
  averaged over factors.

Every classifier is fit to convergence: the logistic regression with up to BETA_VAE_MAX_ITER
iterations, the SVMs with up to SAP_MAX_ITER; any fit that still stops at its limit is
counted in the result (beta_vae_unconverged, sap_unconverged), never hidden.

The factors are the ball centres, x then y of each ball, each drawn from 32 evenly
spaced values over its valid range (as dSprites does for position). Two balls are
exchangeable, so they are ordered canonically, left ball first (by x, then y): the only
order a model could infer from an image. Even so the two-ball scores mean less: the
factors are not independent (balls cannot overlap, and x1 <= x2), and when the balls pass
each other "left ball" switches identity, which a smooth encoder cannot follow.
"""

import functools
import warnings

import numpy as np
import tensorflow as tf
from sklearn import ensemble, linear_model, svm
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import mutual_info_score

import data
from betavae import datasets, shapes

# The five scores (DCI's three parts) that tables and figures show, in [0, 1].
SCORES = ("beta_vae", "factor_vae", "mig", "dci_disentanglement", "dci_completeness",
          "dci_informativeness", "sap")
GRID = 32
BATCH_SIZE = 64
NUM_TRAIN = 10000
NUM_EVAL = 5000
NUM_VARIANCE_ESTIMATE = 10000
NUM_MIG = 10000
MIG_BINS = 20
PRUNE_SCALE = 0.05  # on the standard deviation, as disentanglement_lib
# scikit-learn's default is 100 iterations (disentanglement_lib's setting), at which the
# fit on unscaled features may stop short; the score is that of the converged fit.
BETA_VAE_MAX_ITER = 5000
SAP_MAX_ITER = 10000  # LinearSVC's default is 1000
# The trees of disentanglement_lib's DCI (GradientBoostingClassifier's defaults).
GBT_ROUNDS, GBT_DEPTH, GBT_LEARNING_RATE = 100, 3, 0.1
# LightGBM's histogram bins per code: at its default 255 a bin can straddle two clusters
# of a code (a perfect binary code then scores disentanglement 0.97, not 1); 1023 keeps
# the splits where exact ones fall on such codes at 1/4 the cost of one bin per value.
DCI_BINS = 1023
_CHUNK = 4096  # images rendered and encoded at once


@functools.lru_cache(maxsize=None)
def _grid_samplers(num_balls):
    """Graph versions of the canonical grid samplers for num_balls (their rejection loops
    are tf.while_loop, so no autograph), traced once whatever the draw's size:
    (sample(count, seed), sample_fixed(mask, values, seed))."""
    seed = tf.TensorSpec([2], tf.int64)
    batch = [None, num_balls, 2]
    sample = tf.function(
        lambda count, seed: data.sample_positions(count, num_balls, seed, grid=GRID,
                                                  canonical=True),
        input_signature=[tf.TensorSpec([], tf.int32), seed], autograph=False)
    sample_fixed = tf.function(
        lambda mask, values, seed: data.sample_positions_fixed(mask, values, seed, grid=GRID,
                                                               canonical=True),
        input_signature=[tf.TensorSpec(batch, tf.bool), tf.TensorSpec(batch, tf.float32), seed],
        autograph=False)
    return sample, sample_fixed


class BallFactors:
    """Samples ball configurations on the factor grid and turns them into images."""

    def __init__(self, num_balls, seed):
        datasets.check_num_balls(num_balls)
        self.num_balls = num_balls
        self.num_factors = 2 * num_balls
        self._seed = seed
        self._draws = 0

    def _next_seed(self):
        self._draws += 1
        return tf.constant([self._seed, self._draws], tf.int64)

    def sample(self, count):
        """[count, num_balls, 2] canonical positions, uniform over valid grid points."""
        sample, _ = _grid_samplers(self.num_balls)
        return sample(tf.constant(count, tf.int32), self._next_seed()).numpy()

    def sample_sharing(self, factors, reference, repeat):
        """[len(factors) * repeat, num_balls, 2]: for each i, `repeat` configurations whose
        factor factors[i] equals that of reference[i]; the rest is drawn anew."""
        mask = np.zeros((len(factors), self.num_balls, 2), bool)
        mask[np.arange(len(factors)), factors // 2, factors % 2] = True
        mask = np.repeat(mask, repeat, axis=0)
        values = np.repeat(reference, repeat, axis=0)
        _, sample_fixed = _grid_samplers(self.num_balls)
        return sample_fixed(tf.constant(mask), tf.constant(values, tf.float32),
                            self._next_seed()).numpy()

    def indices(self, positions):
        """[count, num_factors] grid indices (0..31) of positions."""
        low, high = data.RADIUS, data.BOX_SIZE - data.RADIUS
        k = np.rint((positions - low) / (high - low) * (GRID - 1)).astype(np.int64)
        return k.reshape(len(positions), -1)

    @staticmethod
    def render(positions):
        return data.render(positions)


class ShapeFactors:
    """Samples the five factors of 2D shapes (betavae/shapes.py) as indices, each uniform over
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


def beta_vae_points(encode, factors_sampler, rng, count, batch_size):
    f = factors_sampler
    factors = rng.integers(f.num_factors, size=count)
    # Pair i of a batch shares the point's factor; pairs differ from each other.
    first = f.sample(count * batch_size)
    second = f.sample_sharing(np.repeat(factors, batch_size), first, 1)
    diff = np.abs(represent(encode, f, first) - represent(encode, f, second))
    return diff.reshape(count, batch_size, -1).mean(axis=1), factors


def beta_vae_score(encode, factors_sampler, rng, num_train=NUM_TRAIN, num_eval=NUM_EVAL,
                   batch_size=BATCH_SIZE):
    x_train, y_train = beta_vae_points(encode, factors_sampler, rng, num_train, batch_size)
    x_eval, y_eval = beta_vae_points(encode, factors_sampler, rng, num_eval, batch_size)
    model = linear_model.LogisticRegression(random_state=int(rng.integers(2**31)),
                                            max_iter=BETA_VAE_MAX_ITER)
    unconverged = _fit_counting_unconverged(model, x_train, y_train)
    predicted = model.predict(x_eval)
    # Which factor, held fixed, the classifier tells: its accuracy on each factor's points.
    per_factor = [float(np.mean(predicted[y_eval == k] == k)) if np.any(y_eval == k)
                  else None for k in range(factors_sampler.num_factors)]
    return {"beta_vae": float(np.mean(predicted == y_eval)),  # model.score, not predicted twice
            "beta_vae_per_factor": per_factor,
            "beta_vae_train": float(model.score(x_train, y_train)),
            "beta_vae_iterations": int(np.max(model.n_iter_)),
            "beta_vae_unconverged": unconverged}


def _fit_counting_unconverged(model, x, y):
    """Fits a scikit-learn model; returns how many ConvergenceWarnings it raised (a fit
    that stopped at its iteration limit), which are counted rather than shown."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ConvergenceWarning)
        model.fit(x, y)
    return sum(issubclass(w.category, ConvergenceWarning) for w in caught)


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


def mutual_information(reps, factor_indices, bins=MIG_BINS):
    """[k, f]: the mutual information of each binned dimension of reps [count, k] with
    each discrete factor, divided by the factor's entropy (1: the dimension holds all of
    what can be binned of it)."""
    codes = _discretize(reps, bins)
    mi = np.array([[mutual_info_score(factor_indices[:, j], codes[:, i])
                    for j in range(factor_indices.shape[1])] for i in range(codes.shape[1])])
    entropy = np.array([mutual_info_score(y, y) for y in factor_indices.T])
    return mi / entropy


def mig_from_codes(reps, factor_indices, bins=MIG_BINS):
    """(MIG, per-factor gaps, the normalised mutual information [k, f]) of
    representations [count, k] against discrete factors."""
    normalised = mutual_information(reps, factor_indices, bins)
    top = np.sort(normalised, axis=0)[::-1]
    second = top[1] if len(top) > 1 else np.zeros_like(top[0])
    gaps = top[0] - second
    return float(gaps.mean()), gaps, normalised


def mig_score(encode, factors_sampler, num_points=NUM_MIG):
    positions = factors_sampler.sample(num_points)
    mig, gaps, normalised = mig_from_codes(represent(encode, factors_sampler, positions),
                                           factors_sampler.indices(positions))
    return {"mig": mig, "mig_per_factor": [float(g) for g in gaps],
            "mutual_information": normalised.tolist()}


def _gbt_sklearn(x_train, y_train, x_test, y_test):
    """disentanglement_lib's classifier: (importances [k], train and test accuracy)."""
    model = ensemble.GradientBoostingClassifier(
        n_estimators=GBT_ROUNDS, max_depth=GBT_DEPTH, learning_rate=GBT_LEARNING_RATE)
    model.fit(x_train, y_train)
    return (np.abs(model.feature_importances_), model.score(x_train, y_train),
            model.score(x_test, y_test))


def _gbt_lightgbm(x_train, y_train, x_test, y_test):
    """The same trees grown by LightGBM on DCI_BINS histogram bins per code; importance =
    the total split gain of each code, normalised to sum to 1 as scikit-learn's impurity
    importance is."""
    import lightgbm  # imported here: only DCI needs it
    model = lightgbm.LGBMClassifier(
        n_estimators=GBT_ROUNDS, max_depth=GBT_DEPTH, num_leaves=2**GBT_DEPTH,
        learning_rate=GBT_LEARNING_RATE, min_child_samples=1, reg_lambda=0.0,
        max_bin=DCI_BINS, min_data_in_bin=1, importance_type="gain",
        n_jobs=1, deterministic=True, force_row_wise=True, random_state=0, verbose=-1)
    model.fit(x_train, y_train)
    gain = np.asarray(model.feature_importances_, np.float64)
    total = gain.sum()
    return (gain / total if total > 0 else gain, model.score(x_train, y_train),
            model.score(x_test, y_test))


DCI_ESTIMATORS = {"sklearn_gbt": _gbt_sklearn, "lightgbm": _gbt_lightgbm}
DCI_ESTIMATOR = "lightgbm"


def _one_minus_entropy(weights, axis):
    """1 - the entropy of weights normalised along axis, in base (its length), as
    disentanglement_lib computes it (scipy.stats.entropy of weights + 1e-11)."""
    p = weights + 1e-11
    p = p / p.sum(axis=axis, keepdims=True)
    return 1.0 - (-(p * np.log(p)).sum(axis=axis)) / np.log(weights.shape[axis])


def dci_from_importance(importance):
    """(disentanglement, completeness) of an importance matrix [codes, factors]."""
    weights = importance if importance.sum() > 0 else np.ones_like(importance)
    code_share = weights.sum(axis=1) / weights.sum()
    factor_share = weights.sum(axis=0) / weights.sum()
    disentanglement = float(np.sum(_one_minus_entropy(importance, 1) * code_share))
    completeness = float(np.sum(_one_minus_entropy(importance, 0) * factor_share))
    return disentanglement, completeness


def dci_from_codes(codes_train, factors_train, codes_test, factors_test,
                   estimator=DCI_ESTIMATOR):
    """DCI of codes [n, k] against discrete factors [n, f] (indices), train and test."""
    fit = DCI_ESTIMATORS[estimator]
    importance = np.zeros((codes_train.shape[1], factors_train.shape[1]))
    train_accuracy, test_accuracy = [], []
    for j in range(factors_train.shape[1]):
        importance[:, j], train, test = fit(codes_train, factors_train[:, j], codes_test,
                                            factors_test[:, j])
        train_accuracy.append(train)
        test_accuracy.append(test)
    disentanglement, completeness = dci_from_importance(importance)
    return {"dci_disentanglement": disentanglement, "dci_completeness": completeness,
            "dci_informativeness": float(np.mean(test_accuracy)),
            "dci_informativeness_train": float(np.mean(train_accuracy)),
            # which factors the codes hold at all, disentangled or not
            "dci_informativeness_per_factor": [float(a) for a in test_accuracy],
            "dci_importance": importance.tolist(), "dci_estimator": estimator}


def sap_from_codes(codes_train, factors_train, codes_test, factors_test):
    """SAP of codes [n, k] against discrete factors [n, f]; the score matrix [k, f] of
    each code's accuracy on each factor, and the unconverged SVM fits."""
    k, f = codes_train.shape[1], factors_train.shape[1]
    accuracy = np.zeros((k, f))
    unconverged = 0
    for i in range(k):
        for j in range(f):
            classifier = svm.LinearSVC(C=0.01, class_weight="balanced",
                                       max_iter=SAP_MAX_ITER)
            unconverged += _fit_counting_unconverged(classifier, codes_train[:, i:i + 1],
                                                     factors_train[:, j])
            accuracy[i, j] = classifier.score(codes_test[:, i:i + 1], factors_test[:, j])
    top = np.sort(accuracy, axis=0)
    gap = top[-1] - top[-2] if k > 1 else top[-1]
    return {"sap": float(gap.mean()), "sap_matrix": accuracy.tolist(),
            "sap_unconverged": unconverged}


def codes_and_factors(encode, factors_sampler, count):
    values = factors_sampler.sample(count)
    return represent(encode, factors_sampler, values), factors_sampler.indices(values)


def dci_and_sap_scores(encode, factors_sampler, num_train=NUM_TRAIN, num_test=NUM_EVAL,
                       estimator=DCI_ESTIMATOR):
    """DCI and SAP on one draw of num_train training and num_test test points (each
    metric in disentanglement_lib draws its own of the same sizes)."""
    train = codes_and_factors(encode, factors_sampler, num_train)
    test = codes_and_factors(encode, factors_sampler, num_test)
    scores = dci_from_codes(*train, *test, estimator=estimator)
    scores.update(sap_from_codes(*train, *test))
    return scores


def evaluate(encode, num_balls, seed=0, num_train=NUM_TRAIN, num_eval=NUM_EVAL,
             num_mig=NUM_MIG, dataset="balls", dci_estimator=DCI_ESTIMATOR):
    """All five scores of `encode` (float32 images [B, size, size, 1] -> numpy [B, k])
    against the factors of `dataset`: ball positions, or the five factors of 2D shapes.

    Returns a dict with beta_vae, factor_vae, mig, dci_disentanglement,
    dci_completeness, dci_informativeness and sap in [0, 1], the classifiers' training
    accuracies and convergence, factor_vae_active_dims, mig_per_factor, the DCI
    importance and SAP score matrices, num_factors and chance (the accuracy of guessing
    a factor). DCI and SAP use num_train and num_eval points, as the classifier scores
    do. Reproducible for a fixed seed.
    """
    rng = np.random.default_rng(seed)
    factors = ShapeFactors(seed) if dataset == "shapes" else BallFactors(num_balls, seed)
    scores = {"num_factors": factors.num_factors, "chance": 1.0 / factors.num_factors}
    scores.update(beta_vae_score(encode, factors, rng, num_train, num_eval))
    scores.update(factor_vae_score(encode, factors, rng, num_train, num_eval,
                                   num_variance_estimate=num_mig))
    scores.update(mig_score(encode, factors, num_mig))
    scores.update(dci_and_sap_scores(encode, factors, num_train, num_eval, dci_estimator))
    return scores
