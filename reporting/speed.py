"""Training speed as the committed sweeps measured it: for every kept run trained on one
kind of machine, images per second over its whole training (steps x batch / the wall
seconds its metrics.csv logged, compilation included), grouped by sweep, model, machine
and precision. Runs of a sweep usually shared the machine with another run (./run
--jobs=2, one thread each), so this is what a sweep gets, not one run alone."""

import os
import statistics

from results import summaries

# The committed sweeps' folders under figures/, as docs/performance.md's table reads them.
DEFAULT_FOLDERS = ("reproduce", "faithful", "quick", "shapes_small_sprites",
                   "shapes_development", "shapes_development_bf16", "shapes")
COLUMNS = ("sweep", "model", "machine", "precision", "runs", "images/s (median)",
           "images/s (range)")


def speed_rows(figures_dirs):
    """[row dict] sorted by sweep, model and machine, from the kept summaries of each
    folder; a run trained on more than one kind of machine is left out."""
    groups = {}
    for figures_dir in figures_dirs:
        for s in summaries.kept_summaries(figures_dir):
            machines, seconds = s.get("machines") or {}, s.get("training_seconds")
            if len(machines) != 1 or not seconds:
                continue
            config = s.get("config", {})
            key = (os.path.basename(figures_dir.rstrip("/")), s["model"], next(iter(machines)),
                   config.get("precision", "float32"))
            groups.setdefault(key, []).append(s["step"] * config["batch_size"] / seconds)
    return [{"sweep": sweep, "model": model, "machine": machine, "precision": precision,
             "runs": len(v), "median": statistics.median(v), "low": min(v), "high": max(v)}
            for (sweep, model, machine, precision), v in sorted(groups.items())]


def speed_markdown(rows):
    lines = ["| " + " | ".join(COLUMNS) + " |", "|" + "---|" * len(COLUMNS)]
    for r in rows:
        lines.append(f"| {r['sweep']} | {r['model']} | {r['machine']} | {r['precision']} | "
                     f"{r['runs']} | {r['median']:.0f} | {r['low']:.0f}-{r['high']:.0f} |")
    return "\n".join(lines) + "\n"
