import dataclasses
import logging
import os
import subprocess
import sys

import pytest

from betavae import analysis
from reporting import plots, toolkit
from betavae import runs
from betavae.config import Config

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def test_figure_scripts_write_the_original_names(two_runs, tmp_path):
    out = str(tmp_path / "figs")
    plots.cool_images(two_runs, out)
    plots.stddev_graphs(two_runs, out)
    plots.error_graphs(two_runs, out)
    assert sorted(os.listdir(out)) == [
        "heat_map_model_fully_connected_num_balls_1_beta_0.1.png",
        "heat_map_model_fully_connected_num_balls_1_beta_1.0.png",
        "one_ball_reconstruction_loss.png",
        "one_ball_stddev_fully_connected.png", "runs"]
    assert all(os.path.getsize(os.path.join(out, f)) > 5000 for f in os.listdir(out)
               if f.endswith(".png"))
    # each run's numbers are kept beside the figures, with its training curve
    kept = sorted(os.listdir(os.path.join(out, "runs")))
    assert kept == ["train_store_model_fully_connected_num_balls_1_beta_0.1",
                    "train_store_model_fully_connected_num_balls_1_beta_1.0"]
    assert sorted(os.listdir(os.path.join(out, "runs", kept[0]))) == ["summary.json",
                                                                      "training.csv"]


def test_runs_found_from_a_folder_too(two_runs, tmp_path):
    written = plots.stddev_graphs(os.path.dirname(two_runs), str(tmp_path))
    assert [os.path.basename(p) for p in written] == ["one_ball_stddev_fully_connected.png"]


def test_untrained_run_is_skipped_with_a_warning(two_runs, tmp_path, caplog):
    broken = Config(model="conv", hidden_size=4, train_dir=two_runs, beta=0.5)
    os.makedirs(broken.run_dir)
    broken.save(broken.run_dir)  # config.json but no checkpoint
    caplog.set_level(logging.WARNING)
    try:
        written = plots.cool_images(two_runs, str(tmp_path))
    finally:
        os.remove(os.path.join(broken.run_dir, "config.json"))
        os.rmdir(broken.run_dir)
    assert len(written) == 2
    assert "skipping run" in caplog.text and "conv_num_balls_1_beta_0.5" in caplog.text
    assert "no checkpoint" in caplog.text


def test_a_run_stopped_part_way_stands_in_no_table_or_figure(two_runs, tmp_path, caplog):
    """A run still training, or stopped, is left out (its kept summary, if any, stands)."""
    import shutil
    from results import summaries
    from betavae import train
    stopped = Config(model="fully_connected", hidden_size=4, batch_size=8, max_step=8,
                     log_every=2, checkpoint_every=2, beta=0.5, train_dir=two_runs)
    assert train.train(stopped, stop_at=2) == 2  # as ./run --shapes stops at a point
    caplog.set_level(logging.WARNING)
    out = str(tmp_path / "figs")
    try:
        written = plots.cool_images(two_runs, out)
        found = summaries.collect(two_runs, out)
    finally:
        shutil.rmtree(stopped.run_dir)
    assert len(written) == 2 and not any("beta_0.5" in p for p in written)
    assert sorted(s["beta"] for s in found) == [0.1, 1.0]
    assert "unfinished (its newest checkpoint is at step 2 of 8)" in caplog.text


def test_no_runs_writes_nothing_and_warns(tmp_path, caplog):
    caplog.set_level(logging.WARNING)
    assert plots.error_graphs(str(tmp_path / "nothing_here"), str(tmp_path)) == []
    assert "no runs found" in caplog.text


def test_entropy_floor_is_computed_from_the_images():
    # The floors the README gives (21.19, 42.32 nats); the code computes them itself.
    assert analysis.entropy_floor(1, count=4000) == pytest.approx(21.19, abs=0.1)
    assert analysis.entropy_floor(2, count=4000) == pytest.approx(42.32, abs=0.2)


def test_entropy_floor_in_chunks_is_the_floor_rendered_at_once():
    # The figures' floor is rendered in chunks to bound memory; the images are the same.
    at_once = analysis.entropy_floor(2, count=3000, chunk=3000)
    assert analysis.entropy_floor(2, count=3000, chunk=700) == pytest.approx(at_once, rel=1e-12)
    assert analysis.entropy_floor(2, count=3000, seed=5) != pytest.approx(at_once, rel=1e-6)


def test_dry_run_prints_the_18_commands():
    out = subprocess.run([sys.executable, os.path.join(ROOT, "run"), "--dry-run"],
                         capture_output=True, text=True, check=True).stdout.splitlines()
    assert len(out) == 18
    seen = set()
    for line in out:
        args = dict(a[2:].split("=", 1) for a in line.split() if a.startswith("--"))
        assert "main.py" in line and args["train_dir"] == "./checkpoints/train_store"
        seen.add((args["model"], args["num_balls"], args["beta"]))
        extra = {k: v for k, v in args.items()
                 if k not in ("model", "num_balls", "beta", "train_dir")}
        assert extra == {"fully_connected": {"hidden_size": "10", "lr": "5e-05",
                                             "weight_init": "0.01"},
                         "conv": {}, "all_conv": {"hidden_size": "1"}}[args["model"]]
    assert seen == {(m, n, b) for m in ("fully_connected", "conv", "all_conv")
                    for n in ("1", "2") for b in ("0.1", "0.5", "1.0")}


