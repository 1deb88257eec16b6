"""The 2D-shapes experiment's own figures and table, from the runs' kept results, and one
from the model itself (a library: plots.run_figures, reporting/create_score_graph.py and
reporting/create_metrics_table.py call it).

- the beta-VAE score, FactorVAE score and MIG against training images, a line per
  objective (mean +- sd over seeds), with the paper's numbers as markers;
- per run, the mutual information between each active latent and each factor, divided by
  the factor's entropy (latents sorted by KL), each latent's KL against images, and each
  shape in three poses beside what the model draws of it;
- the table per objective, beside the paper's and disentanglement_lib's numbers.

An objective is a run's weighting of the KL term: beta 1 (a plain VAE), beta 4 (the
paper's beta-VAE), or the capacity-annealed one (Burgess et al. 2018).
"""

import os

import numpy as np
import tensorflow as tf
from absl import logging

from reporting import toolkit
from betavae import schedules
from betavae import shapes
from results import summaries
from architecture import ACTIVE_STDDEV
from results.original import PAPER_BETA_VAE_SCORE, REFERENCE_RECONSTRUCTION

FACTORS = shapes.FACTORS
SHAPE = FACTORS.index("shape")
ALONG = (("beta_vae", "beta-VAE score"), ("factor_vae", "FactorVAE score"), ("mig", "MIG"))
# disentanglement_lib (Locatello et al. 2019) gives its dSprites scores as plots of the
# distribution over its models (the paper's figures) and as the 10800 trained models'
# results to download; it prints no number per model and dataset, and none is estimated
# from its plots here.
DISENTANGLEMENT_LIB = ("disentanglement_lib publishes its dSprites scores for beta-VAE and "
                       "AnnealedVAE as distributions over its models (plots in Locatello et "
                       "al. 2019, \"Challenging common assumptions in the unsupervised "
                       "learning of disentangled representations\") and as its 10800 trained "
                       "models' results to download (its README); it prints no single "
                       "number for them, so none is given here.")


def by_objective(found):
    """{"<network>, <objective>": [summaries, by seed]}: burgess before paper_fc, each
    network's beta runs first (by beta), then annealed. Runs of one objective scored at
    different lengths (a shortened run beside full ones) are groups of their own, longest
    first, each label ending in its length, so that no mean mixes them."""
    groups = {}
    for s in sorted(found, key=lambda s: (summaries.network_label(s),
                                          summaries.objective(s) != "beta", s["beta"],
                                          -_images(s), s.get("seed", 0))):
        label = f"{summaries.network_label(s)}, {summaries.objective_label(s)}"
        groups.setdefault(label, {}).setdefault(_images(s), []).append(s)
    return {(label if len(lengths) == 1 else f"{label} ({images:.1f}M images)"): runs
            for label, lengths in groups.items() for images, runs in lengths.items()}


def ranked_latents(summary):
    """The active latents (average stddev below ACTIVE_STDDEV), highest KL first; the
    latent of highest KL alone if none is active."""
    kl = np.asarray(summary["latent_kl"])
    order = np.argsort(-kl, kind="stable")
    active = [int(i) for i in order if summary["stddev"][i] < ACTIVE_STDDEV]
    return active or [int(order[0])]


def _detail(summary, key):
    """score_details[key] of a kept summary, or None where not recorded."""
    return (summary.get("score_details") or {}).get(key)


def information(summary):
    """[latents, 5] mutual information of each latent with each factor over the factor's
    entropy (the MIG's matrix, score_details.mutual_information), or None if unscored."""
    matrix = _detail(summary, "mutual_information")
    return None if matrix is None else np.asarray(matrix, np.float64)


def shape_information(summary):
    """(latent, its normalised mutual information with shape): the active latent that
    carries the most about shape (an inactive one's mean can vary with the image, but the
    decoder does not use it); None if the run has no matrix."""
    matrix = information(summary)
    if matrix is None:
        return None
    latent = max(ranked_latents(summary), key=lambda i: matrix[i, SHAPE])
    return latent, float(matrix[latent, SHAPE])


