"""The 2D-shapes figures and table (reporting/shapes_figures.py), on kept results made up here: no
training, so what they must show is known."""

import csv
import dataclasses
import json
import os

import numpy as np
import pytest
import tensorflow as tf

from reporting import plots, tables, toolkit
from betavae import shapes
from reporting import shapes_figures
from results import summaries
from betavae.config import Config

LATENTS = 10


def _config(beta, seed, objective="beta"):
    config = Config(model="paper_fc", dataset="shapes", sampler="iid", hidden_size=LATENTS,
                    beta=beta, seed=seed, objective=objective, gamma=1000.0, c_max=25.0,
                    c_steps=50000, max_step=150000, train_dir="ts")
    return config


def _summary(config, step, shape_mi, score):
    """A kept summary: latent 3 carries shape_mi of the shape (inactive latent 0 more);
    3 active latents of KL 3 > 2 > 1 (latents 3, 7, 1), the rest inactive; the shape
    read from all latents at shape_mi + 0.3."""
    mi = np.zeros((LATENTS, 5))
    mi[3, 0], mi[7, 3], mi[1, 4] = shape_mi, 0.8, 0.7
    mi[0, 0] = 0.95  # an inactive latent's mean that varies with the shape
    kl = np.zeros(LATENTS)
    kl[[3, 7, 1]] = 3.0, 2.0, 1.0
    stddev = np.ones(LATENTS)
    stddev[[3, 7, 1]] = 0.1
    return {"run": os.path.basename(config.run_dir), "model": "paper_fc", "dataset": "shapes",
            "num_balls": 1, "beta": config.beta, "seed": config.seed, "step": step,
            "reconstruction": 40.0 + config.seed, "reconstruction_se": 0.1, "kl": 6.0,
            "active_latents": 3, "beta_vae": score, "factor_vae": score / 2, "mig": 0.1,
            "original_reconstruction": "",
            "score_details": {"mutual_information": mi.tolist(),
                              "dci_informativeness_per_factor": [shape_mi + 0.3, 1, 1, 1, 1],
                              "beta_vae_per_factor": [0.5, 0.25, None, score, 1]},
            "latent_kl": kl.tolist(), "stddev": stddev.tolist(),
            "config": json.loads(config.to_json()), "evaluation": 3, "run_dir": config.run_dir}


def _keep(figures_dir, config, scores):
    """Kept points at 12500-step intervals (scores: the beta-VAE score at each), the last
    also the run's summary; returns it."""
    for i, score in enumerate(scores):
        summary = _summary(config, 12500 * (i + 1), 0.2 * (i + 1), score)
        summaries.record_point(figures_dir, summary)
    summaries.save(summary, figures_dir)
    return summary


def test_an_annealed_run_has_its_own_names_and_row():
    beta = _config(1.0, 0)
    annealed = _config(1.0, 0, "annealed")
    assert plots.heat_map_name(beta) == "heat_map_dataset_shapes_model_paper_fc_beta_1.0"
    assert plots.heat_map_name(annealed) == (
        "heat_map_dataset_shapes_model_paper_fc_annealed_gamma_1000.0_c_25.0")
    assert plots.heat_map_name(dataclasses.replace(beta, seed=2)).endswith("beta_1.0_seed_2")
    groups = summaries.grouped([_summary(beta, 10, 0.1, 0.6), _summary(annealed, 10, 0.1, 0.7)])
    assert sorted(groups[1]) == ["paper_fc", "paper_fc (annealed)"]
    rows = tables.seed_table(groups)
    assert "| paper_fc (annealed) | - |" in tables.seed_markdown(rows)


def test_the_shape_latent_is_the_one_with_most_information_about_shape():
    summary = _summary(_config(4.0, 0), 10, 0.6, 0.9)
    assert shapes_figures.shape_information(summary) == (3, pytest.approx(0.6))  # not 0
    assert shapes_figures.shape_accuracy(summary) == pytest.approx(0.9)
    assert shapes_figures.shape_accuracy({"score_details": {}}) is None
    assert shapes_figures.ranked_latents(summary) == [3, 7, 1]  # active, by KL
    assert shapes_figures.shape_information({"score_details": {}}) is None


