"""The sweep's bookkeeping across sessions: kept results and wall time."""

import json
import os

import sweep


def test_kept_step_reads_a_runs_kept_summary(tmp_path):
    name = "train_store_model_conv_num_balls_1_beta_0.1"
    assert sweep.kept_step(str(tmp_path), name) is None
    folder = tmp_path / sweep.RUNS_DIR / name
    folder.mkdir(parents=True)
    (folder / sweep.SUMMARY_FILE).write_text(json.dumps(
        {"step": 30000, "config": {"lr": 0.003, "max_step": 30000}}))
    assert sweep.kept_step(str(tmp_path), name) == 30000
    assert sweep.kept_step(str(tmp_path), name, {"lr": 0.003}) == 30000
    assert sweep.kept_step(str(tmp_path), name, {"lr": 0.001}) is None  # another recipe
    (folder / sweep.SUMMARY_FILE).write_text("{torn")
    assert sweep.kept_step(str(tmp_path), name) is None


def _timing(tmp_path, rows):
    path = os.path.join(tmp_path, "sweep_time.csv")
    with open(path, "w") as f:
        f.write("time,event,run,seconds\n" + "".join(
            f"2026-01-{day}T{clock},{event},{run},{seconds}\n"
            for day, clock, event, run, seconds in rows))
    return path


def test_run_time_is_the_union_of_the_runs_intervals_and_the_last_figures(tmp_path):
    path = _timing(tmp_path, [
        ("01", "10:00:00", "start", "reproduce", ""),
        ("01", "10:00:00", "started", "a", ""),
        ("01", "10:00:00", "started", "b", ""),  # a and b share the cores
        ("01", "10:30:00", "trained", "a", "1800"),
        ("01", "10:32:00", "summarized", "a", "120"),
        ("01", "10:40:00", "trained", "b", "2400"),
        ("01", "10:45:00", "summarized", "b", "300"),
        ("01", "10:45:00", "trained all", "reproduce", "2700"),
        ("01", "10:46:00", "done", "reproduce", "2760"),
    ])
    assert sweep.run_time(path) == (46 * 60, 1)
    assert sweep.run_time(path, model="conv") == (0, 1)  # "a" and "b" name no model


def test_run_time_across_sessions_counts_a_stopped_run_and_drops_a_replaced_one(tmp_path):
    path = _timing(tmp_path, [
        # rows from before ./run logged starts: [time - seconds, time]
        ("01", "09:00:00", "start", "reproduce", ""),
        ("01", "09:20:00", "trained", "old", "1200"),
        ("01", "09:25:00", "summarized", "old", "300"),
        ("01", "09:25:00", "started", "a", ""),
        ("01", "09:35:00", "stopped", "SIGINT", ""),  # a stopped after 10 min
        ("02", "08:00:00", "start", "reproduce", ""),
        ("02", "08:00:00", "resumed", "a", ""),
        ("02", "08:20:00", "trained", "a", "1200"),
        ("02", "08:21:00", "summarized", "a", "60"),
        ("02", "08:21:00", "started", "old", ""),  # a new recipe: "old" trained afresh
        ("02", "08:51:00", "trained", "old", "1800"),
        ("02", "08:51:00", "started", "c", ""),
        ("02", "09:00:00", "trained", "c", "540"),  # the session ends while c is scored
        ("03", "07:00:00", "start", "reproduce", ""),  # c is kept: figures only
        ("03", "07:00:00", "trained all", "reproduce", "0"),
        ("03", "07:01:00", "done", "reproduce", "60"),
    ])
    # Day 1: a's 10 min ("old"'s first 25 min are dropped: it was replaced). Day 2: a, then
    # "old" (open till the session's last event, 09:00) and c cover 08:00-09:00, 60 min;
    # c's scoring after 09:00, cut off without an event, is not counted. Figures: 1 min.
    assert sweep.run_time(path) == ((10 + 60 + 1) * 60, 3)


def test_run_time_of_one_model(tmp_path):
    conv = "train_store_model_conv_num_balls_1_beta_0.1"
    all_conv = "train_store_model_all_conv_num_balls_1_beta_0.1"
    path = _timing(tmp_path, [
        ("01", "10:00:00", "start", "reproduce", ""),
        ("01", "10:00:00", "started", all_conv, ""),
        ("01", "10:20:00", "summarized", all_conv, "60"),
        ("01", "10:20:00", "started", conv, ""),
        ("01", "10:30:00", "summarized", conv, "60"),
        ("01", "10:30:00", "trained all", "reproduce", "1800"),
        ("01", "10:31:00", "done", "reproduce", "1860"),
    ])
    assert sweep.run_time(path, model="conv") == (600, 1)
    assert sweep.run_time(path, model="all_conv") == (1200, 1)
    assert sweep.run_time(path) == (1860, 1)


def test_a_runs_own_settings_replace_its_models_and_longest_runs_start_first(monkeypatch):
    per_model = {"conv": {"lr": 3e-3, "max_step": 300}, "all_conv": {"max_step": 100}}
    per_run = {("conv", 2, 1.0): {"max_step": 900}, ("conv", 1, 0.5): {"lr": 6e-3}}
    monkeypatch.setitem(sweep.PRESETS, "test", (per_model, ("all_conv", "conv"), per_run))
    planned = sweep.runs("test")
    assert len(planned) == 12
    assert [m for m, _, _, _ in planned] == ["all_conv"] * 6 + ["conv"] * 6
    assert planned[6] == ("conv", 2, 1.0, {"lr": 3e-3, "max_step": 900})
    assert ("conv", 1, 0.5, {"lr": 6e-3, "max_step": 300}) in planned
    # the others keep the preset's order
    assert [(n, b) for m, n, b, _ in planned[:6]] == [
        (n, b) for n in sweep.NUM_BALLS for b in sweep.BETAS]
    assert per_model["conv"] == {"lr": 3e-3, "max_step": 300}  # not changed in place


def test_run_time_of_runs_not_scored_one_by_one(tmp_path):
    # --quick and the faithful sweep log "finished" when a run is trained (no summary)
    path = _timing(tmp_path, [
        ("01", "10:00:00", "start", "quick", ""),
        ("01", "10:00:00", "started", "a", ""),
        ("01", "10:05:00", "finished", "a", "300"),
        ("01", "10:07:00", "resumed", "b", ""),
        ("01", "10:10:00", "failed", "b", "180"),
        ("01", "10:20:00", "trained all", "quick", "1200"),
        ("01", "10:22:00", "done", "quick", "1320"),
    ])
    assert sweep.run_time(path) == ((5 + 3 + 2) * 60, 1)