def shape_accuracy(summary):
    """How well the shape can be read from all the latents together, however mixed: the
    DCI classifier's test accuracy on shape (chance 1/3); None where not recorded."""
    per_factor = _detail(summary, "dci_informativeness_per_factor")
    return None if per_factor is None else float(per_factor[SHAPE])


def draw_information(summary):
    """The matrix of ranked_latents (rows) against the five factors, values written in."""
    matrix = information(summary)
    rows = ranked_latents(summary)
    fig, ax = toolkit.plt.subplots(figsize=(6, 1.2 + 0.45 * len(rows)), layout="constrained")
    shown = matrix[rows]
    image = ax.imshow(shown, vmin=0, vmax=1, cmap="viridis", aspect="auto")
    for (r, c), value in np.ndenumerate(shown):
        ax.text(c, r, f"{value:.2f}", ha="center", va="center", fontsize=8,
                color="black" if value > 0.5 else "white")
    ax.set_xticks(range(len(FACTORS)), FACTORS)
    kl = summary["latent_kl"]
    ax.set_yticks(range(len(rows)), [f"z{i} (KL {kl[i]:.2f})" for i in rows])
    fig.colorbar(image, ax=ax, label="I(z; factor) / H(factor)")
    ax.set_title(f"{summaries.objective_label(summary)}, seed {summary.get('seed', 0)}, "
                 f"{_images(summary):.1f}M images: active latents by KL", fontsize=9)
    return fig


def _images(summary):
    """Millions of images the run had trained on when it was scored."""
    return summary["step"] * summary["config"]["batch_size"] / 1e6


def capacity_target(summary, step):
    """The annealed objective's target KL C (nats per image) at a training step, by the
    schedule training used; None for a beta run, which has no target."""
    if summaries.objective(summary) != "annealed":
        return None
    config = summary["config"]
    return float(schedules.capacity(step, config["c_max"], config["c_steps"]))


def draw_latent_kl(summary, points):
    """Each latent's KL (nats) against training images, from the points scored along
    the way; the latents active at the end named in the legend. For the annealed
    objective also the total KL and its target C, which it is trained to follow."""
    points = sorted(points, key=lambda p: p["images"])
    images = [p["images"] / 1e6 for p in points]
    kl = np.asarray([p["latent_kl"] for p in points])
    active = set(ranked_latents(summary))
    fig, ax = toolkit.plt.subplots(figsize=(7, 4), layout="constrained")
    for i in np.argsort(-kl[-1], kind="stable"):
        ax.plot(images, kl[:, i], marker=".", lw=1.5 if i in active else 0.8,
                label=f"z{i}" if i in active else None, color=None if i in active else "0.6")
    if capacity_target(summary, 0) is not None:
        ax.plot(images, [p["kl"] for p in points], marker=".", color="black", lw=1.5,
                label="total KL")
        ax.plot(images, [capacity_target(summary, p["step"]) for p in points], ls="--",
                color="red", lw=1, zorder=3, label="C, its target")
    ax.set_xlabel("training images (millions)")
    ax.set_ylabel("KL of the latent (nats per image)")
    ax.set_title(f"{summaries.objective_label(summary)}, seed {summary.get('seed', 0)}: each "
                 "latent's KL along training (grey: inactive at the end)", fontsize=9)
    if active:
        ax.legend(fontsize=7, ncol=2)
    return fig


# The poses each shape is reconstructed in: (orientation, x, y) indices, at scale 1.
RECONSTRUCTION_POSES = ((0, 16, 16), (5, 6, 25), (12, 25, 8))
LARGEST_SCALE = len(shapes.SCALES) - 1  # scale 1


def reconstruction_factors():
    """[9, 5] factor indices: each of the three shapes in each RECONSTRUCTION_POSES."""
    return np.array([[shape, LARGEST_SCALE, o, x, y] for shape in range(len(shapes.SHAPES))
                     for o, x, y in RECONSTRUCTION_POSES], np.int32)


