"""Training one beta-VAE run: the compiled step, checkpoints, logs, resume and signals.

`train(config)` is what main.py calls; `Trainer` is also used by the benchmark so that it
times exactly the code path of a real run.
"""

import contextlib
import functools
import math
import os
import signal
import time

import tensorflow as tf
from absl import logging
from tensorflow import keras

from betavae import datasets
from betavae import schedules
from architecture import active_latents, vae_loss
from betavae.config import CONFIG_FILE, Config, resume_conflicts
from betavae.runs import (MetricsLog, RunError, RunLock, checkpoint_for, model_for, record_session,
                  restore_newest)

_DATA_STREAM, _NOISE_STREAM = 0, 1
ADAM_EPSILON = 1e-8  # the original's tf.train.AdamOptimizer (Keras' default is 1e-7)


class Diverged(Exception):
    """The loss became NaN or Inf; the message names the step and the last good checkpoint."""


class Interrupted(Exception):
    """SIGINT or SIGTERM arrived; a checkpoint of the current step was saved."""

    def __init__(self, message, signum):
        super().__init__(message)
        self.signum = signum


def xla_for(model):
    """Whether to compile a model's whole training step with XLA.

    Measured on a 2-core CPU (TF 2.21, batch 128): XLA makes the fully connected step 1.5x
    faster, but the conv and all_conv steps 10x slower (XLA's CPU convolutions with few
    channels), so there only the data generation is compiled. On a GPU, always XLA. The
    paper's fully connected 2D-shapes model is a dense model like the first.
    """
    return (model in ("fully_connected", "paper_fc")
            or bool(tf.config.list_physical_devices("GPU")))


@functools.lru_cache(maxsize=None)
def make_strategy(name):
    """`default`: one device; `mirrored`: every GPU, else every logical CPU device.

    One instance per process: two MirroredStrategy objects would mix up their collectives.
    """
    if name == "default":
        return tf.distribute.get_strategy()
    devices = tf.config.list_logical_devices("GPU") or tf.config.list_logical_devices("CPU")
    return tf.distribute.MirroredStrategy(devices=[d.name for d in devices])


def make_optimizer(name, lr):
    """Adam with the original's epsilon, or Adagrad (the paper's 2D-shapes optimizer)."""
    if name == "adagrad":
        return keras.optimizers.Adagrad(lr)
    return keras.optimizers.Adam(lr, epsilon=ADAM_EPSILON)


