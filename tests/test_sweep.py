"""The sweep's bookkeeping across sessions: kept results and wall time."""

import json
import os

import pytest

from sweep import timing
from results import summaries
from sweep import plan
from betavae.config import Config


def test_kept_summary_reads_a_runs_kept_summary(tmp_path, capsys):
    name = "train_store_model_conv_num_balls_1_beta_0.1"
    assert summaries.kept_summary(str(tmp_path), name) is None
    folder = tmp_path / summaries.RUNS_DIR / name
    folder.mkdir(parents=True)
    (folder / summaries.SUMMARY_FILE).write_text(json.dumps({"step": 30000}))
    assert summaries.kept_summary(str(tmp_path), name) == {"step": 30000}
    (folder / summaries.SUMMARY_FILE).write_text("{torn")
    assert summaries.kept_summary(str(tmp_path), name) is None
    assert "skipping unreadable" in capsys.readouterr().err


def test_kept_summaries_reads_every_readable_run_in_name_order(tmp_path, capsys):
    assert summaries.kept_summaries(str(tmp_path)) == []
    for name, text in [("b", '{"run": "b"}'), ("a", '{"run": "a"}'), ("c", "{torn")]:
        folder = tmp_path / summaries.RUNS_DIR / name
        folder.mkdir(parents=True)
        (folder / summaries.SUMMARY_FILE).write_text(text)
    (tmp_path / summaries.RUNS_DIR / "d").mkdir()  # no summary yet: silently absent
    assert summaries.kept_summaries(str(tmp_path)) == [{"run": "a"}, {"run": "b"}]
    assert capsys.readouterr().err.count("skipping unreadable") == 1


def test_each_seed_and_each_changed_setting_has_its_own_directory():
    planned = plan.plan("reproduce", "ck/ts", seeds=(0, 1, 2))
    assert len(planned) == 54
    assert len({c.run_dir for c, _ in planned}) == 54
    names = {(c.model, c.num_balls, c.beta, c.seed): c.run_dir for c, _ in planned}
    assert names[("conv", 1, 0.1, 0)] == "ck/ts_model_conv_num_balls_1_beta_0.1"  # original
    assert names[("conv", 1, 0.1, 2)] == "ck/ts_model_conv_num_balls_1_beta_0.1_seed_2"
    seed2 = [a for c, a in planned if c.seed == 2]
    assert all("--seed=2" in a for a in seed2)
    assert not any("--seed" in " ".join(a) for c, a in planned if c.seed == 0)
    # --seed after --: the same directories as --seeds
    via_extra = plan.plan("reproduce", "ck/ts", extra=["--seed=2"])
    assert sorted(c.run_dir for c, _ in via_extra) == sorted(c.run_dir for c, _ in planned
                                                              if c.seed == 2)
    # a flag that changes what is computed names the prefix; one that does not, nothing
    changed = plan.plan("reproduce", "ck/ts", extra=["--lr=1e-3", "--max_step=50",
                                                      "--threads=1"])
    assert {c.train_dir for c, _ in changed} == {"ck/ts_lr_0.001"}
    assert all(c.lr == 1e-3 and c.max_step == 50 and a[-3:] == ["--lr=1e-3",
                                                               "--max_step=50", "--threads=1"]
               for c, a in changed)
    with pytest.raises(ValueError, match="either as --seeds or as --seed"):
        plan.plan("reproduce", "ck/ts", seeds=(0, 1), extra=["--seed=3"])
    with pytest.raises(ValueError, match="the sweep sets it for each run"):
        plan.plan("reproduce", "ck/ts", extra=["--model=conv"])


