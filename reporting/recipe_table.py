"""One sweep's runs against the original, with another sweep's seed means beside them:
recipes.md and recipes.csv (reporting/create_metrics_table.py --beside). For figures/faithful (the
original's own recipe, one seed, as it ran) beside figures/reproduce (this project's
recipe, three seeds): a row per run with its reconstruction by the original's protocol
and on i.i.d. images (each +- its standard error), the original's number, KL, active
latents, the scores, the range of its i.i.d. reconstruction over the checkpoints it
keeps (where reporting/create_checkpoint_spread.py has scored them), the training time and the
machine it ran on, then the other sweep's mean +- sd for the same setting.
"""

import csv
import os

from reporting import toolkit
from results import summaries
from results.original import TARGET_MARGIN

COLUMNS = ("num_balls", "model", "beta", "seed", "step", "reconstruction",
           "reconstruction_se", "iid_reconstruction", "iid_reconstruction_se", "original",
           "minus_original", "kl", "active_latents") + tuple(k for k, _ in toolkit.SCORES) + (
    "checkpoint_low", "checkpoint_high", "checkpoints", "training_minutes", "machines",
    "beside", "beside_seeds", "beside_mean", "beside_sd",
    "beside_minus_original")


def read_settings(figures_dir):
    """{(num_balls, model, beta): row} of figures_dir/seeds.csv ({} if it has none)."""
    path = os.path.join(figures_dir, "seeds.csv")
    if not os.path.exists(path):
        return {}
    with open(path, newline="") as f:
        return {(int(r["num_balls"]), r["model"], float(r["beta"])): r
                for r in csv.DictReader(f) if r.get("objective", "beta") == "beta"}


def machines_cell(machines):
    """"2 vCPU AMD EPYC, AVX2", or each machine with its steps when there were several;
    "not recorded" for a run trained before sessions.csv existed."""
    if not machines:
        return "not recorded"
    if len(machines) == 1:
        return next(iter(machines))
    return "; ".join(f"{m} ({steps} steps)" for m, steps in machines.items())


def _threads(summary):
    """", 1 thread": the intra-op threads of its (last) session; "" for TF's default."""
    threads = summary.get("config", {}).get("threads") or 0
    return f", {threads} thread{'s' if threads > 1 else ''}" if threads > 0 else ""


def checkpoint_range(figures_dir, run):
    """(lowest, highest, count) of the i.i.d. reconstruction over the run's kept
    checkpoints (runs/<run>/checkpoints.csv, reporting/create_checkpoint_spread.py), or Nones."""
    path = os.path.join(summaries.folder(figures_dir, run), summaries.CHECKPOINTS_FILE)
    if not os.path.exists(path):
        return None, None, None
    with open(path, newline="") as f:
        values = [float(r["iid_reconstruction"] or r["reconstruction"])
                  for r in csv.DictReader(f)]
    return min(values), max(values), len(values)


def rows_beside(rows, settings, name, figures_dir):
    """The table's rows: each run's own numbers, the spread over its kept checkpoints, and
    the setting's row in settings."""
    out = []
    for r in rows:
        other = settings.get((r["num_balls"], r["model"], float(r["beta"])), {})
        original = r["original_reconstruction"]
        seconds = r.get("training_seconds")
        row = {k: r.get(k) for k in COLUMNS}
        row["checkpoint_low"], row["checkpoint_high"], row["checkpoints"] = checkpoint_range(
            figures_dir, r["run"])
        row.update({
            "original": original if toolkit.known(original) else None,
            "minus_original": (r["reconstruction"] - original if toolkit.known(original)
                               else None),
            "training_minutes": round(seconds / 60, 1) if seconds else None,
            "machines": machines_cell(r.get("machines")) + _threads(r), "beside": name,
            "beside_seeds": other.get("seeds"),
            "beside_mean": float(other["mean"]) if other else None,
            "beside_sd": float(other["sd"]) if other else None,
            "beside_minus_original": (float(other["minus_original"])
                                      if other.get("minus_original") else None)})
        for key, _ in toolkit.SCORES:
            row[key] = toolkit.score(r, key)
        row["stale"], row["evaluation"] = r.get("stale"), r.get("evaluation")
        out.append(row)
    return out


