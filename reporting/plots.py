"""The original's figures, drawn from trained runs (a library: the create_*.py scripts
call it with their flags). Images are drawn square, so balls look round.

Every function finds runs through runs.load_runs (config.json), rebuilds each model with
architecture.py and restores its latest checkpoint; a run that cannot be loaded is named
in a warning and skipped.
"""

import dataclasses
import os

import numpy as np
from absl import logging

from architecture import ACTIVE_STDDEV, active_latents
from betavae import analysis
from betavae.evaluation import STDDEV_IMAGES
from betavae.runs import load_runs
from reporting import shapes_figures, toolkit
from reporting.toolkit import plt
from results import summaries
from results.original import ORIGINAL_RECONSTRUCTION, PAPER_BETA_VAE_SCORE


TRAVERSAL_ROWS = 10


TRAVERSAL_VALUES = (-3.0, -1.5, 0.0, 1.5, 3.0)


def draw_traversal(config, model):
    """The heat map: one row per latent (lowest average stddev first), that latent set
    to each of TRAVERSAL_VALUES in turn, the rest at the image's posterior mean."""
    image, latents, stddev = analysis.traversal_inputs(model, config, TRAVERSAL_ROWS)
    grid = analysis.traversal(model, image, latents, TRAVERSAL_VALUES)
    cols = len(TRAVERSAL_VALUES) + 1
    fig, axes = plt.subplots(len(latents), cols, figsize=(1.2 * cols, 1.2 * len(latents)))
    # origin "lower": the original drew each panel with pcolor, image row 0 at the bottom.
    for row, latent in enumerate(latents):
        axes[row, 0].imshow(image.numpy()[:, :, 0], cmap="gray", vmin=0, vmax=1,
                            origin="lower")
        for col in range(len(TRAVERSAL_VALUES)):
            axes[row, col + 1].imshow(grid[row, col], cmap="gray", vmin=0, vmax=1,
                                      origin="lower")
        axes[row, 0].set_ylabel(f"z{latent}\n{stddev[latent]:.2f}", rotation=0,
                                labelpad=22, va="center", fontsize=8)
    for ax in axes.flat:
        ax.set_xticks([])
        ax.set_yticks([])
        ax.set_aspect("equal")
    axes[0, 0].set_title("input", fontsize=8)
    for col, value in enumerate(TRAVERSAL_VALUES):
        axes[0, col + 1].set_title(f"{value:+g}", fontsize=8)
    data_name = ("2D shapes" if config.dataset == "shapes"
                 else f"{config.num_balls} ball(s)")
    fig.suptitle(f"{config.model}, {data_name}, {summaries.config_label(config)}, "
                 f"seed {config.seed}\n"
                 "rows: latents by average stddev (left)", fontsize=9)
    return fig


def draw_stddev(num_balls, model_name, by_beta):
    """by_beta: {beta: average stddev per latent}; each drawn sorted, lowest first."""
    fig, ax = plt.subplots(figsize=(6, 4))
    for beta in sorted(by_beta):
        stddev = np.sort(by_beta[beta])
        ax.plot(np.arange(len(stddev)), stddev, marker="o", ms=3,
                label=f"beta {beta} ({active_latents(stddev)} active)")
    ax.axhline(1.0, color="gray", lw=0.5)
    ax.set_xlabel("latent (sorted by average stddev)")
    ax.set_ylabel(f"average posterior stddev over {STDDEV_IMAGES} images")
    ax.set_title(f"{model_name}, {num_balls} ball(s)")
    ax.legend()
    return fig


def draw_reconstruction(num_balls, by_model):
    """by_model: {model: {beta: [reconstruction of each seed]}}: the mean over seeds with
    its spread; the original's numbers as hollow markers of the same colour, and the
    entropy floor."""
    floor = analysis.entropy_floor(num_balls)
    fig, ax = plt.subplots(figsize=(6, 4))
    for model_name, by_beta in sorted(by_model.items()):
        line = toolkit.draw_seeds(ax, by_beta, label=model_name)
        original = ORIGINAL_RECONSTRUCTION.get((num_balls, model_name))
        if original:
            ob = sorted(original)
            ax.plot(ob, [original[b] for b in ob], ls=":", marker="o", mfc="none", ms=8,
                    color=line.get_color(), label=f"{model_name}, original")
    ax.axhline(floor, color="black", ls="--", lw=1,
               label=f"entropy floor {floor:.2f} (perfect model)")
    ax.set_xlabel("beta")
    ax.set_ylabel("reconstruction loss (nats per image)")
    ax.set_title(f"{num_balls} ball(s), {toolkit.seeds_label(by_model)}", fontsize=9)
    ax.legend(fontsize=7)
    return fig


