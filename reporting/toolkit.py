"""The figure and table toolkit every reporting module draws with: saving a figure, a
mean and sd over seeds (as numbers, as text, as a plotted bar with each seed's dot), a
summary's score and its table cell, markdown tables, and CSV and text files."""

import csv
import os

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib import transforms  # noqa: E402
import numpy as np  # noqa: E402
from absl import logging  # noqa: E402

from betavae.datasets import MODELS_FOR  # noqa: E402
from results import identity, summaries  # noqa: E402

MODELS = MODELS_FOR["balls"]  # the ball models, in the tables' order


MODELS = MODELS_FOR["balls"]  # the ball models, in the tables' order


def save(fig, figures_dir, name):
    """Writes fig as figures_dir/name and closes it; returns the path."""
    os.makedirs(figures_dir, exist_ok=True)
    path = os.path.join(figures_dir, name)
    fig.savefig(path, dpi=100, bbox_inches="tight")
    plt.close(fig)
    logging.info("wrote %s", path)
    return path


def spread(values):
    """(mean, sd) of a list; sd 0 for one value (ddof 1: the sample's spread)."""
    values = np.asarray(values, dtype=np.float64)
    return float(values.mean()), float(values.std(ddof=1)) if len(values) > 1 else 0.0


def draw_seeds(ax, by_beta, **style):
    """Plots {beta: [one value per seed]}: the mean over seeds with a bar of +- one sd,
    each seed of two or more as a small dot beside it; returns the mean's line."""
    betas = sorted(by_beta)
    stats = [spread(by_beta[b]) for b in betas]
    line = ax.errorbar(betas, [m for m, _ in stats], yerr=[sd for _, sd in stats],
                       marker="o", capsize=3, **style).lines[0]
    beside = transforms.offset_copy(ax.transData, fig=ax.figure, x=5, units="points")
    for b in (b for b in betas if len(by_beta[b]) > 1):  # right of the bar: caps hide
        ax.plot([b] * len(by_beta[b]), by_beta[b], ".", ms=4, color=line.get_color(),
                alpha=0.8, transform=beside, zorder=3)
    return line


def seeds_label(by_model):
    counts = sorted({len(v) for by_beta in by_model.values() for v in by_beta.values()})
    if counts == [1]:
        return "one seed"
    return f"{'-'.join(map(str, counts))} seeds: mean, bar +- sd, dots each seed"


SCORES = (("beta_vae", "beta-VAE"), ("factor_vae", "FactorVAE"), ("mig", "MIG"),
          ("dci_disentanglement", "DCI disentanglement"),
          ("dci_completeness", "DCI completeness"),
          ("dci_informativeness", "DCI informativeness"), ("sap", "SAP"))


STALE_MARK = "*"


def score(summary, key):
    """A summary's score, or None where it was not scored (or by a protocol before it)."""
    value = summary.get(key)
    return value if known(value) else None


def stale_note(rows):
    """The line under a table that has scores made by an older protocol ("" if none)."""
    old = sorted({r.get("evaluation") for r in rows if r.get("stale")}, key=str)
    if not old:
        return ""
    return (f"\n\\{STALE_MARK} scored by evaluation protocol {', '.join(map(str, old))}, not "
            f"the current {identity.EVALUATION} (see identity.EVALUATION): stale until the "
            "run is rescored from its checkpoint; \"-\" where that protocol had no such "
            "score.\n")


def known(value):
    return value not in ("", None)


def render(head, cells, omit=()):
    """A markdown table of the columns in head, without those named in omit and those
    that are "-" in every row (the original's columns, for a dataset it never ran)."""
    keep = [i for i, h in enumerate(head)
            if h not in omit and any(row[i] != "-" for row in cells)]
    lines = ["| " + " | ".join(head[i] for i in keep) + " |", "|" + "---|" * len(keep)]
    lines += ["| " + " | ".join(row[i] for i in keep) + " |" for row in cells]
    return "\n".join(lines) + "\n"


def beta_cell(beta, row):
    """The beta column: "-" for an annealed run (its weight is gamma, in its row's name)."""
    return "-" if row.get("objective", summaries.objective(row)) == "annealed" else str(beta)


def score_cell(row, key):
    value = score(row, key)
    if value is None:
        return "-"
    return f"{value:.3f}" + (STALE_MARK if row.get("stale") else "")


def mean_sd(mean, sd, seeds, digits):
    """'mean +- sd' over several seeds; one seed has no spread to give."""
    if seeds > 1:
        return f"{mean:.{digits}f} +- {sd:.{digits}f}"
    return f"{mean:.{digits}f} (one seed)"


def write_csv(path, columns, rows):
    with open(path, "w", newline="") as f:
        writer = csv.DictWriter(f, columns, extrasaction="ignore")
        writer.writeheader()
        writer.writerows(rows)
    return path


def write_text(path, text):
    with open(path, "w") as f:
        f.write(text)
    return path


def dataset(summary):
    return summary.get("dataset", summary.get("config", {}).get("dataset", "balls"))


def sweep_order(model):
    return MODELS.index(model) if model in MODELS else len(MODELS)
