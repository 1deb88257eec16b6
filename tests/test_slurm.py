"""./run --slurm on a real single-node SLURM (tests/slurm/start.sh starts one; .ci/run
does): the array trains the runs, a second ./run only scores and draws, and a cancelled
task's run resumes from its checkpoint when the array is submitted again. Skipped where
no SLURM node is up."""

import os
import re
import shutil
import subprocess
import sys
import time

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
WAIT = 240  # seconds an array may take here before the test gives up


def _node_up():
    if shutil.which("sinfo") is None or shutil.which("sbatch") is None:
        return False
    out = subprocess.run(["sinfo", "-h", "-o", "%T"], capture_output=True, text=True)
    return out.returncode == 0 and any(s.strip() in ("idle", "mixed") for s in
                                       out.stdout.splitlines())


pytestmark = pytest.mark.skipif(
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
