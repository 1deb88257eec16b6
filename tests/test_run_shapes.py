"""./run --shapes (sweep/runner.py): its runs, scored at points along training, resumed
without losing or repeating a point, and its preset's length."""

import os

from results import summaries
from sweep import plan
from sweep import runner
from test_run import FakeExecute, as_script, run, run_sweep  # noqa: F401 (run: a fixture)


def test_the_shapes_preset_trains_burgess_and_the_papers_network_when_named(run, monkeypatch,
                                                                          tmp_path):
    fake = run_sweep(run, monkeypatch, tmp_path, "--shapes", "--seeds=0,1")
    trained = fake.trained()
    ends = [a for a in trained if not any(x.startswith("--stop_at=") for x in a)]
    assert len(ends) == 6  # beta 4, beta 1 and annealed, two seeds
    assert all("--dataset=shapes" in a and "--model=burgess" in a and "--optimizer=adam" in a
               and "--batch_size=64" in a for a in trained)
    assert sorted(a[4] for a in ends) == ["--beta=1.0"] * 4 + ["--beta=4.0"] * 2
    assert sum("--objective=annealed" in a for a in ends) == 2
    dirs = sorted(os.listdir(tmp_path / "ck"))
    assert "ts_dataset_shapes_model_burgess_beta_4.0_seed_1" in dirs
    assert "ts_dataset_shapes_model_burgess_annealed_gamma_1000.0_c_25.0_seed_1" in dirs
    scripts = [a for a, _ in fake.calls if "main.py" not in a[1]]
    assert sum("--progress" in a for a in scripts) == 6
    assert [a[1] for a in scripts[-2:]] == ["reporting/create_metrics_table.py",
                                            "reporting/create_score_graph.py"]
    # the kept runs of the first renderer join its objective table
    assert "--shapes_beside=figures/shapes_small_sprites" in scripts[-2]
    paper = run_sweep(run, monkeypatch, tmp_path, "--shapes", "--models=paper_fc").trained()
    assert paper and all("--model=paper_fc" in a and "--optimizer=adagrad" in a
                         for a in paper)


def _fake_points(fake, figures_dir, fingerprint=lambda step: None):
    """A FakeExecute that also keeps a point for each reporting/create_run_summary.py --point, of
    the checkpoint fingerprint(step)."""
    def execute(sweep_, tag, argv, log_path, gpu=None):
        code = fake(tag, argv, log_path, gpu)
        if "--point" in argv:
            name = os.path.basename(as_script(argv)[2].split("=", 1)[1])
            steps = [int(a.split("=")[1]) for a in fake.trained()[-1] if a.startswith("--stop_at=")]
            summaries.record_point(str(figures_dir), {
                "run": name, "step": steps[-1], "config": {"batch_size": 128},
                "checkpoint": fingerprint(steps[-1])})
        return code
    return execute


def test_shapes_runs_are_scored_along_the_way_and_a_resume_repeats_no_point(
        run, monkeypatch, tmp_path):
    fake = FakeExecute()
    monkeypatch.setattr(run.Sweep, "execute", _fake_points(fake, tmp_path / "figs"))
    argv = ["--shapes", "--models=paper_fc", "--betas=4.0", "--objectives=beta",
            "--train_dir",
            str(tmp_path / "ck" / "ts"), "--figures_dir", str(tmp_path / "figs")]
    assert run.main(argv) == 0
    # trained to each point in turn, scored there, then to the end and summarized
    steps = [a[-1] for a in fake.trained()]
    assert steps == [f"--stop_at={s}" for s in range(12500, 150000, 12500)] + [
        "--max_step=150000"]
    # each stage keeps the run's length, so no stage looks like a finished run
    assert all([x for x in a if x.startswith("--max_step=")] == ["--max_step=150000"]
               for a in fake.trained())
    scripts = [a[1:] for a, _ in fake.calls if a[1] == "reporting/create_run_summary.py"]
    assert sum("--point" in a for a in scripts) == 11
    assert "--progress" in scripts[-1] and "--point" not in scripts[-1]
    name = "ts_dataset_shapes_model_paper_fc_beta_4.0"
    points = summaries.read_progress(str(tmp_path / "figs"), name)
    assert [p["step"] for p in points] == list(range(12500, 150000, 12500))
    assert points[0]["images"] == 12500 * 128
    # the same command again: every point is kept, none is scored again
    fake.calls.clear()
    assert run.main(argv) == 0
    assert not any("--point" in a for a, _ in fake.calls)
    assert len(summaries.read_progress(str(tmp_path / "figs"), name)) == 11
    # a run that starts afresh (its checkpoints are not on this machine) sets them aside
    import shutil
    shutil.rmtree(tmp_path / "ck" / name)
    fake.calls.clear()
    assert run.main(argv) == 0
    assert sum("--point" in a for a, _ in fake.calls) == 11
    assert os.path.exists(tmp_path / "figs" / "runs" / name / "progress.replaced.jsonl")


