"""Run directories: finding them, restoring their models, their lock and metrics.csv.

A run directory holds config.json (written by main.py), TF checkpoints, TensorBoard
events, metrics.csv and sessions.csv (the step each training session started from, and
the machine it ran on). Scripts find runs by reading config.json, never by name lists.
"""

import collections
import csv
import glob
import os
import platform
import re
import socket
import time

import tensorflow as tf
from absl import logging

from architecture import build_model
from betavae.config import CONFIG_FILE, Config
from betavae.rundir import checkpoints_on_disk
from betavae.datasets import IMAGE_SIZES

LOCK_FILE = "lock"
_HOST = socket.gethostname()
METRICS_FILE = "metrics.csv"
SESSIONS_FILE = "sessions.csv"
SESSION_COLUMNS = ("time", "step", "machine")


class RunError(Exception):
    """A run directory that cannot be used, with a message naming the run and the problem."""


def model_for(config):
    return build_model(config.model, config.hidden_size, config.weight_init, config.keep_prob,
                       IMAGE_SIZES[config.dataset])


def checkpoint_for(model, optimizer=None, step=None):
    """The one checkpoint layout every script reads and main.py writes."""
    objects = {"model": model}
    if optimizer is not None:
        objects["optimizer"] = optimizer
    if step is not None:
        objects["step"] = step
    return tf.train.Checkpoint(**objects)


def first_line(error):
    """The first line of an exception's message (TF's run to many lines), or its type."""
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__


# What a damaged checkpoint raises while restoring (a truncated data file: IndexError).
RESTORE_ERRORS = (tf.errors.OpError, ValueError, AssertionError, IndexError, KeyError,
                  OSError)


def checkpoint_paths(directory):
    """The directory's checkpoints (prefixes ckpt-N), newest first: those the `checkpoint`
    index names and those found on disk, so a damaged index hides none."""
    found = checkpoints_on_disk(directory)
    try:
        state = tf.train.get_checkpoint_state(directory)
    except RESTORE_ERRORS + (UnicodeDecodeError,):
        state = None
    for path in (state.all_model_checkpoint_paths if state else []):
        match = re.search(r"ckpt-(\d+)$", path)
        if match and os.path.exists(path + ".index"):
            found.setdefault(int(match.group(1)), path)
    return [found[n] for n in sorted(found, reverse=True)]


def restore_newest(checkpoint, directory, partial=False):
    """Restores the newest checkpoint of directory that restores into `checkpoint`,
    warning about each newer one that does not; returns its path, or None if there are
    no checkpoints. Raises RunError if there are some and none restores.

    partial: the checkpoint may hold objects `checkpoint` does not (e.g. the optimizer).
    """
    paths = checkpoint_paths(directory)
    failures = []
    for path in paths:
        try:
            status = checkpoint.read(path) if partial else checkpoint.restore(path)
            status.assert_existing_objects_matched()
            if partial:
                status.expect_partial()
        except RESTORE_ERRORS as e:
            failures.append(f"{os.path.basename(path)} ({first_line(e)})")
            logging.warning("%s: checkpoint %s does not restore (%s); trying an older one",
                            directory, os.path.basename(path), first_line(e))
            continue
        if failures:
            logging.warning("%s: resumed from %s; damaged, left as they are: %s", directory,
                            os.path.basename(path), "; ".join(failures))
        return path
    if failures:
        raise RunError(f"{directory}: no checkpoint restores: " + "; ".join(failures))
    return None


def find_runs(train_dir):
    """Run directories with a config.json: `train_dir` as main.py's prefix, or a folder.

    `./checkpoints/train_store` finds `./checkpoints/train_store_model_*` (and
    `..._dataset_*_model_*`); a directory
    is also searched below. Sorted, without duplicates.
    """
    found = set(glob.glob(glob.escape(train_dir) + "_model_*/" + CONFIG_FILE)
                + glob.glob(glob.escape(train_dir) + "_dataset_*_model_*/" + CONFIG_FILE))
    if os.path.isdir(train_dir):
        found.update(glob.glob(os.path.join(glob.escape(train_dir), "**", CONFIG_FILE),
                               recursive=True))
    return sorted(os.path.dirname(os.path.normpath(p)) for p in found)