def draw_training_curves(num_balls, by_model, curves, x="step"):
    """One panel per model: per-image reconstruction of the training batches against
    x ("step", or "minutes" of training from the logged elapsed seconds), one colour per
    beta (a line per seed); the original's final values as dotted lines."""
    floor = analysis.entropy_floor(num_balls)
    names = sorted(by_model, key=toolkit.sweep_order)
    fig, axes = plt.subplots(1, len(names), figsize=(5 * len(names), 4), squeeze=False)
    for ax, model_name in zip(axes[0], names):
        original = ORIGINAL_RECONSTRUCTION.get((num_balls, model_name), {})
        for beta, by_seed in sorted(by_model[model_name].items()):
            color = None
            for seed, summary in sorted(by_seed.items()):
                rows = curves[summary["run"]]
                line, = ax.plot(_xs(rows, x), [r["reconstruction"] for r in rows], lw=0.8,
                                color=color, label=None if color else f"beta {beta}")
                color = line.get_color()
            if beta in original:
                ax.axhline(original[beta], color=color, ls=":", lw=1.2)
        ax.axhline(floor, color="black", ls="--", lw=0.8)
        ax.set_ylim(floor - 1, floor + (8 if num_balls == 1 else 16))
        ax.set_xlabel(X_LABELS[x])
        ax.set_title(f"{model_name}, {num_balls} ball(s)")
        ax.legend(fontsize=7, title="dotted: original's final", title_fontsize=7)
    axes[0, 0].set_ylabel("reconstruction of the training batch (nats/image)")
    fig.suptitle(f"dashed: entropy floor {floor:.2f}; one line per seed", fontsize=8)
    return fig


X_LABELS = {"step": "step", "minutes": "minutes of training (wall clock, logged elapsed)"}


def _xs(rows, x):
    """The x values of metrics.csv rows: their step, or their elapsed time in minutes."""
    if x == "step":
        return [r["step"] for r in rows]
    return [(r.get("elapsed") or 0.0) / 60 for r in rows]


def draw_recipe_comparison(pairs, original):
    """pairs: {model: {label: metrics.csv rows}}; original: {model: final value}. One
    column per model: reconstruction against step (top, log scale) and against minutes
    of training (bottom), one line per label."""
    names = sorted(pairs, key=toolkit.sweep_order)
    fig, axes = plt.subplots(2, len(names), figsize=(5 * len(names), 7), squeeze=False,
                             layout="constrained")
    for col, model_name in enumerate(names):
        for row, x in enumerate(("step", "minutes")):
            ax = axes[row, col]
            for label, rows in sorted(pairs[model_name].items()):
                ax.plot(_xs(rows, x), [r["reconstruction"] for r in rows], lw=0.8,
                        label=label)
            if model_name in original:
                ax.axhline(original[model_name], color="black", ls=":", lw=1,
                           label=f"original's final {original[model_name]:.2f}")
            ax.set_ylim(min(original.values(), default=20) - 1.5,
                        max(original.values(), default=20) + 6)
            ax.set_xscale("log" if x == "step" else "linear")
            ax.set_xlabel(X_LABELS[x])
            ax.set_title(model_name, fontsize=9)
            ax.legend(fontsize=7)
    for ax in axes[:, 0]:
        ax.set_ylabel("training-batch reconstruction (nats/image)")
    return fig


def recipe_comparison(folders, figures_dir, name="recipe_comparison.png"):
    """Draws the training curves of the runs that several sweeps' kept summaries share
    (same model, balls, beta and seed), e.g. the faithful runs beside the reproduce runs
    of the same settings. folders: {label: figures_dir of a sweep}."""
    found = {label: {(s["model"], s["num_balls"], s["beta"], s.get("seed", 0)): s
                     for s in summaries.kept_summaries(folder)}
             for label, folder in folders.items()}
    shared = set.intersection(*(set(v) for v in found.values())) if found else set()
    if not shared:
        logging.warning("no run is kept in all of %s", ", ".join(folders.values()))
        return []
    written = []
    for num_balls in sorted({k[1] for k in shared}):
        keys = sorted(k for k in shared if k[1] == num_balls)
        pairs = {k[0]: {f"{label}, beta {k[2]}": summaries.training_curve(
            found[label][k], folders[label]) for label in folders} for k in keys}
        original = {k[0]: ORIGINAL_RECONSTRUCTION.get((num_balls, k[0]), {}).get(k[2])
                    for k in keys}
        original = {m: v for m, v in original.items() if v is not None}
        written.append(toolkit.save(draw_recipe_comparison(pairs, original), figures_dir,
                            f"{analysis.ball_word(num_balls)}_ball_{name}"))
    return written


def cool_images(train_dir, figures_dir):
    """heat_map_model_<model>_num_balls_<n>_beta_<beta>.png for every finished run."""
    return [toolkit.save(draw_traversal(config, model), figures_dir, heat_map_name(config) + ".png")
            for _, (config, model, _, _) in load_runs(train_dir, finished=True)]