class Trainer:
    """The model, its optimizer, the step counter and the compiled training function."""

    def __init__(self, config, jit_compile=None, strategy=None):
        """jit_compile: True compiles the whole step with XLA; False compiles only the data
        generation; None chooses by measurement (see xla_for). strategy: a
        tf.distribute strategy, by default the one config.strategy names."""
        config = config.resolved()
        self.config = config
        self.jit_compile = xla_for(config.model) if jit_compile is None else jit_compile
        self.strategy = strategy or make_strategy(config.strategy)
        self.replicas = self.strategy.num_replicas_in_sync
        if config.batch_size % self.replicas:
            raise ValueError(f"--batch_size={config.batch_size} does not split over "
                             f"{self.replicas} replicas")
        keras.utils.set_random_seed(config.seed)
        # Process-wide: main.py trains one run per process.
        keras.mixed_precision.set_global_policy(config.precision)
        with self.strategy.scope():
            self.model = model_for(config)
            self.optimizer = make_optimizer(config.optimizer, config.lr)
            self.optimizer.build(self.model.trainable_variables)
            self.step = tf.Variable(0, dtype=tf.int64, name="step",
                                    aggregation=tf.VariableAggregation.ONLY_FIRST_REPLICA)
        self.checkpoint = checkpoint_for(self.model, self.optimizer, self.step)
        self._seeds = tf.constant([[config.seed, _DATA_STREAM], [config.seed, _NOISE_STREAM]],
                                  tf.int64)
        # Inside an XLA step the data is compiled with it; otherwise on its own.
        # autograph=False: the step has no Python control flow on tensors (the loop is a
        # tf.while_loop), and converting it cost seconds at every start.
        self.batch = self._batch if self.jit_compile else tf.function(
            self._batch, jit_compile=True, autograph=False)
        if self.replicas == 1:
            self._gradients = self._compute_gradients
            self.run_steps = tf.function(self._run_steps, jit_compile=self.jit_compile,
                                         autograph=False)
        else:  # XLA cannot hold the cross-replica sum: compile each replica's part
            self._gradients = tf.function(self._compute_gradients,
                                          jit_compile=self.jit_compile, autograph=False)
            self.run_steps = tf.function(self._run_steps, autograph=False)

    def _seed(self, stream, step, replica):
        """The stateless seed of `stream` (data or noise) at `step` for `replica`."""
        seed = tf.random.experimental.stateless_fold_in(self._seeds[stream], step)
        if self.replicas > 1:
            seed = tf.random.experimental.stateless_fold_in(seed, replica)
        return seed

    def _batch(self, step, replica=0):
        """(images, positions) trained at `step` (by `replica`): a function of the seeds."""
        c = self.config
        return datasets.sample_batch(c.dataset, c.batch_size // self.replicas, c.num_balls,
                                     self._seed(_DATA_STREAM, step, replica), c.sampler,
                                     c.friction)

    def learning_rate(self, step):
        c = self.config
        return schedules.learning_rate(step, c.lr, c.lr_schedule, c.warmup_steps,
                                       c.decay_steps)

    def beta(self, step):
        """The KL term's weight at step: beta (ramped as asked), or the annealed
        objective's gamma."""
        c = self.config
        weight = c.gamma if c.objective == "annealed" else c.beta
        return schedules.kl_weight(step, weight, c.kl_warmup_steps, c.kl_delay_steps)

    def capacity(self, step):
        """The annealed objective's target KL at step; None for the beta objective."""
        c = self.config
        if c.objective != "annealed":
            return None
        return schedules.capacity(step, c.c_max, c.c_steps)

    def _compute_gradients(self, step, replica):
        images, _ = self.batch(step, replica)
        noise_seed = self._seed(_NOISE_STREAM, step, replica)
        beta = self.beta(step)
        with tf.GradientTape() as tape:
            loss, recon, kl, stddev = vae_loss(self.model, images, beta, noise_seed,
                                               training=True, capacity=self.capacity(step))
        grads = tape.gradient(loss, self.model.trainable_variables)
        return grads, {"loss": loss / tf.cast(tf.shape(images)[0], tf.float32),
                       "reconstruction": tf.reduce_mean(recon),
                       "kl": tf.reduce_mean(kl), "beta": beta,
                       "stddev": tf.reduce_mean(stddev, axis=0)}

    def _replica_step(self):
        replica = tf.distribute.get_replica_context().replica_id_in_sync_group
        grads, out = self._gradients(self.step.read_value(), replica)
        # Summed over replicas by the optimizer: the gradient of the whole batch's sum.
        self.optimizer.apply_gradients(zip(grads, self.model.trainable_variables))
        self.step.assign_add(1)
        return out

    def _train_step(self):
        # Set in cross-replica context, before the step: the schedule at this step.
        lr = self.learning_rate(self.step.read_value())
        self.optimizer.learning_rate.assign(lr)
        if self.replicas == 1:
            out = self._replica_step()
        else:
            out = self.strategy.run(self._replica_step)
            out = {k: self.strategy.reduce(tf.distribute.ReduceOp.MEAN, v, axis=None)
                   for k, v in out.items()}
        return dict(out, lr=lr)

    def _run_steps(self, num_steps):
        """num_steps training steps in one call; the last step's losses, and whether every
        step's loss was finite. The step is traced once, as the loop's body: its outputs
        start as zeros of their shapes."""
        k = self.model.num_latents
        out = {name: tf.zeros([k] if name == "stddev" else [])
               for name in ("loss", "reconstruction", "kl", "beta", "stddev", "lr")}

        def body(i, out, finite):
            out = self._train_step()
            return i + 1, out, finite & tf.math.is_finite(out["loss"])

        _, out, finite = tf.while_loop(lambda i, *_: i < num_steps, body,
                                       (tf.zeros_like(num_steps), out, tf.constant(True)))
        return out, finite