def draw_reconstructions(config, model):
    """Each shape in three poses (top) and what the model draws from its posterior mean
    (bottom, the decoder's pixel probabilities): whether it tells the shapes apart."""
    images = shapes.render(tf.constant(reconstruction_factors()))
    mean, _ = model.encode(images)
    drawn = tf.sigmoid(model.decode(mean)).numpy()[..., 0]
    images = images.numpy()[..., 0]
    fig, axes = toolkit.plt.subplots(2, len(images), figsize=(1.1 * len(images), 2.6))
    for col in range(len(images)):
        axes[0, col].imshow(images[col], cmap="gray", vmin=0, vmax=1)
        axes[1, col].imshow(drawn[col], cmap="gray", vmin=0, vmax=1)
    for ax in axes.flat:
        ax.set_xticks([])
        ax.set_yticks([])
    axes[0, 0].set_ylabel("input", fontsize=8)
    axes[1, 0].set_ylabel("drawn", fontsize=8)
    for col, shape in enumerate(shapes.SHAPES):
        axes[0, col * len(RECONSTRUCTION_POSES)].set_title(shape, fontsize=8, loc="left")
    fig.suptitle(f"{config.model}, 2D shapes, {summaries.config_label(config)}, "
                 f"seed {config.seed}: each shape and its reconstruction", fontsize=9)
    return fig


def figure_name(name, kind):
    """The file name of a run's figure of this kind ("mutual_information", "latent_kl",
    "reconstructions"), from its heat map's name (plots.heat_map_name)."""
    return name.replace("heat_map", kind) + ".png"


def run_figures(summary, points, figures_dir, name):
    """The run's mutual-information matrix and latent-KL figure, named after its heat
    map (name: plots.heat_map_name); returns the paths written."""
    written = []
    if information(summary) is not None:
        written.append(toolkit.save(draw_information(summary), figures_dir,
                                  figure_name(name, "mutual_information")))
    if points:
        written.append(toolkit.save(draw_latent_kl(summary, points), figures_dir,
                                  figure_name(name, "latent_kl")))
    return written


def seed_lines(groups, progress):
    """{objective: {score: [(seed, images [M], values)]}}: each run's own points, so a
    figure can show the seeds behind a mean (two flat lines far apart are not a band)."""
    out = {}
    for label, found in groups.items():
        for key, _ in ALONG:
            lines = []
            for s in found:
                points = [p for p in progress.get(s["run"], []) if p.get(key) is not None]
                if points:
                    lines.append((s.get("seed", 0), np.array([p["images"] for p in points]) / 1e6,
                                  np.array([p[key] for p in points])))
            out.setdefault(label, {})[key] = lines
    return out


def along(per_seed):
    """{objective: {score: (images [M], mean, sd, seeds at each)}} from seed_lines: at each
    number of images, over the seeds scored there."""
    out = {}
    for label, by_score in per_seed.items():
        for key, lines in by_score.items():
            at = {}
            for _, xs, values in lines:
                for x, v in zip(xs, values):
                    at.setdefault(x, []).append(v)
            xs = sorted(at)
            stats = [toolkit.spread(at[x]) for x in xs]
            out.setdefault(label, {})[key] = (np.array(xs), np.array([m for m, _ in stats]),
                                              np.array([sd for _, sd in stats]),
                                              [len(at[x]) for x in xs])
    return out