class LoadedRun(collections.namedtuple("LoadedRun", "config model step checkpoint")):
    """A run's settings and its model with the newest restorable checkpoint restored: the
    step it is at and that checkpoint's path."""


def load_run(directory):
    """The run as a LoadedRun (config, model, step, checkpoint path); RunError if its
    config or every checkpoint is unusable."""
    try:
        config = Config.load(directory)
    except (OSError, ValueError, TypeError) as e:
        raise RunError(f"{directory}: unreadable {CONFIG_FILE} ({e})") from e
    model = model_for(config)
    step = tf.Variable(0, dtype=tf.int64)
    try:  # no optimizer wanted
        path = restore_newest(checkpoint_for(model, step=step), directory, partial=True)
    except RunError as e:
        raise RunError(f"{e}: none restores the model that config.json describes") from e
    if path is None:
        raise RunError(f"{directory}: no checkpoint (has it been trained?)")
    return LoadedRun(config, model, int(step.numpy()), path)


def load_runs(train_dir, finished=False):
    """Yields (directory, LoadedRun) for each usable run; warns about the rest.

    finished: only the runs whose newest checkpoint is at their config's max_step, so that
    a run still training, or stopped part-way, never stands in a table or figure as if it
    were done (the tables then use its kept summary, if there is one).
    """
    directories = find_runs(train_dir)
    if not directories:
        logging.warning("no runs found under %s (looked for */%s)", train_dir, CONFIG_FILE)
    for directory in directories:
        try:
            run = load_run(directory)
        except RunError as e:
            logging.warning("skipping run %s", e)
            continue
        config, step = run.config, run.step
        if finished and step < config.max_step:
            logging.warning("skipping run %s: unfinished (its newest checkpoint is at step %d "
                            "of %d)", directory, step, config.max_step)
            continue
        yield directory, run


class RunLock:
    """One writer per run directory: a lock file holding the owner's pid and host.

    A lock whose process no longer exists on this host (killed) is taken over with a
    warning; one held from another host is respected.
    """

    def __init__(self, directory):
        self.path = os.path.join(directory, LOCK_FILE)
        self.held = False

    def acquire(self):
        for _ in range(2):
            try:
                fd = os.open(self.path, os.O_CREAT | os.O_EXCL | os.O_WRONLY)
            except FileExistsError:
                owner, host = self._owner()
                if host not in (None, _HOST):
                    raise RunError(f"{os.path.dirname(self.path)} is locked by process "
                                   f"{owner} on {host}; if that run is dead, delete {self.path}")
                if owner is not None and _alive(owner):
                    raise RunError(f"{os.path.dirname(self.path)} is being trained by "
                                   f"process {owner} (lock {self.path}); wait for it or stop it")
                logging.warning("removing stale lock %s of process %s, which is gone",
                                self.path, owner)
                try:
                    os.remove(self.path)
                except FileNotFoundError:
                    pass
                continue
            with os.fdopen(fd, "w") as f:
                f.write(f"{os.getpid()} {_HOST}\n")
            self.held = True
            return self
        raise RunError(f"could not take the lock {self.path}")

    def _owner(self):
        """(pid, host) of the lock's holder; (None, None) if unreadable."""
        try:
            with open(self.path) as f:
                pid, host = f.read().split()
            return int(pid), host
        except (OSError, ValueError):
            return None, None

    def release(self):
        if self.held and self._owner() == (os.getpid(), _HOST):
            os.remove(self.path)
        self.held = False

    def __enter__(self):
        return self.acquire()

    def __exit__(self, *exc):
        self.release()


def _alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _parse_row(row):
    if None in row or any(v is None for v in row.values()):
        raise ValueError("wrong number of fields")
    return {k: (int(v) if k == "step" else None if v == "" else float(v))
            for k, v in row.items()}


