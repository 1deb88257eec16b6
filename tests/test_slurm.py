"""./run --slurm: the array script it writes, and on a real single-node SLURM
(tests/slurm/start.sh starts one; .ci/run does): the array trains the runs, a second ./run
only scores and draws, and a cancelled task's run resumes from its checkpoint when the
array is submitted again. Those are skipped where no SLURM node is up."""

import os
import re
import shutil
import subprocess
import sys
import time

import pytest

from test_run import run  # noqa: F401 (the fixture: ./run in-process, no GPUs)

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
WAIT = 240  # seconds an array may take here before the test gives up


def _node_up():
    if shutil.which("sinfo") is None or shutil.which("sbatch") is None:
        return False
    out = subprocess.run(["sinfo", "-h", "-o", "%T"], capture_output=True, text=True)
    return out.returncode == 0 and any(s.strip() in ("idle", "mixed") for s in
                                       out.stdout.splitlines())


needs_slurm = pytest.mark.skipif(
    not _node_up(), reason="no SLURM node is up here (bash tests/slurm/start.sh starts one)")


def _run(*argv):
    out = subprocess.run([sys.executable, "run", *argv], cwd=ROOT, capture_output=True,
                         text=True, timeout=600)
    assert out.returncode == 0, out.stdout + out.stderr
    return out.stdout


def _submitted(stdout):
    found = re.search(r"submitted array job (\d+): (\d+) task", stdout)
    assert found, stdout
    return found.group(1), int(found.group(2))


def _queued(job):
    out = subprocess.run(["squeue", "-h", "-j", job], capture_output=True, text=True)
    return [line for line in out.stdout.splitlines() if line.strip()]


def _wait(job, until=lambda: False):
    """Until the job has left the queue (or `until()` holds); fails after WAIT s."""
    deadline = time.time() + WAIT
    while time.time() < deadline:
        if until() or not _queued(job):
            return
        time.sleep(1)
    subprocess.run(["scancel", job])
    pytest.fail(f"SLURM job {job} still queued after {WAIT} s")


def _steps(run_dir):
    return sorted(int(m.group(1)) for m in (re.fullmatch(r"ckpt-(\d+)\.index", f)
                                            for f in os.listdir(run_dir)) if m)


@needs_slurm
def test_the_array_trains_the_runs_and_run_then_only_draws(tmp_path):
    selection = ["--quick", "--models=conv", "--num_balls=1", "--betas=0.1,0.5",
                 f"--train_dir={tmp_path}/ck/ts", f"--figures_dir={tmp_path}/figs"]
    extra = ["--", "--max_step=30", "--checkpoint_every=10"]
    job, tasks = _submitted(_run(*selection, "--slurm", *extra))
    assert tasks == 2
    _wait(job)
    runs = [tmp_path / "ck" / f"ts_model_conv_num_balls_1_beta_{b}" for b in ("0.1", "0.5")]
    for run_dir in runs:
        assert _steps(run_dir)[-1] == 30, os.listdir(tmp_path / "ck" / "logs")
    logs = sorted(os.listdir(tmp_path / "ck" / "logs"))
    assert logs == [f"betavae-quick-{job}_0.log", f"betavae-quick-{job}_1.log"]
    # the array is not submitted again for finished runs
    assert "every planned run is finished here" in _run(*selection, "--slurm", *extra)
    trained = {r: os.path.getmtime(r / "ckpt-30.index") for r in runs}
    out = _run(*selection, *extra)
    assert "all done" in out
    assert {r: os.path.getmtime(r / "ckpt-30.index") for r in runs} == trained
    assert all(_steps(r) == [10, 20, 30] for r in runs)  # nothing trained again
    for name in ("metrics.md", "heat_map_model_conv_num_balls_1_beta_0.5.png",
                 "one_ball_reconstruction_loss.png"):
        assert os.path.exists(tmp_path / "figs" / name), name