def draw_along(curves, per_seed=None):
    """A panel per score against images, a line per objective with a +-sd band, each
    seed's own line thin behind it (per_seed: from seed_lines); the paper's beta-VAE scores
    (VAE, beta-VAE at beta 4) as hollow markers at the right."""
    fig, axes = toolkit.plt.subplots(1, len(ALONG), figsize=(16, 4.5), layout="constrained")
    colors = {}
    end = max((c[key][0][-1] for c in curves.values() for key, _ in ALONG if len(c[key][0])),
              default=1.0)
    for ax, (key, name) in zip(axes, ALONG):
        for label, by_score in curves.items():
            xs, mean, sd, seeds = by_score[key]
            if not len(xs):
                continue
            line, = ax.plot(xs, mean, marker=".", color=colors.get(label),
                            label=f"{label} ({max(seeds)} seed{'s' if max(seeds) > 1 else ''})")
            colors[label] = line.get_color()
            ax.fill_between(xs, mean - sd, mean + sd, color=line.get_color(), alpha=0.2)
            for _, seed_xs, values in (per_seed or {}).get(label, {}).get(key, []):
                ax.plot(seed_xs, values, color=line.get_color(), lw=0.7, alpha=0.6)
        if key == "beta_vae":
            for beta, (score, err) in sorted(PAPER_BETA_VAE_SCORE.items()):
                same = [c for label, c in colors.items() if label.endswith(f", beta {beta:g}")]
                ax.errorbar([end * 1.04], [score], yerr=[err], marker="s", mfc="none", ms=9,
                            ls="none", color=same[0] if len(same) == 1 else "black",
                            label=f"the paper, {'VAE' if beta == 1 else 'beta-VAE'} "
                                  f"(beta {beta:g}): {score:.2%}")
        ax.set_xlabel("training images (millions)")
        ax.set_ylabel(name)
        ax.set_ylim(0, 1.02)
        ax.legend(fontsize=7)
    fig.suptitle("2D shapes: the scores along training (mean +- sd over seeds, each seed a "
                 "thin line; reduced sizes along the way, disentanglement_lib's at the end)",
                 fontsize=9)
    return fig


def _current_shapes(found):
    """The shapes runs scored by the current protocol (an older one's have no matrix)."""
    stale = [s["run"] for s in found if toolkit.dataset(s) == "shapes" and s.get("stale")]
    if stale:
        logging.warning("shapes figures: %d runs scored by an older protocol left out: %s",
                        len(stale), ", ".join(stale))
    return [s for s in found if toolkit.dataset(s) == "shapes" and not s.get("stale")]


def _points(found, figures_dir):
    """(the current shapes runs, {run: its kept points along training})."""
    found = _current_shapes(found)
    return found, {s["run"]: summaries.read_progress(figures_dir, s["run"]) for s in found}


def along_graph(found, figures_dir):
    """shapes_scores_along_training.png from the shapes runs' kept points; [] if none."""
    found, progress = _points(found, figures_dir)
    if not any(progress.values()):
        logging.info("no shapes run has points along training: no along-training figure")
        return []
    per_seed = seed_lines(by_objective(found), progress)
    figure = draw_along(along(per_seed), per_seed)
    return [toolkit.save(figure, figures_dir, "shapes_scores_along_training.png")]


POINT_SCORES = (("reconstruction", "reconstruction (nats)", 2), ("kl", "KL (nats)", 2),
                ("active_latents", "active latents", 0), ("beta_vae", "beta-VAE", 3),
                ("factor_vae", "FactorVAE", 3), ("mig", "MIG", 3),
                ("shape_information", "shape information", 3))


def along_markdown(groups, progress):
    """A table per run of its points along training (progress: {run: [points]}), under a
    line naming its objective and seed; a point scored at the full sizes is marked. An
    annealed run's table has its target C beside its KL."""
    full = summaries.table_sizes()
    parts = []
    for label, runs in groups.items():
        for s in runs:
            points = progress.get(s["run"], [])
            if not points:
                continue
            annealed = capacity_target(s, 0) is not None
            head = ["images"] + [n for _, n, _ in POINT_SCORES]
            if annealed:  # its target beside the KL
                head.insert(3, "C (nats)")
            cells = []
            for p in points:
                row = [f"{p['images'] / 1e6:.1f}M"
                       + (" (full sizes)" if p.get("table_sizes") == full else "")]
                row += [_number(_value(p, k), d) for k, _, d in POINT_SCORES]
                if annealed:
                    row.insert(3, _number(capacity_target(s, p["step"]), 2))
                cells.append(row)
            parts.append(f"{label}, seed {s.get('seed', 0)} (`{s['run']}`):\n\n"
                         + toolkit.render(head, cells))
    return ("Each run's points along training (`runs/<run>/progress.jsonl`): reduced sizes "
            "(2000/1000 classifier points, 5000 for MIG) unless marked; reconstruction and KL "
            "on 3200 images.\n\n" + "\n".join(parts))


