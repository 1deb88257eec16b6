import csv
import os

import numpy as np
import pytest

import data
from betavae import metrics
from reporting import plots, tables
from results import summaries

SMALL = dict(num_train=300, num_eval=200, num_mig=3000)
CENTRES = (np.arange(32) + 0.5) / 32 * 10


def centroid(images):
    """The intensity centroid of a one-ball image: its true position, recovered."""
    w = images[..., 0]
    total = w.sum(axis=(1, 2))
    return np.stack([(w.sum(axis=1) * CENTRES).sum(1) / total,
                     (w.sum(axis=2) * CENTRES).sum(1) / total], axis=1)


def noise_encoder(seed):
    """An encoder whose code is fresh noise on every call, independent of the image: two
    halves of a beta-VAE pair, or two chunks of one batch, never share a code."""
    rng = np.random.default_rng(seed)
    return lambda images: rng.normal(size=(len(images), 6))


def duplicated(images):
    return np.concatenate([centroid(images), centroid(images)], axis=1)


@pytest.fixture(scope="module")
def centroid_scores():
    return metrics.evaluate(centroid, 1, seed=0, **SMALL)


def test_true_positions_score_near_one(centroid_scores):
    s = centroid_scores
    assert s["beta_vae"] > 0.95 and s["factor_vae"] > 0.95
    # 20 bins cannot hold all of a 32-value factor's entropy: log 20 / log 32 = 0.86.
    assert s["mig"] > 0.75
    assert s["num_factors"] == 2 and s["chance"] == 0.5


def test_noise_scores_at_chance():
    s = metrics.evaluate(noise_encoder(0), 1, seed=0, **SMALL)
    assert abs(s["beta_vae"] - 0.5) < 0.12
    assert abs(s["factor_vae"] - 0.5) < 0.12
    assert s["mig"] < 0.05
    assert s["sap"] < 0.05 and s["dci_informativeness"] < 0.1  # chance: 1/32
    # The features are those of independent codes: each is the mean over 64 pairs of
    # |a - b| for independent standard normals a, b, whose mean is 2 / sqrt(pi). A score
    # fed identical pair halves would see features of exactly 0, and still score 0.5.
    features, _ = metrics.beta_vae_points(noise_encoder(1), metrics.BallFactors(1, 0),
                                           np.random.default_rng(0), 200, 64)
    assert features.mean() == pytest.approx(2 / np.sqrt(np.pi), abs=0.01)
    assert features.std() == pytest.approx(np.sqrt((2 - 4 / np.pi) / 64), rel=0.1)


def test_duplicated_factors_score_low_mig(centroid_scores):
    s = metrics.evaluate(duplicated, 1, seed=0, **SMALL)
    assert s["mig"] < 0.05 < centroid_scores["mig"] - 0.5


def rotation(degrees):
    a = np.deg2rad(degrees)
    return np.array([[np.cos(a), -np.sin(a)], [np.sin(a), np.cos(a)]])


def test_rotated_positions_fail_mig_first(centroid_scores):
    # Rotated 30 degrees, each latent mixes x and y: the two classifier scores still
    # tell the factors apart, MIG does not. At 45 degrees the batch features of the two
    # factors look alike, and all three fall to chance.
    s30 = metrics.evaluate(lambda x: centroid(x) @ rotation(30), 1, seed=0, **SMALL)
    assert s30["beta_vae"] > 0.95 and s30["factor_vae"] > 0.95
    assert s30["mig"] < 0.3 < centroid_scores["mig"] - 0.4
    s45 = metrics.evaluate(lambda x: centroid(x) @ rotation(45), 1, seed=0, **SMALL)
    assert s45["beta_vae"] < 0.7 and s45["factor_vae"] < 0.7 and s45["mig"] < 0.05


def test_scores_are_reproducible(centroid_scores):
    again = metrics.evaluate(centroid, 1, seed=0, **SMALL)
    assert again == centroid_scores
    a = metrics.evaluate(noise_encoder(0), 1, seed=1, **SMALL)
    b = metrics.evaluate(noise_encoder(0), 1, seed=2, **SMALL)
    assert a != b