def test_flags_after_the_separator_are_typed_as_main_py_reads_them():
    assert plan.parse_flags(["--lr=3e-3", "--max_step=10", "--sampler=iid", "--friction",
                              "--nofriction", "--seed=4"]) == {
        "lr": 3e-3, "max_step": 10, "sampler": "iid", "friction": False, "seed": 4}
    assert plan.parse_flags(["--friction=true"]) == {"friction": True}
    # as main.py reads them: a value after a space, and the absl forms of a boolean
    assert plan.parse_flags(["--lr", "3e-3", "--max_step", "7", "--friction=false"]) == {
        "lr": 3e-3, "max_step": 7, "friction": False}
    for bad, message in (("--foo=1", "not a main.py flag"), ("--lr", "Missing value"),
                         ("--max_step=ten", "max_step=ten: invalid literal for int"),
                         ("lr=1", "not a main.py")):
        with pytest.raises(ValueError, match=message):
            plan.parse_flags([bad])


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
    assert timing.run_time(path) == (46 * 60, 1)
    assert timing.run_time(path, ["a"]) == (32 * 60, 1)  # a run alone: no figures
    assert timing.run_time(path, []) == (0, 1)


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
    assert timing.run_time(path) == ((10 + 60 + 1) * 60, 3)


def test_a_session_that_ends_without_a_signal_keeps_its_runs_time_to_their_heartbeat(
        tmp_path):
    path = _timing(tmp_path, [
        ("01", "10:00:00", "start", "shapes", ""),
        ("01", "10:00:00", "resumed", "a", ""),
        ("01", "10:25:00", "scored point", "a", ""),
        ("01", "10:30:00", "working", "a", ""),
        ("01", "10:35:00", "working", "a", ""),  # the session ends: no event after this
        ("02", "08:00:00", "start", "shapes", ""),
        ("02", "08:00:00", "resumed", "a", ""),
        ("02", "08:05:00", "working", "b", ""),  # not a run of this invocation: no time
        ("02", "08:10:00", "trained", "a", "600"),
        ("02", "08:12:00", "summarized", "a", "120"),
        ("02", "08:20:00", "working", "a", ""),  # a beat after its end moves nothing
    ])
    assert timing.run_time(path, ["a"]) == ((35 + 12) * 60, 2)
    assert timing.run_time(path, ["b"]) == (0, 2)


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
    configs = [Config(model=m, beta=0.1) for m in ("conv", "all_conv")]
    for c in configs:
        assert os.path.basename(c.run_dir) in (conv, all_conv)
    assert timing.run_time(path, timing.run_names(configs, model="conv")) == (600, 1)
    assert timing.run_time(path, timing.run_names(configs, model="all_conv")) == (1200, 1)
    assert timing.run_time(path) == (1860, 1)


def test_a_runs_own_settings_replace_its_models_and_longest_runs_start_first(monkeypatch):
    per_model = {"conv": {"lr": 3e-3, "max_step": 300}, "all_conv": {"max_step": 100}}
    per_run = {("conv", 2, 1.0): {"max_step": 900}, ("conv", 1, 0.5): {"lr": 6e-3}}
    monkeypatch.setitem(plan.PRESETS, "test", (per_model, ("all_conv", "conv"), per_run,
                                                (plan.NUM_BALLS, plan.BETAS), []))
    planned = plan.runs("test")
    assert len(planned) == 12
    assert [m for m, _, _, _ in planned] == ["all_conv"] * 6 + ["conv"] * 6
    assert planned[6] == ("conv", 2, 1.0, {"lr": 3e-3, "max_step": 900})
    assert ("conv", 1, 0.5, {"lr": 6e-3, "max_step": 300}) in planned
    # the others keep the preset's order
    assert [(n, b) for m, n, b, _ in planned[:6]] == [
        (n, b) for n in plan.NUM_BALLS for b in plan.BETAS]
    assert per_model["conv"] == {"lr": 3e-3, "max_step": 300}  # not changed in place


@pytest.mark.parametrize("end", ["failed", "interrupted"])
def test_run_time_of_runs_not_scored_one_by_one(tmp_path, end):
    # --quick and the faithful sweep log "finished" when a run is trained (no summary);
    # a run that fails, or is stopped by a signal, ends its interval there
    path = _timing(tmp_path, [
        ("01", "10:00:00", "start", "quick", ""),
        ("01", "10:00:00", "started", "a", ""),
        ("01", "10:05:00", "finished", "a", "300"),
        ("01", "10:07:00", "resumed", "b", ""),
        ("01", "10:10:00", end, "b", "180"),
        ("01", "10:20:00", "trained all", "quick", "1200"),
        ("01", "10:22:00", "done", "quick", "1320"),
    ])
    assert timing.run_time(path) == ((5 + 3 + 2) * 60, 1)