def test_scores_along_training_per_objective(tmp_path):
    figures = str(tmp_path)
    found = [_keep(figures, _config(4.0, 0), [0.5, 0.7, 0.9]),
             _keep(figures, _config(4.0, 1), [0.7, 0.9, 1.0]),
             _keep(figures, _config(1.0, 0), [0.6, 0.6, 0.6]),
             _keep(figures, _config(1.0, 0, "annealed"), [0.4, 0.8])]
    groups = shapes_figures.by_objective(found)
    assert list(groups) == ["paper_fc, beta 1", "paper_fc, beta 4",
                            "paper_fc, annealed (gamma 1000, C_max 25)"]
    progress = {s["run"]: summaries.read_progress(figures, s["run"]) for s in found}
    per_seed = shapes_figures.seed_lines(groups, progress)
    curves = shapes_figures.along(per_seed)
    xs, mean, sd, seeds = curves["paper_fc, beta 4"]["beta_vae"]
    np.testing.assert_allclose(xs, [1.6, 3.2, 4.8])  # millions of images (12500 x 128)
    np.testing.assert_allclose(mean, [0.6, 0.8, 0.95])
    np.testing.assert_allclose(sd, np.std([[0.5, 0.7], [0.7, 0.9], [0.9, 1.0]], 1, ddof=1))
    assert seeds == [2, 2, 2]
    assert len(curves["paper_fc, annealed (gamma 1000, C_max 25)"]["mig"][0]) == 2
    lines = per_seed["paper_fc, beta 4"]["beta_vae"]
    assert [seed for seed, _, _ in lines] == [0, 1]
    np.testing.assert_allclose(lines[1][1], [1.6, 3.2, 4.8])
    np.testing.assert_allclose(lines[1][2], [0.7, 0.9, 1.0])  # seed 1's own, not the mean
    written = shapes_figures.along_graph(found, figures)
    assert [os.path.basename(p) for p in written] == ["shapes_scores_along_training.png"]
    assert shapes_figures.along_graph(found, str(tmp_path / "none")) == []  # no points


def test_each_run_gets_its_matrix_and_kl_curve(tmp_path):
    config = _config(4.0, 1)
    summary = _keep(str(tmp_path), config, [0.5, 0.7])
    points = summaries.read_progress(str(tmp_path), summary["run"])
    written = shapes_figures.run_figures(summary, points, str(tmp_path),
                                         plots.heat_map_name(config))
    assert [os.path.basename(p) for p in written] == [
        "mutual_information_dataset_shapes_model_paper_fc_beta_4.0_seed_1.png",
        "latent_kl_dataset_shapes_model_paper_fc_beta_4.0_seed_1.png"]
    assert all(os.path.getsize(p) > 5000 for p in written)


def test_the_objective_table_against_the_paper(tmp_path):
    figures = str(tmp_path)
    found = [_keep(figures, _config(4.0, 0), [0.9]), _keep(figures, _config(4.0, 1), [0.7]),
             _keep(figures, _config(1.0, 0), [0.6]),
             dict(_keep(figures, _config(1.0, 2), [0.6]), stale="evaluation protocol 2")]
    written = shapes_figures.objective_table(found, figures)
    rows = {r["objective"]: r for r in csv.DictReader(open(written[0]))}
    assert sorted(rows) == ["paper_fc, beta 1", "paper_fc, beta 4"]  # the stale run left out
    assert rows["paper_fc, beta 4"]["seeds"] == "0 1"
    assert float(rows["paper_fc, beta 4"]["beta_vae"]) == pytest.approx(0.8)
    assert float(rows["paper_fc, beta 4"]["beta_vae_sd"]) == pytest.approx(np.std([0.9, 0.7], ddof=1))
    assert float(rows["paper_fc, beta 1"]["shape_information"]) == pytest.approx(0.2)
    assert float(rows["paper_fc, beta 1"]["shape_accuracy"]) == pytest.approx(0.5)
    text = open(written[1]).read()
    assert "| paper_fc, beta 4 | 0 1 | 1.6M | 0.800 +- 0.141 |" in text  # the runs' own length
    assert "61.58%" in text and "99.23%" in text and "disentanglement_lib" in text
    assert ("| paper_fc, beta 4 | 1 | 12500 | 0.700 | 0.350 | 0.100 | z3 | 0.200 | 0.500 | "
            "0.50/0.25/-/0.70/1.00 |") in text
    assert "(shape/scale/orientation/x/y)" in text