def along_table(found, figures_dir):
    """shapes_along.md: along_markdown of the finished shapes runs; [] if none has points."""
    found, progress = _points(found, figures_dir)
    if not any(progress.values()):
        return []
    os.makedirs(figures_dir, exist_ok=True)
    return [toolkit.write_text(os.path.join(figures_dir, "shapes_along.md"),
                              along_markdown(by_objective(found), progress))]


OBJECTIVE_SCORES = (("beta_vae", "beta-VAE", 3), ("factor_vae", "FactorVAE", 3),
                    ("mig", "MIG", 3), ("active_latents", "active latents", 1),
                    ("reconstruction", "reconstruction (nats)", 2),
                    ("shape_information", "shape information", 3),
                    ("shape_accuracy", "shape from all latents", 3))


def objective_rows(found):
    """A row per objective: its seeds and, for each of OBJECTIVE_SCORES, mean and sd."""
    rows = []
    for label, runs in by_objective(found).items():
        row = {"objective": label, "seeds": " ".join(str(s.get("seed", 0)) for s in runs),
               "images": runs[0]["step"] * runs[0]["config"]["batch_size"],
               "reference_reconstruction": REFERENCE_RECONSTRUCTION.get(
                   (runs[0].get("model"), summaries.objective_label(runs[0])))}
        for key, _, _ in OBJECTIVE_SCORES:
            values = [_value(s, key) for s in runs]
            values = [v for v in values if v is not None]
            row[key], row[key + "_sd"] = toolkit.spread(values) if values else (None, None)
        rows.append(row)
    return rows


def _value(summary, key):
    if key == "shape_information":
        found = shape_information(summary)
        return None if found is None else found[1]
    if key == "shape_accuracy":
        return shape_accuracy(summary)
    return toolkit.score(summary, key)


def run_rows(found):
    """A row per run: its objective, seed, scores and the latent that carries shape."""
    rows = []
    for label, runs in by_objective(found).items():
        for s in runs:
            shape = shape_information(s)
            rows.append({"objective": label, "seed": s.get("seed", 0), "step": s["step"],
                         **{k: _value(s, k) for k, _, _ in OBJECTIVE_SCORES},
                         "shape_latent": None if shape is None else f"z{shape[0]}",
                         # the beta-VAE classifier's accuracy per held-fixed factor
                         "beta_vae_told": _detail(s, "beta_vae_per_factor")})
    return rows


def _cell(value, sd, seeds, digits):
    if value is None:
        return "-"
    return toolkit.mean_sd(value, sd, seeds, digits)


def _number(value, digits=3):
    """One run's value, or "-" where it was not scored."""
    return "-" if value is None else f"{value:.{digits}f}"