def test_dry_run_passes_extra_flags_through():
    out = subprocess.run([sys.executable, os.path.join(ROOT, "run"), "--dry-run", "--",
                          "--max_step=5000"], capture_output=True, text=True,
                         check=True).stdout.splitlines()
    assert len(out) == 18 and all(line.endswith("--max_step=5000") for line in out)


def _traversal_model():
    """A small conv model whose weights are large enough for latents to matter."""
    import numpy as np
    from architecture import build_model
    model = build_model("conv", 4, weight_init=0.3)
    rng = np.random.default_rng(2)
    for part in (model.encoder, model.decoder):
        for layer in part.layers:
            if layer.weights:
                kernel, bias = layer.get_weights()
                layer.set_weights([rng.normal(0, 0.5, kernel.shape), bias])
    return model


@pytest.mark.parametrize("sampler", ["iid", "trajectory"])
def test_traversal_sets_latents_absolutely_and_ranks_rows(sampler):
    import numpy as np
    import tensorflow as tf
    model = _traversal_model()
    config = Config(model="conv", hidden_size=4, sampler=sampler)
    image, latents, stddev = analysis.traversal_inputs(model, config, rows=3)
    # rows: the 3 latents of lowest average stddev, lowest first
    assert list(latents) == list(np.argsort(stddev)[:3])
    assert np.all(np.diff(stddev[latents]) >= 0)
    if sampler == "trajectory":  # the original: the first frame of a 128-frame trajectory
        np.testing.assert_array_equal(image, analysis.run_images(config, 128, seed=3)[0])
    values = (-3.0, 0.0, 3.0)
    grid = analysis.traversal(model, image, latents, values)
    mean = model.encode(image[None])[0].numpy()[0]
    for row, latent in enumerate(latents):
        for col, value in enumerate(values):
            z = mean.copy()
            z[latent] = value  # set, not added to the mean
            want = tf.sigmoid(model.decode(z[None]))[0, :, :, 0].numpy()
            np.testing.assert_allclose(grid[row, col], want, atol=1e-4)  # batch-size kernels
        assert np.abs(grid[row, 0] - grid[row, -1]).max() > 1e-2  # moving a latent shows


def test_the_heat_map_names_the_runs_objective():
    """An annealed run's heat map says so, where its beta (unused) would mislead."""
    import matplotlib.pyplot as plt
    model = _traversal_model()
    annealed = Config(model="conv", hidden_size=4, objective="annealed", gamma=1000.0,
                      c_max=25.0)
    for config, want in [(annealed, "annealed (gamma 1000, C_max 25)"),
                         (Config(model="conv", hidden_size=4, beta=0.5), "beta 0.5")]:
        fig = plots.draw_traversal(config, model)
        title = fig._suptitle.get_text()
        plt.close(fig)
        assert f"conv, 1 ball(s), {want}, seed 0" in title
        assert ("beta" in title) == (config.objective == "beta")


def _kept(figures_dir, run):
    import json
    with open(os.path.join(figures_dir, "runs", run, "summary.json")) as f:
        return json.load(f)


def test_figure_script_reuses_a_summary_only_while_it_answers_for_the_run(two_runs, tmp_path,
                                                                          caplog):
    """The staleness rule (identity.stale) as create_error_graph.py applies it (through
    plots.error_graphs, which is all the script runs)."""
    import json
    out = str(tmp_path / "figs")
    caplog.set_level(logging.INFO)
    plots.error_graphs(two_runs, out)
    run = "train_store_model_fully_connected_num_balls_1_beta_0.1"
    assert "evaluating (kept summary: no kept summary)" in caplog.text
    kept = _kept(out, run)
    assert kept["seed"] == 0 and kept["checkpoint"] and kept["reconstruction_se"] > 0
    # the other run's summary still answers; this one's, made as if by another recipe
    # (or seed), is computed again, not reused
    kept["config"]["lr"] = 0.5
    with open(os.path.join(out, "runs", run, "summary.json"), "w") as f:
        json.dump(kept, f)
    # the other's, made before its sessions were recorded, gets their machine, unscored
    other = "train_store_model_fully_connected_num_balls_1_beta_1.0"
    answering = _kept(out, other)
    assert sum(answering.pop("machines").values()) == answering["step"]
    with open(os.path.join(out, "runs", other, "summary.json"), "w") as f:
        json.dump(answering, f)
    caplog.clear()
    plots.error_graphs(two_runs, out)
    assert caplog.text.count("kept summary answers for its checkpoint") == 1
    assert "evaluating (kept summary: trained with other settings: lr=0.5" in caplog.text
    assert _kept(out, run)["config"]["lr"] == 0.001
    assert _kept(out, other)["machines"] == {runs.describe_machine(): answering["step"]}
    assert _kept(out, other)["evaluation_seconds"] == answering["evaluation_seconds"]