def test_two_ball_factors_are_canonical_and_on_the_grid():
    f = metrics.BallFactors(2, seed=0)
    p = f.sample(500)
    assert np.all(p[:, 0, 0] <= p[:, 1, 0])  # left ball first
    k = f.indices(p)
    assert k.shape == (500, 4) and k.min() >= 0 and k.max() <= 31
    grid = data.grid_values(metrics.GRID).numpy()
    np.testing.assert_allclose(grid[k].reshape(p.shape), p, atol=1e-5)


def test_sample_sharing_holds_one_factor():
    f = metrics.BallFactors(2, seed=0)
    reference = f.sample(50)
    factors = np.arange(50) % 4
    shared = f.sample_sharing(factors, reference, 8).reshape(50, 8, 2, 2)
    for i, factor in enumerate(factors):
        held = shared[i, :, factor // 2, factor % 2]
        assert np.all(held == reference[i, factor // 2, factor % 2])
    assert np.all(shared[:, :, 0, 0] <= shared[:, :, 1, 0])


def test_mig_of_the_factors_themselves():
    k = np.random.default_rng(0).integers(32, size=(5000, 2))
    mig, gaps, _ = metrics.mig_from_codes(k.astype(float), k)
    # 32 values in 20 equal bins: 12 bins hold two values, 8 hold one.
    binned_entropy = 12 * (2 / 32) * np.log(32 / 2) + 8 * (1 / 32) * np.log(32)
    assert mig == pytest.approx(binned_entropy / np.log(32), abs=0.02)
    mixed = np.stack([k[:, 0] + k[:, 1], k[:, 0] - k[:, 1]], axis=1).astype(float)
    assert metrics.mig_from_codes(mixed, k)[0] < 0.2


def test_table_script_on_two_tiny_runs(two_runs, tmp_path):
    written = tables.metrics_table(two_runs, str(tmp_path), summaries.table_sizes(**SMALL))
    names = sorted(os.path.basename(p) for p in written)
    assert names == ["metrics.csv", "metrics.md", "one_ball_mig.png", "seeds.csv",
                     "seeds.md"]
    rows = list(csv.DictReader(open(tmp_path / "metrics.csv")))
    assert [(r["model"], r["beta"], r["seed"]) for r in rows] == [
        ("fully_connected", "0.1", "0"), ("fully_connected", "1.0", "0")]
    assert all(float(r["reconstruction_se"]) > 0 for r in rows)
    settings = list(csv.DictReader(open(tmp_path / "seeds.csv")))
    assert [(r["beta"], r["seeds"], r["sd"]) for r in settings] == [("0.1", "0", "0.0"),
                                                                    ("1.0", "0", "0.0")]
    assert float(settings[0]["mean"]) == float(rows[0]["reconstruction"])
    # the score figure, from the same kept summaries
    written = plots.score_graphs(two_runs, str(tmp_path), summaries.table_sizes(**SMALL))
    assert [os.path.basename(p) for p in written] == ["one_ball_scores.png"]
    for r in rows:
        for key in ("beta_vae", "factor_vae", "mig"):
            assert 0.0 <= float(r[key]) <= 1.0
        assert float(r["reconstruction"]) > 21.0  # above the entropy floor
        assert float(r["original_reconstruction"]) > 0
    assert "| 1 | fully_connected | 0.1 |" in open(tmp_path / "metrics.md").read()


def test_the_seed_table_gives_each_settings_spread():
    def summary(seed, recon, mig):
        return {"run": f"r{seed}", "model": "conv", "num_balls": 1, "beta": 1.0,
                "seed": seed, "reconstruction": recon, "reconstruction_se": 0.01 * seed,
                "original_reconstruction": 22.97, "beta_vae": 1.0, "factor_vae": None,
                "mig": mig}
    found = [summary(2, 23.0, 0.3), summary(0, 22.9, 0.1), summary(1, 23.1, 0.2)]
    (row,) = tables.seed_table(summaries.grouped(found))
    assert row["seeds"] == "0 1 2" and row["reconstructions"] == "22.90 23.10 23.00"
    assert row["mean"] == pytest.approx(23.0)
    assert row["sd"] == pytest.approx(np.std([22.9, 23.1, 23.0], ddof=1))
    assert row["minus_original"] == pytest.approx(0.03)
    assert row["max_se"] == pytest.approx(0.02)
    assert row["mig"] == pytest.approx(0.2) and row["mig_sd"] == pytest.approx(0.1)
    assert row["factor_vae"] is None  # not scored
    table = tables.seed_markdown([row, tables.seed_table(summaries.grouped(found[:1]))[0]])
    assert "| 23.00 +- 0.10 |" in table and "| 0.200 +- 0.100 |" in table
    one = table.strip().splitlines()[-1]
    assert "| 23.00 (one seed) |" in one and "+-" not in one  # one seed has no spread


def test_the_seed_table_never_averages_scores_of_two_protocols():
    def summary(seed, beta_vae, dci, stale):
        found = {"run": f"r{seed}", "model": "conv", "num_balls": 2, "beta": 0.5,
                 "seed": seed, "reconstruction": 46.5, "reconstruction_se": 0.02,
                 "original_reconstruction": 46.56, "beta_vae": beta_vae,
                 "dci_disentanglement": dci, "evaluation": 2 if stale else 3}
        return dict(found, stale="evaluation protocol 2") if stale else found
    found = [summary(0, 0.90, 0.30, False), summary(1, 0.99, None, True),
             summary(2, 0.97, None, True)]
    (row,) = tables.seed_table(summaries.grouped(found))
    assert row["beta_vae"] == pytest.approx(0.90) and row["beta_vae_seeds"] == 1
    assert not row["beta_vae_stale"]
    table = tables.seed_markdown([row])
    assert "| 0.900 (1 of 3 seeds) |" in table and "| 0.300 (1 of 3 seeds) |" in table
    assert "+- 0.000" not in table
    (old,) = tables.seed_table(summaries.grouped(found[1:]))  # stale seeds only
    assert old["beta_vae"] == pytest.approx(0.98) and old["beta_vae_stale"]
    assert "| 0.980 +- 0.014* |" in tables.seed_markdown([old])


def test_the_seed_table_counts_the_means_within_the_target_and_below_the_original():
    def row(minus, seeds="0 1 2"):
        return {"minus_original": minus, "seeds": seeds}
    rows = [row(-0.2), row(0.004), row(0.05), row(0.104), row(0.13), row(None, "0")]
    assert tables.against_original(rows) == (  # +0.004 shows as +0.00, +0.104 as +0.10
        "Of 5 settings (3 seeds each), 4 have a mean reconstruction at most the "
        "original + 0.1 nats, and 2 at or below the original.\n")
    assert "(1-3 seeds each)" in tables.against_original(rows + [row(0.5, "0")])
    assert tables.against_original([row(None)]) == ""  # shapes: no original


def test_shape_factors_hold_the_chosen_factor_and_draw_the_rest():
    f = metrics.ShapeFactors(seed=3)
    reference = f.sample(4)
    factors = np.array([0, 2, 3, 4])
    shared = f.sample_sharing(factors, reference, 50).reshape(4, 50, 5)
    for i, factor in enumerate(factors):
        assert (shared[i, :, factor] == reference[i, factor]).all()
        others = [j for j in range(5) if j != factor]
        assert all(len(np.unique(shared[i, :, j])) > 1 for j in others)


def test_scores_on_shapes_find_the_factors_a_code_holds():
    """An encoder that reads position and size off the image (centroid, pixel count):
    it holds x, y and scale, not shape or orientation."""
    rows, cols = np.mgrid[0:64, 0:64]

    def encode(images):
        x = images[..., 0]
        area = x.sum(axis=(1, 2))
        return np.stack([(x * cols).sum(axis=(1, 2)) / area,
                         (x * rows).sum(axis=(1, 2)) / area, np.sqrt(area)], axis=1)

    scores = metrics.evaluate(encode, 1, seed=0, num_train=300, num_eval=150, num_mig=3000,
                              dataset="shapes")
    assert scores["num_factors"] == 5 and scores["chance"] == 0.2
    assert scores["beta_vae"] > 0.5  # x, y and scale are told apart
    gaps = scores["mig_per_factor"]  # shape, scale, orientation, x, y
    assert gaps[3] > 0.5 and gaps[4] > 0.5 and gaps[2] < 0.1
    # Held fixed, x, y and scale are told; shape and orientation, which the code lacks,
    # are told apart only by guessing between the two (every latent varies for both).
    told = scores["beta_vae_per_factor"]
    assert len(told) == 5 and min(told[1], told[3], told[4]) > 0.9
    assert max(told[0], told[2]) < 0.8


def test_a_shapes_table_has_no_ball_or_original_columns():
    def summary(dataset, original):
        return {"run": dataset, "model": "m", "num_balls": 1, "beta": 4.0, "seed": 0,
                "step": 10, "reconstruction": 90.0, "reconstruction_se": 0.5, "kl": 9.0,
                "active_latents": 4, "original_reconstruction": original,
                "beta_vae": 0.7, "factor_vae": 0.5, "mig": 0.03, "dataset": dataset}
    shapes, balls = summary("shapes", None), summary("balls", 22.97)
    for table in (tables.markdown, lambda rows: tables.seed_markdown(
            tables.seed_table(summaries.grouped(rows)))):
        head = table([shapes]).splitlines()[0]
        assert "balls" not in head and "original" not in head and "MIG" in head
        rows = table([balls]).splitlines()
        assert rows[0].startswith("| balls |") and "original" in rows[0]
        assert rows[2].count("|") == rows[0].count("|")  # each row fills every column


def binary_factors(count, seed):
    return np.random.default_rng(seed).integers(2, size=(count, 2))


def dci_and_sap(encode, count=2000):
    """DCI and SAP of codes made from two independent binary factors by `encode`."""
    train, test = binary_factors(count, 1), binary_factors(count // 2, 2)
    codes = [encode(f, np.random.default_rng(seed)) for f, seed in ((train, 3), (test, 4))]
    scores = metrics.dci_from_codes(codes[0], train, codes[1], test)
    scores.update(metrics.sap_from_codes(codes[0], train, codes[1], test))
    return scores


def perfect(f, rng):
    return f + 0.01 * rng.normal(size=f.shape)


def test_dci_by_hand():
    # one code per factor: nothing shared
    assert metrics.dci_from_importance(np.eye(2)) == pytest.approx((1.0, 1.0))
    # every code used equally for every factor
    assert metrics.dci_from_importance(np.full((2, 2), 0.5)) == pytest.approx((0.0, 0.0))
    # one code holds both factors, the other none: not disentangled, complete
    assert metrics.dci_from_importance(np.array([[0.5, 0.5], [0.0, 0.0]])) == \
        pytest.approx((0.0, 1.0), abs=1e-6)
    # four factors each on its own code, and a fifth, useless, code
    assert metrics.dci_from_importance(np.vstack([np.eye(4), np.zeros(4)])) == \
        pytest.approx((1.0, 1.0), abs=1e-6)
    # one factor split evenly over two codes (base 2: entropy 1), the other on a third
    importance = np.array([[0.5, 0.0], [0.5, 0.0], [0.0, 1.0]])
    d, c = metrics.dci_from_importance(importance)
    assert d == pytest.approx(1.0, abs=1e-6)
    assert c == pytest.approx(0.5 * (1 - 1 / np.log2(3)) + 0.5 * 1.0, abs=1e-6)


def test_dci_and_sap_of_a_perfect_code():
    s = dci_and_sap(perfect)
    assert s["dci_disentanglement"] > 0.99 and s["dci_completeness"] > 0.99
    assert s["dci_informativeness"] == 1.0
    # each code: accuracy 1 on its factor, 0.5 (chance) on the other
    assert s["sap"] == pytest.approx(0.5, abs=0.03)
    assert s["sap_unconverged"] == 0


def test_dci_and_sap_do_not_depend_on_the_codes_order():
    s = dci_and_sap(perfect)
    p = dci_and_sap(lambda f, rng: perfect(f, rng)[:, ::-1])
    for key in ("dci_disentanglement", "dci_completeness", "dci_informativeness", "sap"):
        assert p[key] == pytest.approx(s[key], abs=1e-9), key
    np.testing.assert_allclose(p["dci_importance"], s["dci_importance"][::-1], atol=1e-9)


def test_dci_informativeness_per_factor():
    """Codes that hold factor 0 and not factor 1: the classifiers tell factor 0 exactly
    and factor 1 at chance (0.5), and the score is their mean."""
    s = dci_and_sap(lambda f, rng: np.stack([f[:, 0], rng.normal(size=len(f))], 1))
    per_factor = s["dci_informativeness_per_factor"]
    assert per_factor[0] == 1.0
    assert per_factor[1] == pytest.approx(0.5, abs=0.05)
    assert s["dci_informativeness"] == pytest.approx(np.mean(per_factor), abs=1e-12)


def test_a_code_that_mixes_two_factors():
    """Code 0 holds both factors (f0 + 2 f1), code 1 is noise. DCI: by hand, code 0 has
    all the importance, split evenly (disentanglement 0), and each factor is on that one
    code (completeness 1). SAP: code 0 predicts each factor as well as a linear cut of
    one code can, f0 from f0 + 2 f1 at 0.5 (an alternating pattern), f1 at 1.0, the noise
    code at chance, 0.5: SAP = ((0.5 - 0.5) + (1.0 - 0.5)) / 2 = 0.25."""
    def mixed(f, rng):
        return np.stack([f[:, 0] + 2 * f[:, 1], rng.normal(size=len(f))], 1)
    s = dci_and_sap(mixed)
    assert s["dci_disentanglement"] == pytest.approx(0.0, abs=0.02)
    assert s["dci_completeness"] == pytest.approx(1.0, abs=0.02)
    assert s["dci_informativeness"] == 1.0
    matrix = np.array(s["sap_matrix"])
    assert matrix[0, 1] == pytest.approx(1.0, abs=0.01)
    assert matrix[0, 0] == pytest.approx(0.5, abs=0.05)
    assert s["sap"] == pytest.approx(0.25, abs=0.04)


def test_dci_and_sap_of_noise():
    s = dci_and_sap(lambda f, rng: rng.normal(size=(len(f), 3)))
    assert s["dci_informativeness"] == pytest.approx(0.5, abs=0.05)
    # the trees fit noise, so some importance appears, spread over the factors
    assert s["dci_disentanglement"] < 0.2 and s["dci_completeness"] < 0.2
    assert s["sap"] < 0.05


def test_lightgbm_dci_is_close_to_disentanglement_libs():
    """The estimator this project uses against scikit-learn's GradientBoostingClassifier
    (disentanglement_lib's), on the same codes of a mixed, noisy representation of two
    4-valued factors: code 0 holds f0 + 0.7 f1, code 1 f1, code 2 noise. Measured: D
    0.460 / 0.452, C 0.590 / 0.615, I 0.887 / 0.890 (LightGBM / scikit-learn)."""
    def factors(count, seed):
        return np.random.default_rng(seed).integers(4, size=(count, 2))

    def mixed(f, rng):
        noise = 0.3 * rng.normal(size=(len(f), 2))
        return np.stack([f[:, 0] + 0.7 * f[:, 1] + noise[:, 0], f[:, 1] + noise[:, 1],
                         rng.normal(size=len(f))], 1)
    train, test = factors(1000, 1), factors(500, 2)
    codes = [mixed(f, np.random.default_rng(s)) for f, s in ((train, 3), (test, 4))]
    ours = metrics.dci_from_codes(codes[0], train, codes[1], test, "lightgbm")
    theirs = metrics.dci_from_codes(codes[0], train, codes[1], test, "sklearn_gbt")
    for key in ("dci_disentanglement", "dci_completeness", "dci_informativeness"):
        assert 0.3 < theirs[key] < 0.95, key  # a code neither perfect nor useless
        assert ours[key] == pytest.approx(theirs[key], abs=0.04), key


def test_beta_vae_convergence_is_counted(centroid_scores):
    s = centroid_scores
    assert s["beta_vae_unconverged"] == 0
    assert 0 < s["beta_vae_iterations"] < metrics.BETA_VAE_MAX_ITER


def test_mutual_information_matrix_puts_each_factor_on_its_code():
    k = np.random.default_rng(0).integers(32, size=(5000, 2))
    codes = np.stack([k[:, 1], np.random.default_rng(1).normal(size=5000), k[:, 0]], 1)
    mi = metrics.mutual_information(codes.astype(float), k)
    assert mi.shape == (3, 2)
    binned = metrics.mig_from_codes(k.astype(float), k)[0]  # what 20 bins can hold
    assert mi[2, 0] == pytest.approx(binned, abs=0.02) and mi[0, 1] == pytest.approx(binned, abs=0.02)
    assert mi[1].max() < 0.02 and mi[0, 0] < 0.02 and mi[2, 1] < 0.02