def _first_seed(by_seed):
    return by_seed[min(by_seed)]


def stddev_graphs(train_dir, figures_dir):
    """{one,two}_ball_stddev_<model>.png: one figure per dataset and model (of each
    setting, its lowest seed)."""
    groups = summaries.grouped(summaries.collect(train_dir, figures_dir))
    return [toolkit.save(draw_stddev(num_balls, model_name,
                             {beta: _first_seed(by_seed)["stddev"]
                              for beta, by_seed in by_beta.items()}),
                 figures_dir, f"{analysis.ball_word(num_balls)}_ball_stddev_{model_name}.png")
            for num_balls, by_model in sorted(groups.items())
            for model_name, by_beta in sorted(by_model.items())]


def per_seed(by_model, key):
    """{model: {beta: [summary[key] of each seed]}} of grouped summaries."""
    return {m: {b: [s[key] for _, s in sorted(by_seed.items())]
                for b, by_seed in by_beta.items()} for m, by_beta in by_model.items()}


def error_graphs(train_dir, figures_dir):
    """{one,two}_ball_reconstruction_loss.png: one figure per dataset."""
    groups = summaries.grouped(summaries.collect(train_dir, figures_dir))
    written = []
    for num_balls, by_model in sorted(groups.items()):
        recon = per_seed(by_model, "reconstruction")
        for model_name, by_beta in sorted(recon.items()):
            for beta, values in sorted(by_beta.items()):
                logging.info("%d ball(s) %s beta %s: reconstruction %s nats/image",
                             num_balls, model_name, beta,
                             ", ".join(f"{v:.2f}" for v in values))
        written.append(toolkit.save(draw_reconstruction(num_balls, recon), figures_dir,
                            f"{analysis.ball_word(num_balls)}_ball_reconstruction_loss.png"))
    return written


def training_curves(train_dir, figures_dir):
    """{one,two}_ball_training_curves.png and {one,two}_ball_training_minutes.png:
    reconstruction against step, and against minutes of training, for every run."""
    found = summaries.collect(train_dir, figures_dir)
    curves = {s["run"]: summaries.training_curve(s, figures_dir) for s in found}
    groups = summaries.grouped([s for s in found if curves[s["run"]]])
    return [toolkit.save(draw_training_curves(num_balls, by_model, curves, x), figures_dir,
                 f"{analysis.ball_word(num_balls)}_ball_training_{name}.png")
            for num_balls, by_model in sorted(groups.items())
            for x, name in (("step", "curves"), ("minutes", "minutes"))]


def draw_mig(num_balls, by_model):
    """by_model: {model: {beta: [MIG of each seed]}}."""
    fig, ax = plt.subplots(figsize=(6, 4))
    for model_name, by_beta in sorted(by_model.items()):
        toolkit.draw_seeds(ax, by_beta, label=model_name)
    ax.set_xlabel("beta")
    ax.set_ylabel("MIG")
    ax.set_ylim(0, 1)
    ax.set_title(f"{num_balls} ball(s): mutual information gap against the true positions"
                 f"\n{toolkit.seeds_label(by_model)}", fontsize=9)
    ax.legend()
    return fig


def draw_scores(title, by_model, paper=None):
    """A panel per score (toolkit.SCORES) against beta: by_model {model: {beta: {seed:
    summary}}}, the mean over seeds with a +-sd bar and each seed; paper: {beta: (score,
    +-)}, the paper's beta-VAE scores as hollow markers."""
    fig, axes = plt.subplots(2, 4, figsize=(17, 8), layout="constrained")
    axes = axes.ravel()
    axes[-1].axis("off")
    for ax, (key, name) in zip(axes, toolkit.SCORES):
        for model_name, by_beta in sorted(by_model.items()):
            values = {b: [v for v in (toolkit.score(s, key) for s in by_seed.values())
                          if v is not None] for b, by_seed in by_beta.items()}
            toolkit.draw_seeds(ax, {b: v for b, v in values.items() if v}, label=model_name)
        if key == "beta_vae" and paper:
            betas = sorted(paper)
            ax.errorbar(betas, [paper[b][0] for b in betas], yerr=[paper[b][1] for b in betas],
                        ls="none", marker="s", mfc="none", ms=9, color="black",
                        label="the paper (VAE at 1, beta-VAE at 4)")
        ax.set_xscale("log", base=2)
        ax.set_xlabel("beta")
        ax.set_ylabel(name)
        ax.set_ylim(0, 1.02)
        ax.legend(fontsize=7)
    fig.suptitle(f"{title}: {toolkit.seeds_label(by_model)}", fontsize=9)
    return fig