def test_each_runs_points_along_training_as_a_table(tmp_path):
    figures = str(tmp_path)
    found = [_keep(figures, _config(4.0, 1), [0.5, 0.7]), _keep(figures, _config(1.0, 0), [0.6]),
             dict(_keep(figures, _config(1.0, 2), [0.6]), stale="evaluation protocol 2")]
    written = shapes_figures.along_table(found, figures)
    assert [os.path.basename(p) for p in written] == ["shapes_along.md"]
    text = open(written[0]).read()
    beta1 = text.index("beta 1, seed 0 (`ts_dataset_shapes_model_paper_fc_beta_1.0`)")
    assert beta1 < text.index("beta 4, seed 1")  # by objective, as the other tables
    assert "seed 2" not in text  # the stale run left out
    assert ("| images | reconstruction (nats) | KL (nats) | active latents | beta-VAE | "
            "FactorVAE | MIG |") in text
    assert "C (nats)" not in text  # a beta run has no target KL
    # each point its own row: seed 1's reconstruction, 3 active latents, the scores kept
    # at that point, and the shape latent's information then (0.2 at the first, 0.4 next)
    assert "| 1.6M | 41.00 | 6.00 | 3 | 0.500 | 0.250 | 0.100 | 0.200 |" in text
    assert "| 3.2M | 41.00 | 6.00 | 3 | 0.700 | 0.350 | 0.100 | 0.400 |" in text
    assert "full sizes" not in text.split("\n\n", 1)[1]  # no point was scored at them
    end = dict(summaries.read_progress(figures, found[0]["run"])[-1],
               table_sizes=summaries.table_sizes())
    text = shapes_figures.along_markdown({"beta 4": found[:1]}, {found[0]["run"]: [end]})
    assert "| 3.2M (full sizes) | 41.00 |" in text
    assert shapes_figures.along_table(found, str(tmp_path / "none")) == []  # no points


def test_an_annealed_run_shows_its_kl_against_its_target(tmp_path):
    """C at each point by the schedule training used: 25 nats over 50000 steps, so 6.25
    at step 12500, 12.5 at 25000, and held at 25 from step 50000 on."""
    figures = str(tmp_path)
    config = _config(1.0, 0, "annealed")
    summary = _keep(figures, config, [0.5, 0.6, 0.6, 0.6, 0.7])
    points = summaries.read_progress(figures, summary["run"])
    assert [shapes_figures.capacity_target(summary, p["step"]) for p in points] == [
        6.25, 12.5, 18.75, 25.0, 25.0]
    assert shapes_figures.capacity_target(_summary(_config(4.0, 0), 10, 0.1, 0.6), 10) is None
    text = shapes_figures.along_markdown({"annealed": [summary]}, {summary["run"]: points})
    assert "| images | reconstruction (nats) | KL (nats) | C (nats) | active latents |" in text
    assert "| 3.2M | 40.00 | 6.00 | 12.50 | 3 | 0.600 |" in text
    assert "| 8.0M | 40.00 | 6.00 | 25.00 | 3 | 0.700 |" in text
    lines = {line.get_label(): line.get_ydata()
             for line in shapes_figures.draw_latent_kl(summary, points).axes[0].get_lines()}
    np.testing.assert_allclose(lines["C, its target"], [6.25, 12.5, 18.75, 25, 25])
    np.testing.assert_allclose(lines["total KL"], [6.0] * 5)
    beta = _keep(figures, _config(4.0, 1), [0.5])
    labels = [line.get_label() for line in shapes_figures.draw_latent_kl(
        beta, summaries.read_progress(figures, beta["run"])).axes[0].get_lines()]
    assert "total KL" not in labels and "C, its target" not in labels


