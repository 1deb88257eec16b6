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


def test_wall_time_sums_each_invocation(tmp_path):
    path = os.path.join(tmp_path, "sweep_time.csv")
    with open(path, "w") as f:
        f.write("time,event,run,seconds\n"
                "2026-01-01T10:00:00,start,reproduce,\n"
                "2026-01-01T10:30:00,trained,a,1800\n"
                "2026-01-01T11:00:00,summarized,a,60\n"
                "2026-01-02T09:00:00,start,reproduce,\n"  # a later session resumes
                "2026-01-02T09:45:00,done,reproduce,2700\n")
    assert sweep.wall_time(path) == (3600 + 2700, 2)