def test_a_run_trained_afresh_says_whether_it_repeats_the_set_aside_points(
        run, monkeypatch, tmp_path, capsys):
    import shutil
    arithmetic = {"kind": "a"}
    fake = FakeExecute()
    monkeypatch.setattr(run.Sweep, "execute", _fake_points(
        fake, tmp_path / "figs", lambda step: f"{arithmetic['kind']}{step}"))
    argv = ["--shapes", "--models=paper_fc", "--betas=4.0", "--objectives=beta",
            "--train_dir",
            str(tmp_path / "ck" / "ts"), "--figures_dir", str(tmp_path / "figs")]
    name = "ts_dataset_shapes_model_paper_fc_beta_4.0"
    assert run.main(argv) == 0
    assert "set-aside training" not in capsys.readouterr().out  # nothing set aside yet
    # afresh on a machine of the same kind: the same checkpoints, point by point
    shutil.rmtree(tmp_path / "ck" / name)
    assert run.main(argv) == 0
    out = capsys.readouterr().out
    assert out.count("the set-aside training's checkpoint, bit for bit") == 11
    assert f"{name}: its point at step 12500 is the set-aside" in out
    # afresh again with other arithmetic: every point differs from the newest set aside
    shutil.rmtree(tmp_path / "ck" / name)
    arithmetic["kind"] = "b"
    assert run.main(argv) == 0
    out = capsys.readouterr().out
    assert out.count("not the set-aside training's checkpoint") == 11
    assert "bit for bit" not in out
    # both earlier trainings' points are kept, the older first
    aside = summaries.read_progress(str(tmp_path / "figs"), name, replaced=True)
    assert [p["checkpoint"] for p in aside][::11] == ["a12500", "a12500"]
    assert len(aside) == 22


def test_the_shapes_preset_is_the_references_length_with_the_annealed_objective():
    planned = plan.plan("shapes", "ck/ts", (0,))
    # the beta runs first, then the annealed ones; burgess before paper_fc in each
    assert [(c.model, c.beta, c.objective) for c, _ in planned] == [
        ("burgess", 4.0, "beta"), ("burgess", 1.0, "beta"), ("paper_fc", 4.0, "beta"),
        ("paper_fc", 1.0, "beta"), ("burgess", 1.0, "annealed"), ("paper_fc", 1.0, "annealed")]
    planned = sorted(planned, key=lambda p: p[0].model)  # stable: each model's in order
    assert {c.max_step * c.batch_size for c, _ in planned} == {19_200_000}
    burgess, paper = planned[:3], planned[3:]
    # disentangling-vae's recipe: Adam 5e-4, batch 64, the KL weight ramped over 10000 steps
    assert {(c.optimizer, c.lr, c.batch_size) for c, _ in burgess} == {("adam", 5e-4, 64)}
    assert [c.kl_warmup_steps for c, _ in burgess] == [10000, 10000, 0]
    for (annealed, _), (optimizer, lr) in ((burgess[-1], ("adam", 5e-4)),
                                          (paper[-1], ("adagrad", 3e-3))):
        assert (annealed.gamma, annealed.c_max, annealed.c_steps * annealed.batch_size) == (
            1000.0, 25.0, 6_400_000)
        # the same network and optimizer as the beta runs (paper_fc: at the rate that did
        # not diverge)
        assert (annealed.optimizer, annealed.lr) == (optimizer, lr)
        # scored every 1.6M images along the way
        points = runner.score_points("shapes", annealed)
        assert points[0] * annealed.batch_size == 1_600_000 and len(points) == 11
    assert {c.lr for c, _ in paper[:2]} == {1e-2}
    assert runner.score_points("reproduce", paper[-1][0]) == []
