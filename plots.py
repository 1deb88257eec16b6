"""The original's figures, drawn from trained runs (a library: the create_*.py scripts
call it with their flags). Images are drawn square, so balls look round.

Every function finds runs through runs.load_runs (config.json), rebuilds each model with
architecture.py and restores its latest checkpoint; a run that cannot be loaded is named
in a warning and skipped.
"""

import csv
import os

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from absl import logging  # noqa: E402

import analysis  # noqa: E402
from architecture import ACTIVE_STDDEV, active_latents  # noqa: E402
import metrics  # noqa: E402
from runs import load_runs  # noqa: E402
from sweep import MODELS, ORIGINAL_RECONSTRUCTION  # noqa: E402


def save(fig, figures_dir, name):
    """Writes fig as figures_dir/name and closes it; returns the path."""
    os.makedirs(figures_dir, exist_ok=True)
    path = os.path.join(figures_dir, name)
    fig.savefig(path, dpi=100, bbox_inches="tight")
    plt.close(fig)
    logging.info("wrote %s", path)
    return path


TRAVERSAL_ROWS = 10
TRAVERSAL_VALUES = (-3.0, -1.5, 0.0, 1.5, 3.0)


def draw_traversal(config, model):
    stddev = analysis.average_stddev(model, analysis.images(config.num_balls, 1000, seed=3))
    latents = np.argsort(stddev)[:TRAVERSAL_ROWS]
    image = analysis.images(config.num_balls, 1, seed=4)[0]
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
    fig.suptitle(f"{config.model}, {config.num_balls} ball(s), beta {config.beta}\n"
                 "rows: latents by average stddev (left)", fontsize=9)
    return fig


STDDEV_IMAGES = 1000


def draw_stddev(num_balls, model_name, by_beta):
    x = analysis.images(num_balls, STDDEV_IMAGES, seed=5)
    fig, ax = plt.subplots(figsize=(6, 4))
    for beta in sorted(by_beta):
        _, _, model = by_beta[beta]
        stddev = np.sort(analysis.average_stddev(model, x))
        ax.plot(np.arange(len(stddev)), stddev, marker="o", ms=3,
                label=f"beta {beta} ({active_latents(stddev)} active)")
    ax.axhline(1.0, color="gray", lw=0.5)
    ax.set_xlabel("latent (sorted by average stddev)")
    ax.set_ylabel(f"average posterior stddev over {STDDEV_IMAGES} images")
    ax.set_title(f"{model_name}, {num_balls} ball(s)")
    ax.legend()
    return fig


def draw_reconstruction(num_balls, by_model):
    floor = analysis.entropy_floor(num_balls)
    fig, ax = plt.subplots(figsize=(6, 4))
    for model_name, by_beta in sorted(by_model.items()):
        betas = sorted(by_beta)
        losses = [analysis.reconstruction_and_kl(by_beta[b][2], num_balls)[0] for b in betas]
        for beta, loss in zip(betas, losses):
            logging.info("%d ball(s) %s beta %s: reconstruction %.2f nats/image",
                         num_balls, model_name, beta, loss)
        ax.plot(betas, losses, marker="o", label=model_name)
    ax.axhline(floor, color="black", ls="--", lw=1,
               label=f"entropy floor {floor:.2f} (perfect model)")
    ax.set_xlabel("beta")
    ax.set_ylabel("reconstruction loss (nats per image)")
    ax.set_title(f"{num_balls} ball(s): 100 batches of 32 images")
    ax.legend()
    return fig


def cool_images(train_dir, figures_dir):
    """heat_map_model_<model>_num_balls_<n>_beta_<beta>.png for every run."""
    return [save(draw_traversal(config, model), figures_dir, heat_map_name(config) + ".png")
            for _, config, model, _ in load_runs(train_dir)]


def stddev_graphs(train_dir, figures_dir):
    """{one,two}_ball_stddev_<model>.png: one figure per dataset and model."""
    groups = analysis.group_runs(load_runs(train_dir))
    return [save(draw_stddev(num_balls, model_name, by_beta), figures_dir,
                 f"{analysis.ball_word(num_balls)}_ball_stddev_{model_name}.png")
            for num_balls, by_model in sorted(groups.items())
            for model_name, by_beta in sorted(by_model.items())]


def error_graphs(train_dir, figures_dir):
    """{one,two}_ball_reconstruction_loss.png: one figure per dataset."""
    groups = analysis.group_runs(load_runs(train_dir))
    return [save(draw_reconstruction(num_balls, by_model), figures_dir,
                 f"{analysis.ball_word(num_balls)}_ball_reconstruction_loss.png")
            for num_balls, by_model in sorted(groups.items())]


TABLE_COLUMNS = ("model", "num_balls", "beta", "step", "reconstruction", "kl",
                 "active_latents", "beta_vae", "factor_vae", "mig", "original_reconstruction",
                 "run_dir")