@needs_slurm
def test_a_cancelled_task_resumes_from_its_checkpoint(tmp_path):
    selection = ["--quick", "--models=conv", "--num_balls=1", "--betas=1.0",
                 f"--train_dir={tmp_path}/ck/ts", f"--figures_dir={tmp_path}/figs"]
    extra = ["--", "--max_step=3000", "--checkpoint_every=50"]
    run_dir = tmp_path / "ck" / "ts_model_conv_num_balls_1_beta_1.0"
    job, _ = _submitted(_run(*selection, "--slurm", *extra))
    _wait(job, until=lambda: run_dir.exists() and bool(_steps(run_dir)))
    subprocess.run(["scancel", f"{job}_0"], check=True)
    _wait(job)
    stopped = _steps(run_dir)[-1]
    assert 0 < stopped < 3000
    job, tasks = _submitted(_run(*selection, "--slurm", *extra))
    assert tasks == 1
    _wait(job)
    assert _steps(run_dir)[-1] == 3000
    with open(run_dir / "sessions.csv") as f:
        starts = [int(line.split(",")[1]) for line in f.read().splitlines()[1:]]
    assert starts[0] == 0 and starts[-1] >= stopped  # the second task resumed


def test_the_slurm_script_has_a_task_per_unfinished_run_and_its_points(run, tmp_path,
                                                                        capsys):
    """--slurm --dry-run prints the array script: one task per run not finished, in the
    plan's order; a shapes run trains to each point ahead of it, scores it, then ends."""
    argv = ["--shapes", "--betas=4.0,1.0", "--objectives=beta", "--slurm", "--dry-run",
            "--partition=gpu", "--gpus_per_task=1", "--time=8:00:00",
            "--sbatch_args=--account=me --qos=long",
            "--train_dir", str(tmp_path / "ck" / "ts"), "--figures_dir", str(tmp_path / "f")]
    # beta 4 already finished here: left out
    done = tmp_path / "ck" / "ts_dataset_shapes_model_burgess_beta_4.0"
    done.mkdir(parents=True)
    (done / "config.json").write_text("{}")
    (done / "ckpt-300000.index").write_text("")
    assert run.main(argv) == 0
    script = capsys.readouterr().out
    for line in ("#SBATCH --array=0-0", "#SBATCH --partition=gpu", "#SBATCH --time=8:00:00",
                 "#SBATCH --gres=gpu:1", "#SBATCH --account=me", "#SBATCH --qos=long",
                 f"#SBATCH --chdir={ROOT}"):
        assert line in script.splitlines(), line
    task = script.split("0)  # ")[1]
    assert task.startswith("ts_dataset_shapes_model_burgess_beta_1.0\n")
    stages = task.split("&&")
    assert len(stages) == 2 * 11 + 1  # 11 points, each trained to and scored; the end
    assert "--stop_at=25000" in stages[0] and "--point" in stages[1]
    assert "--stop_at" not in stages[-1] and "main.py" in stages[-1]
    assert f"{sys.executable} main.py" in stages[0]  # the interpreter that ran ./run
    assert "--threads" not in task  # GPUs: no CPU thread count
    # a run half done resumes: points behind its checkpoint are not trained to again
    half = tmp_path / "ck" / "ts_dataset_shapes_model_burgess_beta_1.0"
    half.mkdir()
    (half / "config.json").write_text("{}")
    (half / "ckpt-60000.index").write_text("")
    assert run.main(argv) == 0
    stages = capsys.readouterr().out.split("0)  # ")[1].split("&&")
    assert len(stages) == 2 * 9 + 1 and "--stop_at=75000" in stages[0]


def test_slurm_options_need_slurm(run, capsys):
    with pytest.raises(SystemExit):
        run.main(["--quick", "--partition=gpu"])
    assert "go with --slurm" in capsys.readouterr().err
    for wrong in ("--seed=1", "--reproduc"):  # no abbreviations (--seed is main.py's)
        with pytest.raises(SystemExit):
            run.main(["--quick", wrong])
        err = capsys.readouterr().err
        assert f"unrecognized arguments: {wrong}" in err and "go after --" in err