def read_metrics(directory, name=METRICS_FILE):
    """metrics.csv as a list of dicts of floats (step as int; None where a column written
    by another version is empty). A torn or unparsable row (a kill or a full disk during
    a write) is left out with a warning."""
    path = os.path.join(directory, name)
    if not os.path.exists(path):
        return []
    rows = []
    with open(path, newline="") as f:
        for number, row in enumerate(csv.DictReader(f), start=2):
            try:
                rows.append(_parse_row(row))
            except ValueError as e:
                logging.warning("%s line %d: unreadable row left out (%s): %s", path,
                                number, e, ",".join(v for v in row.values() if v))
    return rows


class MetricsLog:
    """Appends one row per logged step to metrics.csv.

    On resume from step N, rows after N (written after the last checkpoint of a run that
    was killed) are dropped first, so each step appears once.
    """

    def __init__(self, directory, columns, resume_step):
        self.path = os.path.join(directory, METRICS_FILE)
        self.columns = list(columns)
        kept = [r for r in read_metrics(directory) if r["step"] <= resume_step]
        self.last = kept[-1] if kept else {}
        with open(self.path + ".tmp", "w", newline="") as f:
            writer = csv.DictWriter(f, self.columns, extrasaction="ignore")
            writer.writeheader()
            writer.writerows(kept)
        os.replace(self.path + ".tmp", self.path)

    def append(self, row):
        with open(self.path, "a", newline="") as f:
            csv.DictWriter(f, self.columns, extrasaction="ignore").writerow(row)


# --- where a run was trained ----------------------------------------------------------

def describe_machine(cpuinfo="/proc/cpuinfo", gpus=None):
    """This machine in a few words, e.g. "2 vCPU AMD EPYC, AVX2": the CPU count, the
    processor's name and its widest vector extension (AVX-512 trains ~3x faster than
    AVX2 here), and the GPUs TensorFlow sees (gpus: their count; None: ask TensorFlow)."""
    name, flags_seen = None, set()
    try:
        with open(cpuinfo) as f:
            for line in f:
                key, _, value = line.partition(":")
                if key.strip() == "model name" and name is None:
                    name = value.strip()
                elif key.strip() == "flags" and not flags_seen:
                    flags_seen = set(value.split())
    except OSError:
        pass
    name = name or platform.processor() or platform.machine()
    vector = ("AVX-512" if "avx512f" in flags_seen else "AVX2" if "avx2" in flags_seen
              else None)
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    words = [f"{cpus} vCPU {name}"] + ([vector] if vector else [])
    if gpus is None:
        gpus = len(tf.config.list_physical_devices("GPU"))
    if gpus:
        words.append(f"{gpus} GPU")
    return ", ".join(words)


def record_session(directory, step, machine=None):
    """Appends to sessions.csv that a training session starts from step on this machine."""
    path = os.path.join(directory, SESSIONS_FILE)
    new = not os.path.exists(path)
    with open(path, "a", newline="") as f:
        writer = csv.DictWriter(f, SESSION_COLUMNS)
        if new:
            writer.writeheader()
        writer.writerow({"time": time.strftime("%Y-%m-%dT%H:%M:%S%z"), "step": step,
                         "machine": machine or describe_machine()})


def machine_steps(directory, final_step):
    """{machine: steps trained on it} from sessions.csv, each session counted to the next
    one's start (or final_step); {} for a run trained before sessions were recorded."""
    path = os.path.join(directory, SESSIONS_FILE)
    if not os.path.exists(path):
        return {}
    with open(path, newline="") as f:
        sessions = [r for r in csv.DictReader(f) if r.get("step", "").isdigit()]
    found = {}
    for here, after in zip(sessions, sessions[1:] + [{"step": str(final_step)}]):
        steps = min(int(after["step"]), final_step) - int(here["step"])
        if steps > 0:
            found[here["machine"]] = found.get(here["machine"], 0) + steps
    return found
