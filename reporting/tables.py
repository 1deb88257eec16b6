"""The ball sweeps' tables: metrics.md and .csv (a row per run), seeds.md and .csv (a row per
setting: its seeds' spread against the original), the protocol-change files and, with
--beside, the recipe table (reporting/recipe_table.py)."""

import os

from absl import logging

from betavae import analysis
from reporting import plots, recipe_table, toolkit
from results import protocol_change, summaries
from results.original import TARGET_MARGIN


TABLE_COLUMNS = (("model", "num_balls", "beta", "seed", "step", "reconstruction",
                  "reconstruction_se", "reconstruction_images", "kl", "active_latents")
                 + tuple(k for k, _ in toolkit.SCORES)
                 + ("evaluation", "original_reconstruction", "iid_reconstruction",
                    "iid_reconstruction_se", "run_dir", "objective"))


def _ball_columns(rows):
    """The ball count is a column only when a row is of balls."""
    return () if any(toolkit.dataset(r) == "balls" for r in rows) else ("balls",)


def markdown(rows):
    head = ["balls", "model", "beta", "seed", "step", "reconstruction +- se", "original",
            "minus original", "KL", "active latents"] + [n for _, n in toolkit.SCORES]
    cells = []
    for r in rows:
        original = r["original_reconstruction"]
        cells.append([
            str(r["num_balls"]), summaries.model_label(r), toolkit.beta_cell(r["beta"], r),
            str(r.get("seed", 0)),
            str(r["step"]), f"{r['reconstruction']:.2f} +- {r['reconstruction_se']:.3f}",
            f"{original:.2f}" if toolkit.known(original) else "-",
            f"{r['reconstruction'] - original:+.2f}" if toolkit.known(original) else "-",
            f"{r['kl']:.2f}", str(r["active_latents"])]
            + [toolkit.score_cell(r, k) for k, _ in toolkit.SCORES])
    return toolkit.render(head, cells, _ball_columns(rows)) + toolkit.stale_note(rows)


def seed_table(groups):
    """Rows of the per-setting table: each seed's reconstruction, their mean and sd, the
    original, the mean minus the original, and each score's mean and sd over seeds."""
    rows = []
    for num_balls, by_model in sorted(groups.items()):
        for model_name in sorted(by_model, key=toolkit.sweep_order):
            for beta, by_seed in sorted(by_model[model_name].items()):
                found = [s for _, s in sorted(by_seed.items())]
                mean, sd = toolkit.spread([s["reconstruction"] for s in found])
                original = found[0]["original_reconstruction"]
                row = {"num_balls": num_balls, "model": model_name, "beta": beta,
                       "dataset": toolkit.dataset(found[0]),
                       "objective": summaries.objective(found[0]),
                       "seeds": " ".join(str(s.get("seed", 0)) for s in found),
                       "reconstructions": " ".join(f"{s['reconstruction']:.2f}"
                                                   for s in found),
                       "max_se": max(s["reconstruction_se"] for s in found),
                       "mean": mean, "sd": sd, "original": original,
                       "minus_original": mean - original if toolkit.known(original) else None}
                for key, _ in toolkit.SCORES:
                    row.update(_seed_score(found, key))
                row["stale"] = any(s.get("stale") for s in found)
                row["evaluation"] = min((s.get("evaluation") or 0 for s in found))
                rows.append(row)
    return rows


def _seed_score(found, key):
    """One score's mean and sd over a setting's seeds, never mixing protocols: over the
    seeds scored by the current protocol where any is, else over the stale ones (then
    marked stale); with how many seeds it is over."""
    scored = [(bool(s.get("stale")), toolkit.score(s, key)) for s in found]
    current = [v for stale, v in scored if v is not None and not stale]
    values = current or [v for _, v in scored if v is not None]
    mean, sd = toolkit.spread(values) if values else (None, None)
    return {key: mean, key + "_sd": sd, key + "_seeds": len(values),
            key + "_stale": bool(values) and not current}


def _seed_score_cell(row, key, seeds):
    """A score's cell in the seed table: mean +- sd, with the seeds it is over when they
    are fewer than the setting's, and the stale mark when they are all stale."""
    if row[key] is None:
        return "-"
    used = row[key + "_seeds"]
    if used == seeds:
        text = toolkit.mean_sd(row[key], row[key + "_sd"], seeds, 3)
    elif used == 1:
        text = f"{row[key]:.3f} (1 of {seeds} seeds)"
    else:
        text = f"{row[key]:.3f} +- {row[key + '_sd']:.3f} ({used} of {seeds} seeds)"
    return text + (toolkit.STALE_MARK if row[key + "_stale"] else "")


