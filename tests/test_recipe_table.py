"""Where a run was trained (runs.sessions.csv) and the table of one sweep's runs beside
another's seed means (reporting/recipe_table.py), on kept results made up here."""

import csv
import json
import os

from results import identity
from reporting import tables
from reporting import recipe_table
from betavae import runs
from results import summaries
from betavae.config import Config


def test_the_machine_is_named_by_its_processor_cores_and_vector_width(tmp_path):
    info = tmp_path / "cpuinfo"
    info.write_text("processor\t: 0\nmodel name\t: Some CPU 9000\n"
                    "flags\t\t: fpu sse2 avx avx2 fma\n"
                    "processor\t: 1\nmodel name\t: Some CPU 9000\n"
                    "flags\t\t: fpu sse2 avx avx2 fma avx512f\n")
    cpus = len(os.sched_getaffinity(0))
    assert runs.describe_machine(str(info), gpus=0) == f"{cpus} vCPU Some CPU 9000, AVX2"
    info.write_text("model name\t: Other\nflags\t\t: avx2 avx512f avx512bw\n")
    assert runs.describe_machine(str(info), gpus=1) == f"{cpus} vCPU Other, AVX-512, 1 GPU"
    assert runs.describe_machine(str(tmp_path / "none"), gpus=0).startswith(f"{cpus} vCPU ")


def test_steps_are_counted_to_the_machine_of_each_session(tmp_path):
    assert runs.machine_steps(str(tmp_path), 100) == {}  # trained before sessions.csv
    runs.record_session(str(tmp_path), 0, "A")
    runs.record_session(str(tmp_path), 30, "B")  # killed before its first checkpoint
    runs.record_session(str(tmp_path), 30, "B")
    runs.record_session(str(tmp_path), 70, "A")
    assert runs.machine_steps(str(tmp_path), 100) == {"A": 60, "B": 40}
    assert runs.machine_steps(str(tmp_path), 50) == {"A": 30, "B": 20}
    with open(tmp_path / runs.SESSIONS_FILE, newline="") as f:
        assert [r["step"] for r in csv.DictReader(f)] == ["0", "30", "30", "70"]
    assert recipe_table.machines_cell({"A": 70}) == "A"
    assert recipe_table.machines_cell({"A": 40, "B": 30}) == "A (40 steps); B (30 steps)"
    assert recipe_table.machines_cell({}) == "not recorded"


def _summary(model, num_balls, beta, reconstruction, original, machines=None, threads=0):
    config = Config(model=model, num_balls=num_balls, beta=beta, max_step=100000,
                    train_dir="ts", threads=threads)
    return {"run": os.path.basename(config.run_dir), "model": model, "dataset": "balls",
            "num_balls": num_balls, "beta": beta, "seed": 0, "step": 100000,
            "reconstruction": reconstruction, "reconstruction_se": 0.05,
            "iid_reconstruction": reconstruction + 0.01, "iid_reconstruction_se": 0.02,
            "reconstruction_images": 3200, "kl": 9.0, "active_latents": 2,
            "beta_vae": 0.9, "factor_vae": 0.8, "mig": 0.1, "dci_disentanglement": 0.5,
            "dci_completeness": 0.4, "dci_informativeness": 0.6, "sap": 0.05,
            "original_reconstruction": original, "training_seconds": 3000.0,
            "machines": machines or {}, "evaluation": identity.EVALUATION, "run_dir": config.run_dir,
            "table_sizes": summaries.table_sizes(),
            "config": json.loads(config.to_json()), "stddev": [0.1, 0.1, 1.0],
            "latent_kl": [3.0, 3.0, 0.0], "score_details": {}}


def test_each_run_beside_the_other_sweeps_mean(tmp_path):
    ours, other = str(tmp_path / "faithful"), str(tmp_path / "reproduce")
    for figures_dir, found in (
            (ours, [_summary("conv", 1, 1.0, 23.00, 22.97, {"2 vCPU X, AVX2": 100000}, 1),
                    _summary("conv", 2, 0.5, 46.80, 46.56)]),
            (other, [_summary("conv", 1, 1.0, 22.90, 22.97), _summary("conv", 2, 0.5, 46.60,
                                                                       46.56)])):
        for s in found:
            summaries.save(s, figures_dir)
    tables.metrics_table("/tmp/none/train_store", other)
    with open(os.path.join(summaries.folder(ours, "ts_model_conv_num_balls_2_beta_0.5"),
                           summaries.CHECKPOINTS_FILE), "w") as f:
        f.write("step,reconstruction,iid_reconstruction\n98000,46.9,47.1\n"
                "99000,46.5,46.6\n100000,46.8,46.81\n")
    written = tables.metrics_table("/tmp/none/train_store", ours, beside=other)
    assert os.path.join(ours, "recipes.md") in written
    with open(os.path.join(ours, "recipes.csv"), newline="") as f:
        rows = {(r["num_balls"], r["beta"]): r for r in csv.DictReader(f)}
    one = rows[("1", "1.0")]
    assert abs(float(one["minus_original"]) - 0.03) < 1e-9
    assert abs(float(one["beside_mean"]) - 22.90) < 1e-9
    assert one["machines"] == "2 vCPU X, AVX2, 1 thread" and one["training_minutes"] == "50.0"
    assert rows[("2", "0.5")]["machines"] == "not recorded"
    text = open(os.path.join(ours, "recipes.md")).read()
    assert "| 23.00 +- 0.050 | 23.01 +- 0.020 | 22.97 | +0.03 |" in text
    assert "| 46.60 to 47.10 (3) |" in text  # the i.i.d. numbers of the kept checkpoints
    assert "22.90 +- 0.00 (1)" in text and "0.500 / 0.400 / 0.600" in text
    # +0.03 is within the original + 0.1, +0.24 is not and is the worst
    assert ("Of 2 runs, 1 are within the original + 0.1 nats and 0 at or below it; the "
            "worst is conv with 2 ball(s) at beta 0.5 (+0.24).") in text
    assert "reproduce's means for the same settings: 2 of 2 within" in text
