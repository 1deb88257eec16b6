"""What a new evaluation protocol moved, on the same runs.

When a run is scored again under a newer protocol (identity.EVALUATION), its new summary
keeps what the replaced one said as "previous_protocol" (summaries.current). This module
turns those pairs into the rows and markdown of protocol_change.md and .csv, which
reporting.tables.metrics_table writes beside the metrics table
(reporting/create_metrics_table.py), so the table of old against new is computed from the
kept summaries, not typed. The reconstruction is shown both ways too: a run trained again
from scratch (no checkpoint left) is the same model only if it is the same to rounding.
No TensorFlow.
"""

# What a replaced summary's numbers are kept as (besides its protocol).
KEPT = ("step", "checkpoint", "reconstruction", "iid_reconstruction", "beta_vae",
        "factor_vae", "mig")
COMPARED = (("reconstruction", "reconstruction", 6), ("beta_vae", "beta-VAE", 3),
            ("factor_vae", "FactorVAE", 3), ("mig", "MIG", 4))
FILE = "protocol_change"
# A run trained again from scratch counts as the same model when its reconstruction is the
# old one to this many nats (float rounding across machines moves it by about 1e-3).
SAME_MODEL_NATS = 0.01


def previous(old, new):
    """The "previous_protocol" record a new summary carries: the replaced summary's numbers
    when an older protocol made it; the replaced one's own record when the protocol is the
    same (scored again for another reason); None when there was nothing before."""
    if not old:
        return None
    if old.get("evaluation") == new.get("evaluation"):
        return old.get("previous_protocol")
    return dict({k: old.get(k) for k in KEPT}, evaluation=old.get("evaluation"))


def rows(summaries):
    """One row per summary that carries a previous protocol: old, new and their
    difference for each compared number."""
    out = []
    for s in summaries:
        before = s.get("previous_protocol")
        if not before:
            continue
        row = {"run": s["run"], "num_balls": s.get("num_balls"), "model": s.get("model"),
               "beta": s.get("beta"), "seed": s.get("seed", 0),
               "from": before.get("evaluation"), "to": s.get("evaluation"),
               "same_checkpoint": bool(before.get("checkpoint"))
               and before.get("checkpoint") == s.get("checkpoint"),
               "beta_vae_iterations": (s.get("score_details") or {}).get(
                   "beta_vae_iterations")}
        for key, _, _ in COMPARED:
            old, new = before.get(key), s.get(key)
            row[f"{key}_before"], row[f"{key}_after"] = old, new
            row[f"{key}_change"] = (new - old if isinstance(old, (int, float))
                                    and isinstance(new, (int, float)) else None)
        change = row["reconstruction_change"]
        row["same_model"] = row["same_checkpoint"] or (change is not None
                                                       and abs(change) < SAME_MODEL_NATS)
        out.append(row)
    return out


def _cell(row, key, digits):
    old, new, change = row[f"{key}_before"], row[f"{key}_after"], row[f"{key}_change"]
    if change is None:
        return "-"
    return f"{old:.{digits}f} -> {new:.{digits}f} ({change:+.{digits}f})"


def markdown(table):
    head = (["balls", "model", "beta", "seed", "protocol", "checkpoint"]
            + [label for _, label, _ in COMPARED] + ["beta-VAE fit iterations"])
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for r in table:
        cells = [r["num_balls"], r["model"], r["beta"], r["seed"], f"{r['from']} -> {r['to']}",
                 "the same" if r["same_checkpoint"] else
                 "trained again, the same model" if r["same_model"] else
                 "trained again, another model"]
        cells += [_cell(r, key, digits) for key, _, digits in COMPARED]
        cells.append("-" if r["beta_vae_iterations"] is None else r["beta_vae_iterations"])
        lines.append("| " + " | ".join(str(c) for c in cells) + " |")
    same = [r for r in table if r["same_model"]]
    changes = {key: [r[f"{key}_change"] for r in same if r[f"{key}_change"] is not None]
               for key, _, _ in COMPARED[1:]}
    summary = "; ".join(f"{label} {min(changes[key]):+.{d}f} to {max(changes[key]):+.{d}f}"
                        for key, label, d in COMPARED[1:] if changes[key])
    said = []
    if same:
        said.append(f"On the {len(same)} runs that are the same model both ways (the same "
                    f"checkpoint, or trained again to a reconstruction within "
                    f"{SAME_MODEL_NATS} nats of the old), the scores moved: {summary}.")
    if len(table) > len(same):
        said.append(f"{len(table) - len(same)} other run(s) were trained again to another "
                    f"model, so their change mixes the protocol with the model's.")
    return "\n".join(lines) + "\n\n" + " ".join(said) + "\n"