def seed_markdown(rows):
    head = ["balls", "model", "beta", "seeds", "reconstruction per seed", "mean +- sd",
            "largest se", "original", "mean minus original"] + [n for _, n in toolkit.SCORES]
    cells = []
    for r in rows:
        n = len(r["seeds"].split())
        cells.append([
            str(r["num_balls"]), r["model"], toolkit.beta_cell(r["beta"], r), r["seeds"],
            r["reconstructions"], toolkit.mean_sd(r["mean"], r["sd"], n, 2), f"{r['max_se']:.3f}",
            f"{r['original']:.2f}" if toolkit.known(r["original"]) else "-",
            f"{r['minus_original']:+.2f}" if r["minus_original"] is not None else "-"]
            + [_seed_score_cell(r, k, n) for k, _ in toolkit.SCORES])
    return toolkit.render(head, cells, _ball_columns(rows)) + toolkit.stale_note(rows)


def against_original(rows):
    """One sentence on the seed table's rows that have the original's number: how many
    means are at most the original + TARGET_MARGIN, and how many at or below it, by the
    difference as the table shows it (2 decimals); "" when no row has one."""
    rows = [r for r in rows if r["minus_original"] is not None]
    if not rows:
        return ""
    counts = sorted({len(r["seeds"].split()) for r in rows})
    seeds = "-".join(map(str, counts)) + (" seed" if counts == [1] else " seeds")
    minus = [round(r["minus_original"], 2) for r in rows]  # as the table shows them
    within, below = sum(m <= TARGET_MARGIN for m in minus), sum(m <= 0 for m in minus)
    return (f"Of {len(rows)} settings ({seeds} each), {within} have a mean reconstruction "
            f"at most the original + {TARGET_MARGIN} nats, and {below} at or below "
            "the original.\n")


SEED_COLUMNS = (("num_balls", "model", "beta", "seeds", "reconstructions", "mean", "sd",
                 "max_se", "original", "minus_original")
                + tuple(c for k, _ in toolkit.SCORES for c in (k, k + "_sd", k + "_seeds"))
                + ("evaluation", "objective"))


def protocol_change_files(rows, figures_dir):
    """protocol_change.csv and .md (results/protocol_change.py) when any summary in rows carries a
    previous protocol; returns the paths written."""
    changed = protocol_change.rows(rows)
    if not changed:
        return []
    path = os.path.join(figures_dir, protocol_change.FILE)
    return [toolkit.write_csv(path + ".csv", list(changed[0]), changed),
            toolkit.write_text(path + ".md", protocol_change.markdown(changed))]


def metrics_table(train_dir, figures_dir, sizes=None, beside=None):
    """metrics.csv and metrics.md (a row per run), seeds.csv and seeds.md (a row per
    setting: its seeds' spread), protocol_change.md and .csv (the runs scored again by a
    newer protocol: results/protocol_change.py) and {one,two}_ball_mig.png; returns the paths
    written.

    sizes: the scores' sizes (summaries.table_sizes(); default disentanglement_lib's).
    beside: another sweep's figures folder; then also recipes.md and recipes.csv
    (reporting/recipe_table.py): each ball run with that sweep's seed mean beside it."""
    rows = [dict(r, objective=summaries.objective(r))
            for r in summaries.collect(train_dir, figures_dir, sizes or summaries.table_sizes())]
    for r in rows:
        logging.info("%s: %s", r["run"], {k: r.get(k) for k in TABLE_COLUMNS[3:17]})
    if not rows:
        return []
    rows.sort(key=lambda r: (r["num_balls"], toolkit.sweep_order(r["model"]), r["beta"],
                             r.get("seed", 0)))
    os.makedirs(figures_dir, exist_ok=True)
    groups = summaries.grouped(rows)
    settings = seed_table(groups)
    counts = against_original(settings)
    written = [toolkit.write_csv(os.path.join(figures_dir, "metrics.csv"), TABLE_COLUMNS, rows),
               toolkit.write_text(os.path.join(figures_dir, "metrics.md"), markdown(rows)),
               toolkit.write_csv(os.path.join(figures_dir, "seeds.csv"), SEED_COLUMNS, settings),
               toolkit.write_text(os.path.join(figures_dir, "seeds.md"),
                           seed_markdown(settings) + "\n" + counts)]
    logging.info("%s", counts.strip())
    written += protocol_change_files(rows, figures_dir)
    if beside:
        written += recipe_table.write(rows, figures_dir, beside)
    balls = summaries.grouped([r for r in rows
                               if toolkit.dataset(r) == "balls" and not r.get("stale")])
    for num_balls, by_model in sorted(balls.items()):
        figure = plots.draw_mig(num_balls, plots.per_seed(by_model, "mig"))
        written.append(toolkit.save(figure, figures_dir,
                            f"{analysis.ball_word(num_balls)}_ball_mig.png"))
    return written