def score_run(directory, config, model, step, num_train, num_eval, num_mig, seed=0):
    """One row of the metrics table for a restored run."""
    recon, kl = analysis.reconstruction_and_kl(model, config.num_balls)
    stddev = analysis.average_stddev(model, analysis.images(config.num_balls, 1000, seed=5))
    scores = metrics.evaluate(lambda x: model.encode(x)[0].numpy(), config.num_balls, seed,
                              num_train, num_eval, num_mig)
    original = ORIGINAL_RECONSTRUCTION.get((config.num_balls, config.model), {})
    return {"model": config.model, "num_balls": config.num_balls, "beta": config.beta,
            "step": step, "reconstruction": recon, "kl": kl,
            "active_latents": active_latents(stddev),
            "beta_vae": scores["beta_vae"], "factor_vae": scores["factor_vae"],
            "mig": scores["mig"], "original_reconstruction": original.get(config.beta, ""),
            "run_dir": directory}


def _markdown(rows):
    head = ["balls", "model", "beta", "step", "reconstruction", "original", "KL",
            "active latents", "beta-VAE", "FactorVAE", "MIG"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for r in rows:
        original = r["original_reconstruction"]
        lines.append("| " + " | ".join([
            str(r["num_balls"]), r["model"], str(r["beta"]), str(r["step"]),
            f"{r['reconstruction']:.2f}", f"{original:.2f}" if original != "" else "-",
            f"{r['kl']:.2f}", str(r["active_latents"]), f"{r['beta_vae']:.3f}",
            f"{r['factor_vae']:.3f}", f"{r['mig']:.3f}"]) + " |")
    return "\n".join(lines) + "\n"


def draw_mig(num_balls, rows):
    fig, ax = plt.subplots(figsize=(6, 4))
    for model_name in sorted({r["model"] for r in rows}):
        mine = sorted((r["beta"], r["mig"]) for r in rows if r["model"] == model_name)
        ax.plot([b for b, _ in mine], [m for _, m in mine], marker="o", label=model_name)
    ax.set_xlabel("beta")
    ax.set_ylabel("MIG")
    ax.set_ylim(0, 1)
    ax.set_title(f"{num_balls} ball(s): mutual information gap against the true positions")
    ax.legend()
    return fig


def metrics_table(train_dir, figures_dir, num_train=metrics.NUM_TRAIN,
                  num_eval=metrics.NUM_EVAL, num_mig=metrics.NUM_MIG):
    """metrics.csv, metrics.md and {one,two}_ball_mig.png; returns the paths written."""
    rows = []
    for loaded in load_runs(train_dir):
        rows.append(score_run(*loaded, num_train, num_eval, num_mig))
        logging.info("%s: %s", loaded[0], {k: rows[-1][k] for k in TABLE_COLUMNS[3:10]})
    if not rows:
        return []
    rows.sort(key=lambda r: (r["num_balls"], sweep_order(r["model"]), r["beta"]))
    os.makedirs(figures_dir, exist_ok=True)
    csv_path = os.path.join(figures_dir, "metrics.csv")
    with open(csv_path, "w", newline="") as f:
        writer = csv.DictWriter(f, TABLE_COLUMNS)
        writer.writeheader()
        writer.writerows(rows)
    md_path = os.path.join(figures_dir, "metrics.md")
    with open(md_path, "w") as f:
        f.write(_markdown(rows))
    written = [csv_path, md_path]
    for num_balls in sorted({r["num_balls"] for r in rows}):
        written.append(save(draw_mig(num_balls, [r for r in rows if r["num_balls"] == num_balls]),
                            figures_dir, f"{analysis.ball_word(num_balls)}_ball_mig.png"))
    return written


def sweep_order(model):
    return MODELS.index(model) if model in MODELS else len(MODELS)


GIF_STEPS = 21  # values from -3 to 3 and back
GIF_SCALE = 3  # pixels per image pixel


def traversal_gif(config, model, stddev, path):
    """An animated GIF: each active latent (at most 10, lowest average stddev first; the
    lowest one if none is active) swept from -3 to 3 and back, one panel per latent,
    the others held at the posterior mean of one image. Rows drawn bottom-up, as the
    heat maps."""
    from PIL import Image, ImageDraw

    order = np.argsort(stddev)
    latents = [i for i in order if stddev[i] < ACTIVE_STDDEV][:TRAVERSAL_ROWS]
    latents = latents or [int(order[0])]
    values = np.linspace(-3.0, 3.0, GIF_STEPS)
    image = analysis.images(config.num_balls, 1, seed=4)[0]
    grid = analysis.traversal(model, image, latents, values)  # [latents, steps, 32, 32]
    size, gap, top = 32 * GIF_SCALE, 4, 14
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
    return f"heat_map_model_{config.model}_num_balls_{config.num_balls}_beta_{config.beta}"