def test_recipe_comparison_draws_the_runs_two_sweeps_share(two_runs, tmp_path):
    import shutil
    a, b = str(tmp_path / "a"), str(tmp_path / "b")
    plots.error_graphs(two_runs, a)  # keeps both runs' summaries and curves in a
    shutil.copytree(os.path.join(a, "runs"), os.path.join(b, "runs"))
    shutil.rmtree(os.path.join(b, "runs",
                               "train_store_model_fully_connected_num_balls_1_beta_1.0"))
    written = plots.recipe_comparison({"a": a, "b": b}, str(tmp_path / "out"))
    assert [os.path.basename(p) for p in written] == ["one_ball_recipe_comparison.png"]
    assert plots.recipe_comparison({"a": a, "c": str(tmp_path / "c")},
                                   str(tmp_path / "out")) == []


def test_each_seed_is_drawn_beside_the_error_bar_not_under_its_caps():
    """The per-seed dots sit a few points right of the mean's bar, on top of it, so a
    cap of the bar cannot hide a seed whose value is close to mean +- sd."""
    fig, ax = toolkit.plt.subplots()
    toolkit.draw_seeds(ax, {1.0: [0.70, 0.74, 0.78], 4.0: [0.66, 0.67, 0.68]})
    fig.canvas.draw()
    bar, dots = ax.lines[0], ax.lines[-1]
    bar_x = ax.transData.transform(bar.get_xydata())[:, 0]
    dots_x = dots.get_transform().transform(dots.get_xydata())[:, 0]
    assert len(dots_x) == 3
    assert (dots_x > bar_x[-1] + 2).all()  # a few display units right of beta 4's bar
    assert dots.get_zorder() > bar.get_zorder()
    toolkit.plt.close(fig)


def test_one_seed_draws_no_dots():
    fig, ax = toolkit.plt.subplots()
    toolkit.draw_seeds(ax, {0.1: [21.5], 1.0: [22.6]})
    assert [line.get_marker() for line in ax.lines if line.get_marker() == "."] == []
    toolkit.plt.close(fig)


def test_each_kept_checkpoint_is_scored_as_the_summary_scores_the_last(tmp_path):
    from results import summaries
    from betavae import train
    from betavae.runs import load_run
    config = Config(model="fully_connected", hidden_size=4, batch_size=8, max_step=4,
                    log_every=2, checkpoint_every=2, train_dir=str(tmp_path / "ts"))
    train.train(config)
    directory = config.resolved().run_dir
    run = load_run(directory)
    rows = summaries.checkpoint_reconstructions(directory, run.config, run.model)
    assert [r["step"] for r in rows] == [2, 4]
    # the model is left at the newest, as the summary is made from it
    summary = summaries.evaluate(directory, run)
    for key in ("reconstruction", "reconstruction_se", "iid_reconstruction", "kl"):
        assert rows[-1][key] == pytest.approx(summary[key], rel=1e-5), key
    assert rows[0]["reconstruction"] != pytest.approx(rows[1]["reconstruction"], rel=1e-6)
    # kept: it answers for these checkpoints until the run keeps others
    figures = str(tmp_path / "figs")
    assert not summaries.kept_checkpoints_answer(figures, directory)
    summaries.save_checkpoints(figures, directory, rows)
    assert summaries.kept_checkpoints_answer(figures, directory)
    train.train(dataclasses.replace(config, max_step=6))
    assert not summaries.kept_checkpoints_answer(figures, directory)


def test_a_kept_summary_keeps_its_figures_and_a_missing_one_is_drawn(two_runs, tmp_path):
    """plots.run_figures, as reporting/create_run_summary.py calls it: everything when the run was
    just scored; only what is missing when its kept summary answered."""
    directory = two_runs + "_model_fully_connected_num_balls_1_beta_0.1"
    config, model, _, _ = runs.load_run(directory)
    out = str(tmp_path)
    summary = {"run": os.path.basename(directory)}
    written = plots.run_figures(config, model, summary, [], out)
    names = [os.path.relpath(p, out) for p in written]
    heat_map = "heat_map_model_fully_connected_num_balls_1_beta_0.1.png"
    assert names == [heat_map, "traversals/traversal_model_fully_connected_num_balls_1"
                     "_beta_0.1.gif"]
    assert plots.run_figures(config, model, summary, [], out, redraw=False) == []
    os.remove(os.path.join(out, heat_map))
    again = plots.run_figures(config, model, summary, [], out, redraw=False)
    assert [os.path.relpath(p, out) for p in again] == [heat_map]