def score_graphs(train_dir, figures_dir, sizes=None):
    """<dataset>_scores.png (shapes_scores.png, one_ball_scores.png, ...): each score
    against beta for every run scored by the current protocol, seeds spread; the paper's
    numbers on shapes."""
    found = summaries.collect(train_dir, figures_dir, sizes or summaries.table_sizes())
    stale = [s["run"] for s in found if s.get("stale")]
    if stale:
        logging.warning("score figures: %d runs scored by an older protocol left out: %s",
                        len(stale), ", ".join(stale))
    # against beta: the annealed objective has none (reporting/shapes_figures.py draws it along
    # training)
    found = [s for s in found if not s.get("stale") and summaries.objective(s) == "beta"]
    written = []
    for dataset in sorted({toolkit.dataset(s) for s in found}):
        groups = summaries.grouped([s for s in found if toolkit.dataset(s) == dataset])
        for num_balls, by_model in sorted(groups.items()):
            if dataset == "shapes":
                title, name, paper = "2D shapes", "shapes", PAPER_BETA_VAE_SCORE
            else:
                title = f"{num_balls} ball(s)"
                name, paper = f"{analysis.ball_word(num_balls)}_ball", None
            written.append(toolkit.save(draw_scores(title, by_model, paper), figures_dir,
                                f"{name}_scores.png"))
    return written


GIF_STEPS = 21  # values from -3 to 3 and back


GIF_SCALE = 3  # pixels per image pixel


def traversal_gif(config, model, path):
    """An animated GIF: each active latent (the heat map's rows whose average stddev is
    below ACTIVE_STDDEV; the first row if none is) swept from -3 to 3 and back, one panel
    per latent, the others at the posterior mean of the heat map's image. Drawn
    bottom-up, as the heat maps."""
    from PIL import Image, ImageDraw

    image, ranked, stddev = analysis.traversal_inputs(model, config, TRAVERSAL_ROWS)
    latents = [i for i in ranked if stddev[i] < ACTIVE_STDDEV] or [int(ranked[0])]
    values = np.linspace(-3.0, 3.0, GIF_STEPS)
    grid = analysis.traversal(model, image, latents, values)  # [latents, steps, 32, 32]
    size, gap, top = grid.shape[-1] * GIF_SCALE, 4, 14
    frames = []
    for t in list(range(GIF_STEPS)) + list(range(GIF_STEPS - 2, 0, -1)):
        canvas = Image.new("L", (len(latents) * (size + gap) + gap, size + top + gap), 255)
        draw = ImageDraw.Draw(canvas)
        for k, latent in enumerate(latents):
            panel = (grid[k, t, ::-1] * 255).clip(0, 255).astype(np.uint8)
            panel = Image.fromarray(panel).resize((size, size), Image.NEAREST)
            x = gap + k * (size + gap)
            canvas.paste(panel, (x, top))
            draw.text((x, 1), f"z{latent} {values[t]:+.1f}", fill=0)
        frames.append(canvas)
    os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
    frames[0].save(path, save_all=True, append_images=frames[1:], duration=80, loop=0)
    logging.info("wrote %s", path)
    return path


def heat_map_name(config):
    """The original's name, heat_map_model_<m>_num_balls_<n>_beta_<beta>: the run
    directory's name after its prefix, so a seed other than 0 adds _seed_<seed>, a shapes
    run names its dataset in place of the balls, and an annealed run its gamma and C_max
    in place of beta."""
    return "heat_map" + dataclasses.replace(config, train_dir="").run_dir


def run_figures(config, model, summary, points, figures_dir, redraw=True):
    """A run's own figures in figures_dir: its heat map, its traversal GIF and, for 2D
    shapes, its mutual-information matrix, latent KLs along training (points) and
    reconstructions. redraw=False draws only those missing (a kept summary's figures
    stay; a kind added since, or one deleted, is drawn). Returns the paths written."""
    name = heat_map_name(config)
    written = []

    def missing(file_name):
        return redraw or not os.path.exists(os.path.join(figures_dir, file_name))

    if missing(name + ".png"):
        written.append(toolkit.save(draw_traversal(config, model), figures_dir, name + ".png"))
    gif = os.path.join("traversals", name.replace("heat_map", "traversal") + ".gif")
    if missing(gif):
        traversal_gif(config, model, os.path.join(figures_dir, gif))
        written.append(os.path.join(figures_dir, gif))
    if config.dataset == "shapes":
        if (missing(shapes_figures.figure_name(name, "mutual_information"))
                or points and missing(shapes_figures.figure_name(name, "latent_kl"))):
            written += shapes_figures.run_figures(summary, points, figures_dir, name)
        reconstructions = shapes_figures.figure_name(name, "reconstructions")
        if missing(reconstructions):
            written.append(toolkit.save(shapes_figures.draw_reconstructions(config, model),
                                figures_dir, reconstructions))
    return written