def _format_eta(seconds):
    if not math.isfinite(seconds):
        return "?"
    seconds = int(seconds)
    return f"{seconds // 3600}:{seconds // 60 % 60:02d}:{seconds % 60:02d}"


@contextlib.contextmanager
def _stop_on_signals():
    """Turns SIGINT/SIGTERM into a flag the training loop checks between calls."""
    received = []

    def handler(signum, frame):
        if received:  # a second signal: stop at once
            raise KeyboardInterrupt
        received.append(signal.Signals(signum))
        logging.warning("%s received: saving a checkpoint and stopping (again to abort)",
                        received[0].name)

    previous = {s: signal.signal(s, handler) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield received
    finally:
        for s, h in previous.items():
            signal.signal(s, h)


def train(config: Config, stop_at=0):
    """Trains (or resumes) the run config describes; returns the final step.

    stop_at: stop this session at this step (0: config.max_step). config.json keeps
    max_step, the run's planned length, so a run stopped here is not taken as finished
    (runs.load_runs) and a later call resumes it.

    Raises RunError (run in use, or flags contradicting config.json), Diverged or
    Interrupted; in each case what was last saved stays usable.
    """
    config = config.resolved()
    directory = config.run_dir
    check_resumable(config, directory)
    os.makedirs(directory, exist_ok=True)
    with RunLock(directory):
        return _train_locked(config, directory,
                             min(stop_at, config.max_step) if stop_at else config.max_step)


def check_resumable(config, directory):
    """Raises RunError if directory holds a run whose settings contradict config."""
    if not os.path.exists(os.path.join(directory, CONFIG_FILE)):
        return
    try:
        saved = Config.load(directory)
    except (OSError, ValueError, TypeError) as e:
        raise RunError(f"{directory}: unreadable {CONFIG_FILE} ({e})") from e
    conflicts = resume_conflicts(config, saved)
    if conflicts:
        raise RunError(f"{directory} exists with other settings: " + "; ".join(conflicts)
                       + " (use another --train_dir, or the run's own settings)")


def _train_locked(config, directory, end):
    """Restores the run, says so and returns when it is already at `end`, else trains it
    there."""
    trainer = Trainer(config)
    manager = tf.train.CheckpointManager(trainer.checkpoint, directory, max_to_keep=3)
    start = _restore(trainer, directory)
    config.save(directory)
    if _reached(config, directory, start, end):
        return start
    record_session(directory, start)
    return _loop(trainer, manager, config, directory, start, end)


def _restore(trainer, directory):
    """The step of the newest good checkpoint restored into trainer (0 when none)."""
    try:
        restored = restore_newest(trainer.checkpoint, directory)
    except RunError as e:
        raise RunError(f"{e}. Nothing was changed; move the run away (or repair it) and "
                       "run again, or use another --train_dir") from e
    start = int(trainer.step.numpy())
    if restored:
        logging.info("restored from step %d (%s)", start, restored)
    return start


def _reached(config, directory, start, end):
    """Whether the run is already at `end` (finished, or past --stop_at), said in the log."""
    if start < end:
        return False
    if start < config.max_step:
        logging.info("run %s is at step %d, past --stop_at=%d (of max_step %d)",
                     directory, start, end, config.max_step)
    else:
        logging.info("run %s is done: step %d of max_step %d", directory, start,
                     config.max_step)
    return True


def _steps_to_next_stop(config, step, end):
    """Steps until the next log, checkpoint or the end: what one compiled call runs."""
    return min(config.steps_per_call, end - step, config.log_every - step % config.log_every,
               config.checkpoint_every - step % config.checkpoint_every)


def _loop(trainer, manager, config, directory, start, end):
    """Trains from start to end; saves a checkpoint every checkpoint_every steps, at the
    end and on a stop signal (then raises Interrupted); raises Diverged on a NaN loss."""
    progress = _Progress(directory, trainer.model.num_latents, start, end)
    logging.info("training %s: %s, %d latents, %d parameters, steps %d -> %d", directory,
                 config.model, trainer.model.num_latents, trainer.model.count_params(),
                 start, end)
    writer = tf.summary.create_file_writer(directory)
    step, last_saved = start, start
    with _stop_on_signals() as signals, writer.as_default():
        try:
            while step < end:
                n = _steps_to_next_stop(config, step, end)
                out, finite = trainer.run_steps(tf.constant(n, tf.int64))
                if not bool(finite):
                    raise Diverged(
                        f"loss became NaN or Inf between step {step} and {step + n}; stopped. "
                        f"The last good checkpoint is step {last_saved} "
                        f"({manager.latest_checkpoint or 'none'}); the same command resumes "
                        "from it, or start a new --train_dir with a lower --lr")
                step += n
                progress.ran(step)
                if step % config.log_every == 0 or step == end:
                    progress.log(step, out)
                if step % config.checkpoint_every == 0 or step == end or signals:
                    manager.save(checkpoint_number=step)
                    last_saved = step
                if signals:
                    raise Interrupted(
                        f"{signals[0].name}: stopped at step {step}, checkpoint saved in "
                        f"{directory}. Run the same command again to resume.", signals[0])
        finally:
            writer.flush()
    logging.info("done: step %d, checkpoint %s", step, manager.latest_checkpoint)
    return step


class _Progress:
    """One session's training log: metrics.csv and TensorBoard rows, and the progress
    line with its rate (timed from the end of the first call, which compiles) and ETA."""

    def __init__(self, directory, num_latents, start, end):
        self.k, self.end = num_latents, end
        columns = ["step", "reconstruction", "kl", "loss", "lr", "beta", "elapsed",
                   "active_latents"] + [f"stddev_{i}" for i in range(num_latents)]
        self.metrics = MetricsLog(directory, columns, start)
        # Wall seconds spent training this run, summed over its sessions.
        self.elapsed_before = self.metrics.last.get("elapsed") or 0.0
        self.session_start = time.perf_counter()
        self.timer_step, self.timer = start, None

    def ran(self, step):
        if self.timer is None:
            self.timer_step, self.timer = step, time.perf_counter()

    def log(self, step, out):
        row = _log_row(step, out)
        row["elapsed"] = self.elapsed_before + time.perf_counter() - self.session_start
        self.metrics.append(row)
        _summaries(row, self.k)
        since = time.perf_counter() - self.timer
        rate = (step - self.timer_step) / since if since > 0 else float("nan")
        logging.info(
            "step %d/%d | reconstruction %.2f kl %.2f nats/image | %d active latents | "
            "lr %.3g beta %.3g | %.1f steps/s | ETA %s", step, self.end,
            row["reconstruction"], row["kl"], row["active_latents"], row["lr"], row["beta"],
            rate, _format_eta((self.end - step) / rate if rate > 0 else math.nan))


def _log_row(step, out):
    stddev = out["stddev"].numpy()
    row = {"step": step, "reconstruction": float(out["reconstruction"]),
           "kl": float(out["kl"]), "loss": float(out["loss"]),
           "lr": float(out["lr"]), "beta": float(out["beta"]),
           "active_latents": active_latents(stddev)}
    row.update({f"stddev_{i}": float(s) for i, s in enumerate(stddev)})
    return row


def _summaries(row, num_latents):
    step = row["step"]
    for name in ("reconstruction", "kl", "loss", "lr", "beta", "active_latents"):
        tf.summary.scalar(name, row[name], step=step)
    for i in range(num_latents):
        tf.summary.scalar(f"stddev/latent_{i}", row[f"stddev_{i}"], step=step)
