"""A sweep as one SLURM array job (./run --slurm): one task per run that is not finished,
in the plan's order, each running that run's commands in this directory with this
interpreter. No TensorFlow: a run is finished when its newest checkpoint is at max_step.

A task trains its run with main.py, which resumes it from its newest checkpoint (so a
cancelled or failed task loses at most checkpoint_every steps when the array is submitted
again); where the preset scores runs along the way, the task trains to each point not yet
kept, scores it there, and then trains to the end. The summaries and the figures are left
to `./run` with the same flags once the array is done: it finds every run finished, scores
what is not scored yet and draws the figures.
"""

import os
import shlex
import subprocess
import time

from betavae.rundir import CONFIG_FILE, checkpoints_on_disk

SCRIPT_DIR = "slurm"  # beside the run directories' logs: checkpoints/<preset>/slurm/


def newest_step(run_dir):
    """The step of the run's newest checkpoint on disk, 0 if none."""
    return max(checkpoints_on_disk(run_dir), default=0)


def finished(config):
    """Whether the run has been trained to its max_step here."""
    return (os.path.exists(os.path.join(config.run_dir, CONFIG_FILE))
            and newest_step(config.run_dir) >= config.max_step)


def task_script(commands):
    """The shell lines of one task: its commands joined by &&, so it stops at the first
    that fails and the task fails with it."""
    return " \\\n    && ".join(" ".join(shlex.quote(a) for a in c) for c in commands)


def array_script(tasks, root, log_dir, name, partition=None, time_limit=None,
                 gpus_per_task=0, cpus_per_task=1, extra_args=()):
    """The sbatch script of an array job: tasks is [(run name, [argv, ...])], in order.
    Each task's output goes to <log_dir>/<name>-<job id>_<task>.log."""
    lines = ["#!/bin/bash", f"#SBATCH --job-name={name}", f"#SBATCH --array=0-{len(tasks) - 1}",
             f"#SBATCH --chdir={root}",
             f"#SBATCH --output={os.path.join(log_dir, name)}-%A_%a.log",
             f"#SBATCH --cpus-per-task={cpus_per_task}"]
    if partition:
        lines.append(f"#SBATCH --partition={partition}")
    if time_limit:
        lines.append(f"#SBATCH --time={time_limit}")
    if gpus_per_task:
        lines.append(f"#SBATCH --gres=gpu:{gpus_per_task}")
    lines += [f"#SBATCH {a}" for a in extra_args]
    lines += ["", "set -euo pipefail", f"cd {shlex.quote(root)}",
              'echo "task ${SLURM_ARRAY_TASK_ID} of job ${SLURM_ARRAY_JOB_ID} on '
              '$(hostname), $(date -u)"', 'case "${SLURM_ARRAY_TASK_ID}" in']
    for i, (run, commands) in enumerate(tasks):
        lines.append(f"  {i})  # {run}")
        lines.append(f"    {task_script(commands)}")
        lines.append("    ;;")
    lines += ['  *) echo "no task ${SLURM_ARRAY_TASK_ID}" >&2; exit 2 ;;', "esac", ""]
    return "\n".join(lines)


def write_script(text, directory, name):
    """Writes the script as <directory>/<name>-<UTC time>.sbatch; returns its path."""
    os.makedirs(directory, exist_ok=True)
    path = os.path.join(directory, f"{name}-{time.strftime('%Y%m%dT%H%M%SZ', time.gmtime())}"
                                   ".sbatch")
    with open(path, "w") as f:
        f.write(text)
    return path


def submit(path):
    """Submits the script with sbatch; returns the job id. RuntimeError names what sbatch
    said when it refused."""
    try:
        out = subprocess.run(["sbatch", "--parsable", path], capture_output=True, text=True,
                             timeout=120)
    except FileNotFoundError:
        raise RuntimeError("sbatch is not on PATH (is this a SLURM login node?)") from None
    if out.returncode != 0:
        raise RuntimeError(f"sbatch refused {path}: {out.stderr.strip() or out.stdout.strip()}")
    return out.stdout.strip().split(";")[0]