def test_run_time_reads_old_local_rows_beside_new_utc_ones(tmp_path, monkeypatch):
    monkeypatch.setenv("TZ", "UTC")
    path = os.path.join(tmp_path, "sweep_time.csv")
    with open(path, "w") as f:
        f.write("time,event,run,seconds\n"
                "2026-01-01T10:00:00,start,reproduce,\n"
                "2026-01-01T10:00:00,started,a,\n"
                "2026-01-01T10:10:00,finished,a,600\n"
                "2026-01-02T10:00:00+00:00,start,reproduce,\n"
                "2026-01-02T10:00:00+00:00,started,b,\n"
                "2026-01-02T12:05:00+02:00,finished,b,300\n")  # 10:05 UTC
    assert timing.run_time(path) == (15 * 60, 2)


def test_run_time_of_one_seed(tmp_path):
    conv = "train_store_model_conv_num_balls_1_beta_0.1"
    path = _timing(tmp_path, [
        ("01", "10:00:00", "start", "reproduce", ""),
        ("01", "10:00:00", "started", conv, ""),
        ("01", "10:20:00", "summarized", conv, "60"),
        ("01", "10:20:00", "started", conv + "_seed_1", ""),
        ("01", "10:50:00", "summarized", conv + "_seed_1", "60"),
        ("01", "10:50:00", "trained all", "reproduce", "1800"),
        ("01", "10:51:00", "done", "reproduce", "1860"),
    ])
    configs = [Config(model="conv", beta=0.1, seed=s) for s in (0, 1)]
    assert timing.run_time(path, timing.run_names(configs, seed=0)) == (1200, 1)
    assert timing.run_time(path, timing.run_names(configs, seed=1)) == (1800, 1)
    assert timing.run_time(path, timing.run_names(configs, model="conv", seed=1)) == (1800, 1)
    assert timing.run_time(path) == (3060, 1)


def test_run_time_of_the_shapes_runs_by_their_model():
    """The committed 4500-step shapes sweep (kept as history): its runs' names hold no
    "_num_balls_", and they are counted by their configs' model all the same."""
    path = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                        "figures", "shapes_4500_steps", "sweep_time.csv")
    configs = [c for c, _ in plan.plan("shapes", "./checkpoints/shapes/train_store",
                                        (0, 1, 2)) if c.model == "paper_fc"]
    names = timing.run_names(configs, model="paper_fc")
    assert len(names) == len(configs) and not any("_num_balls_" in n for n in names)
    model_time = timing.run_time(path, names)[0]
    assert model_time > 3600  # 69 min of training and scoring on 1 December
    assert model_time == timing.run_time(path, names | {"no_such_run"})[0]
    assert timing.run_time(path, timing.run_names(configs, model="conv"))[0] == 0


def test_points_along_the_way_are_kept_once_each_and_set_aside_on_a_fresh_start(tmp_path):
    figs, name = str(tmp_path), "ts_dataset_shapes_model_paper_fc_beta_4.0"

    def point(step):
        return {"run": name, "step": step, "config": {"batch_size": 128},
                "run_dir": "ck/x", "beta_vae": 0.5}
    assert summaries.record_point(figs, point(12500))
    assert not summaries.record_point(figs, point(12500))  # a resumed sweep's repeat
    assert summaries.record_point(figs, point(25000))
    kept = summaries.read_progress(figs, name)
    assert [(p["step"], p["images"]) for p in kept] == [(12500, 1_600_000), (25000, 3_200_000)]
    assert "config" not in kept[0] and kept[0]["beta_vae"] == 0.5
    assert summaries.clear_progress(figs, name)
    assert summaries.read_progress(figs, name) == [] and not summaries.clear_progress(figs, name)
