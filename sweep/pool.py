"""The machine a sweep runs on: the GPUs it can see, and the pool that starts each job
once its share of the CPU cores, or a GPU, is free."""

import math
import os
import queue
import shutil
import subprocess
import threading


def visible_gpus():
    """GPU ids to spread runs over: CUDA_VISIBLE_DEVICES, else nvidia-smi's list."""
    if os.environ.get("CUDA_VISIBLE_DEVICES"):
        return [g for g in os.environ["CUDA_VISIBLE_DEVICES"].split(",") if g.strip()]
    if shutil.which("nvidia-smi") is None:
        return []
    try:
        out = subprocess.run(["nvidia-smi", "-L"], capture_output=True, text=True,
                             timeout=30).stdout
    except (OSError, subprocess.SubprocessError):
        return []
    return [str(i) for i, line in enumerate(out.splitlines()) if line.startswith("GPU")]


class Slots:
    """Starts jobs in order, each once the capacity it asks for is free. Counted in whole
    units (a run that shares the cores k ways takes capacity / k, where capacity is a
    multiple of every k), so k runs of 1/k fill it exactly."""

    def __init__(self, capacity):
        self.capacity, self.free = capacity, capacity
        self.condition = threading.Condition()

    @classmethod
    def for_shares(cls, ks):
        return cls(math.lcm(*ks))

    def need(self, k):
        return self.capacity // k

    def take(self, amount):
        with self.condition:
            self.condition.wait_for(lambda: self.free >= amount)
            self.free -= amount

    def give(self, amount):
        with self.condition:
            self.free += amount
            self.condition.notify_all()


class GpuPool:
    """Hands each job a free GPU, in turn (up to jobs_per_gpu jobs may share one)."""

    def __init__(self, gpus, jobs_per_gpu=1):
        self.free = queue.Queue()
        for _ in range(jobs_per_gpu):
            for g in gpus:
                self.free.put(g)

    def take(self):
        return self.free.get()

    def give(self, gpu):
        self.free.put(gpu)


class Resources:
    """What a job needs to start: its share of the CPU cores, or a GPU. On GPUs at most
    `jobs` (default: one per GPU) run at once, spread evenly over them."""

    def __init__(self, gpus, ks, jobs=None):
        self.gpus = gpus
        if gpus:
            jobs = jobs or len(gpus)
            self.slots = Slots(jobs)
            self.pool = GpuPool(gpus, math.ceil(jobs / len(gpus)))
        else:
            self.slots, self.pool = Slots.for_shares(ks), None

    def need(self, k):
        return 1 if self.pool else self.slots.need(k)

    def take(self, amount):
        """Waits for the capacity; returns the GPU to use (None on a CPU)."""
        self.slots.take(amount)
        return self.pool.take() if self.pool else None

    def give(self, amount, gpu):
        if self.pool:
            self.pool.give(gpu)
        self.slots.give(amount)