def objective_markdown(rows, per_run):
    head = (["network, objective", "seeds", "images"] + [n for _, n, _ in OBJECTIVE_SCORES]
            + ["disentangling-vae's reconstruction"])
    cells = [[r["objective"], r["seeds"], f"{r['images'] / 1e6:.1f}M"]
             + [_cell(r[k], r[k + "_sd"], len(r["seeds"].split()), d)
                for k, _, d in OBJECTIVE_SCORES]
             + [_number(r["reference_reconstruction"], 2)] for r in rows]
    paper = "; ".join(f"{'VAE' if b == 1 else 'beta-VAE'} (beta {b:g}) {s:.2%} +- {e:.1%}"
                      for b, (s, e) in sorted(PAPER_BETA_VAE_SCORE.items()))
    run_head = ["network, objective", "seed", "step", "beta-VAE", "FactorVAE", "MIG",
                "latent carrying shape", "its shape information", "shape from all latents",
                "beta-VAE, each factor held fixed (" + "/".join(FACTORS) + ")"]
    run_cells = [[r["objective"], str(r["seed"]), str(r["step"])]
                 + [_number(r[k]) for k in ("beta_vae", "factor_vae", "mig")]
                 + [r["shape_latent"] or "-", _number(r["shape_information"]),
                    _number(r["shape_accuracy"]),
                    "-" if r["beta_vae_told"] is None
                    else "/".join(_number(v, 2) for v in r["beta_vae_told"])]
                 for r in per_run]
    return (toolkit.render(head, cells)
            + "\nShape information: the largest mutual information of one active latent with "
              "the shape, over the shape's entropy (1: the latent tells the shape exactly). "
              "Shape from all latents: the test accuracy of the DCI score's classifier of "
              "the shape from every latent together (chance 0.333), so a shape the code "
              "holds but spreads over several latents still shows. Each factor held fixed: "
              "the beta-VAE score's classifier's accuracy on the points where that factor "
              "was the one held fixed (chance 0.2)."
            + (" disentangling-vae's reconstruction: the last training loss of its "
               "committed dSprites runs of the same network and recipe (30 passes): "
               "VAE_dsprites and betaH_dsprites."
               if any(r["reference_reconstruction"] for r in rows) else "")
            + (" (small sprites): runs on this project's first renderer, whose shapes were "
               "smaller than dSprites' (figures/shapes_small_sprites/)."
               if any("(small sprites)" in r["objective"] for r in rows) else "") + "\n"
            + f"\nThe paper's beta-VAE score on 2D shapes (Higgins et al. 2017, Figure 6): "
              f"{paper}.\n\n{DISENTANGLEMENT_LIB}\n\n" + toolkit.render(run_head, run_cells))


OBJECTIVE_COLUMNS = (("objective", "seeds", "images")
                     + tuple(c for k, _, _ in OBJECTIVE_SCORES for c in (k, k + "_sd"))
                     + ("reference_reconstruction",))


def objective_table(found, figures_dir, beside=()):
    """shapes_objectives.csv and .md: the shapes runs' scores per network and objective and
    per run, beside the paper's; [] when there is no shapes run. beside: summaries of
    other folders' runs, shown as rows of their own (their network's label says which)."""
    found = _current_shapes(list(found) + list(beside))
    if not found:
        return []
    rows = objective_rows(found)
    os.makedirs(figures_dir, exist_ok=True)
    return [toolkit.write_csv(os.path.join(figures_dir, "shapes_objectives.csv"),
                             OBJECTIVE_COLUMNS, rows),
            toolkit.write_text(os.path.join(figures_dir, "shapes_objectives.md"),
                              objective_markdown(rows, run_rows(found)))]


def along_graphs(train_dir, figures_dir, sizes=None):
    """along_graph of the runs summaries.collect finds (reporting/create_score_graph.py)."""
    return along_graph(summaries.collect(train_dir, figures_dir,
                                         sizes or summaries.table_sizes()), figures_dir)


def objective_tables(train_dir, figures_dir, sizes=None, beside=()):
    """objective_table and along_table of the runs summaries.collect finds
    (reporting/create_metrics_table.py); the objective table also shows the runs kept in the
    `beside` folders."""
    sizes = sizes or summaries.table_sizes()
    found = summaries.collect(train_dir, figures_dir, sizes)
    others = [s for folder in beside
              for s in summaries.collect(os.path.join(folder, summaries.RUNS_DIR, "none"),
                                         folder, sizes)]
    return objective_table(found, figures_dir, others) + along_table(found, figures_dir)