class _Copier:
    """A fake model whose code is the image itself and whose decoder draws it back (logits
    +-20), so its reconstructions are its inputs."""

    def encode(self, images):
        flat = tf.reshape(images, [len(images), -1])
        return flat, tf.zeros_like(flat)

    def decode(self, z):
        return tf.reshape(40.0 * z - 20.0, [-1, 64, 64, 1])


def test_reconstructions_show_each_shape_and_what_the_model_draws():
    factors = shapes_figures.reconstruction_factors()
    assert factors.shape == (9, 5)
    assert sorted(np.bincount(factors[:, 0])) == [3, 3, 3]  # each shape in three poses
    fig = shapes_figures.draw_reconstructions(_config(4.0, 0), _Copier())
    axes = np.array(fig.axes).reshape(2, 9)
    inputs = [ax.get_images()[0].get_array() for ax in axes[0]]
    drawn = [ax.get_images()[0].get_array() for ax in axes[1]]
    np.testing.assert_array_equal(inputs[0], shapes.render(factors[:1]).numpy()[0, ..., 0])
    for image, back in zip(inputs, drawn):
        np.testing.assert_allclose(back, image, atol=1e-6)
    assert [ax.get_title(loc="left") for ax in axes[0, ::3]] == list(shapes.SHAPES)
    assert not np.array_equal(inputs[0], inputs[3])  # a square is not an ellipse
    toolkit.plt.close(fig)


def test_the_objective_table_puts_the_networks_side_by_side_with_the_reference(tmp_path):
    """burgess's rows carry disentangling-vae's reconstruction; runs recorded before the
    shapes took dSprites' sizes (no shape_sizes in their config) are named so."""
    figures = str(tmp_path)
    burgess = dataclasses.replace(_config(4.0, 0), model="burgess")
    mine = dict(_keep(figures, burgess, [0.9]), model="burgess")
    old = _keep(figures, _config(4.0, 0), [0.7])
    del old["config"]["shape_sizes"]
    written = shapes_figures.objective_table([mine], figures, beside=[old])
    rows = {r["objective"]: r for r in csv.DictReader(open(written[0]))}
    assert sorted(rows) == ["burgess, beta 4", "paper_fc (small sprites), beta 4"]
    assert float(rows["burgess, beta 4"]["reference_reconstruction"]) == 35.61
    assert rows["paper_fc (small sprites), beta 4"]["reference_reconstruction"] == ""
    text = open(written[1]).read()
    assert "disentangling-vae's reconstruction" in text and "| 35.61 |" in text


def test_runs_of_one_objective_at_different_lengths_are_not_averaged(tmp_path):
    figures = str(tmp_path)
    short = _config(1.0, 100)  # a development run, scored once
    found = [_keep(figures, _config(1.0, 0), [0.6, 0.6, 0.6]),
             _keep(figures, _config(1.0, 1), [0.6, 0.6, 0.8]),
             _keep(figures, short, [0.2])]
    groups = shapes_figures.by_objective(found)
    assert {k: [s.get("seed") for s in v] for k, v in groups.items()} == {
        "paper_fc, beta 1 (4.8M images)": [0, 1], "paper_fc, beta 1 (1.6M images)": [100]}
    rows = {r["objective"]: r for r in shapes_figures.objective_rows(found)}
    assert rows["paper_fc, beta 1 (4.8M images)"]["beta_vae"] == pytest.approx(0.7)
    assert rows["paper_fc, beta 1 (1.6M images)"]["beta_vae"] == pytest.approx(0.2)
    assert list(shapes_figures.by_objective(found[:2])) == ["paper_fc, beta 1"]