def _pm(value, se, digits=2):
    return "-" if value is None else f"{value:.2f} +- {se:.{digits + 1}f}"


def _signed(value):
    return "-" if value is None else f"{value:+.2f}"


def _dci_cell(row):
    cells = [toolkit.score_cell(row, k) for k in ("dci_disentanglement", "dci_completeness",
                                                 "dci_informativeness")]
    return "-" if cells == ["-"] * 3 else " / ".join(cells)


def markdown(rows, name):
    head = ["balls", "model", "beta", "original's protocol +- se", "i.i.d. images +- se",
            "original", "minus original", "KL", "active latents", "beta-VAE", "FactorVAE",
            "MIG", "DCI d / c / i", "SAP", "kept checkpoints, i.i.d.", "training (min)", "machine",
            f"{name}: mean +- sd (seeds)", f"{name} minus original"]
    cells = []
    for r in rows:
        seeds = len((r["beside_seeds"] or "").split())
        cells.append([
            str(r["num_balls"]), r["model"], str(r["beta"]),
            _pm(r["reconstruction"], r["reconstruction_se"]),
            _pm(r["iid_reconstruction"], r["iid_reconstruction_se"]),
            "-" if r["original"] is None else f"{r['original']:.2f}",
            _signed(r["minus_original"]), f"{r['kl']:.2f}", str(r["active_latents"]),
            toolkit.score_cell(r, "beta_vae"), toolkit.score_cell(r, "factor_vae"),
            toolkit.score_cell(r, "mig"),
            _dci_cell(r),
            toolkit.score_cell(r, "sap"),
            "-" if r["checkpoints"] is None else
            f"{r['checkpoint_low']:.2f} to {r['checkpoint_high']:.2f} ({r['checkpoints']})",
            "-" if r["training_minutes"] is None else f"{r['training_minutes']:.0f}",
            r["machines"],
            "-" if r["beside_mean"] is None else
            f"{r['beside_mean']:.2f} +- {r['beside_sd']:.2f} ({seeds})",
            _signed(r["beside_minus_original"])])
    return toolkit.render(head, cells) + toolkit.stale_note(rows) + "\n" + summary_line(rows, name)


def summary_line(rows, name):
    """How many runs land within the original + TARGET_MARGIN (by the 2 decimals shown),
    the worst, and the same count for the other sweep's means."""
    judged = [r for r in rows if r["minus_original"] is not None]
    if not judged:
        return ""
    minus = [round(r["minus_original"], 2) for r in judged]
    worst = max(judged, key=lambda r: r["minus_original"])
    text = (f"Of {len(judged)} runs, {sum(m <= TARGET_MARGIN for m in minus)} are within "
            f"the original + {TARGET_MARGIN} nats and {sum(m <= 0 for m in minus)} at or "
            f"below it; the worst is {worst['model']} with {worst['num_balls']} ball(s) at "
            f"beta {worst['beta']} ({worst['minus_original']:+.2f}).")
    others = [round(r["beside_minus_original"], 2) for r in judged
              if r["beside_minus_original"] is not None]
    if others:
        text += (f" {name}'s means for the same settings: {sum(m <= TARGET_MARGIN for m in others)}"
                 f" of {len(others)} within the original + {TARGET_MARGIN}.")
    return text + "\n"


def write(rows, figures_dir, beside_dir):
    """recipes.csv and recipes.md in figures_dir for the ball runs in rows (summaries), with
    beside_dir's seeds.csv beside them; returns the paths written."""
    rows = [r for r in rows if toolkit.dataset(r) == "balls"
            and r.get("objective", "beta") == "beta"]
    if not rows:
        return []
    name = os.path.basename(os.path.normpath(beside_dir))
    table = rows_beside(rows, read_settings(beside_dir), name, figures_dir)
    return [toolkit.write_csv(os.path.join(figures_dir, "recipes.csv"), COLUMNS, table),
            toolkit.write_text(os.path.join(figures_dir, "recipes.md"), markdown(table, name))]
