import csv
import json
import os

from results import identity
from reporting import plots, tables
from results import protocol_change

RUN = "train_store_model_fully_connected_num_balls_1_beta_0.1"


def _summary(evaluation, **numbers):
    base = {"run": RUN, "num_balls": 1, "model": "fully_connected", "beta": 0.1, "seed": 0,
            "step": 4, "checkpoint": "abc", "reconstruction": 21.5, "iid_reconstruction": 21.6,
            "beta_vae": 0.9, "factor_vae": 0.6, "mig": 0.02, "evaluation": evaluation,
            "score_details": {"beta_vae_iterations": 117}}
    return dict(base, **numbers)


def test_previous_keeps_the_replaced_numbers_only_across_protocols():
    old = _summary(2)
    new = _summary(3, beta_vae=0.85)
    before = protocol_change.previous(old, new)
    assert before == {"step": 4, "checkpoint": "abc", "reconstruction": 21.5,
                      "iid_reconstruction": 21.6, "beta_vae": 0.9, "factor_vae": 0.6,
                      "mig": 0.02, "evaluation": 2}
    # scored again under the same protocol: the record of the older one is carried on
    assert protocol_change.previous(dict(new, previous_protocol=before), _summary(3)) == before
    assert protocol_change.previous(_summary(3), _summary(3)) is None
    assert protocol_change.previous(None, new) is None


def test_rows_and_markdown_give_old_new_and_the_change():
    new = _summary(3, beta_vae=0.85, factor_vae=0.66, checkpoint="def",
                   previous_protocol=protocol_change.previous(_summary(2), _summary(3)))
    other = _summary(3, run="x", beta=1.0, previous_protocol=dict(
        protocol_change.previous(_summary(2, beta_vae=0.8, mig=None), _summary(3))))
    table = protocol_change.rows([new, _summary(3, run="unchanged"), other])
    assert [r["run"] for r in table] == [RUN, "x"]
    first = table[0]
    assert abs(first["beta_vae_change"] - (-0.05)) < 1e-12
    assert abs(first["factor_vae_change"] - 0.06) < 1e-12
    assert first["reconstruction_change"] == 0 and first["same_checkpoint"] is False
    assert table[1]["same_checkpoint"] is True and table[1]["mig_change"] is None
    text = protocol_change.markdown(table)
    assert ("| 1 | fully_connected | 0.1 | 0 | 2 -> 3 | trained again, the same model |"
            in text)
    assert "0.900 -> 0.850 (-0.050)" in text and "| 117 |" in text
    assert "On the 2 runs that are the same model both ways" in text
    assert "the scores moved: beta-VAE -0.050 to +0.100;" in text
    # one trained again to another model is shown, and left out of the summary line
    moved = dict(new, reconstruction=22.0)
    text = protocol_change.markdown(protocol_change.rows([moved, other]))
    assert "trained again, another model" in text and "beta-VAE +0.100 to +0.100;" in text
    assert "1 other run(s) were trained again to another model" in text


def test_a_run_scored_again_by_a_newer_protocol_keeps_what_it_replaced(two_runs, tmp_path):
    from results import summaries
    out = str(tmp_path / "figs")
    plots.error_graphs(two_runs, out)
    path = os.path.join(out, "runs", RUN, "summary.json")
    with open(path) as f:
        kept = json.load(f)
    kept.update(evaluation=identity.EVALUATION - 1, beta_vae=0.5)  # as an older protocol
    with open(path, "w") as f:
        json.dump(kept, f)
    found = summaries.collect(two_runs, out)  # scores it again: it is stale
    with open(path) as f:
        new = json.load(f)
    assert new["evaluation"] == identity.EVALUATION and new["beta_vae"] is None
    assert new["previous_protocol"]["evaluation"] == identity.EVALUATION - 1
    assert new["previous_protocol"]["beta_vae"] == 0.5
    assert new["previous_protocol"]["reconstruction"] == kept["reconstruction"]
    assert new["previous_protocol"]["checkpoint"] == new["checkpoint"]
    tables.protocol_change_files(found, out)
    with open(os.path.join(out, "protocol_change.csv")) as f:
        table = list(csv.DictReader(f))
    assert [r["run"] for r in table] == [RUN] and table[0]["same_checkpoint"] == "True"
    assert float(table[0]["beta_vae_before"]) == 0.5 and table[0]["beta_vae_change"] == ""
    assert float(table[0]["reconstruction_change"]) == (new["reconstruction"]
                                                        - kept["reconstruction"])
