r"""Training and data-generation throughput, against this machine's own limits.

    python -m tools.benchmark --models=fully_connected,conv,all_conv --num_balls=1,2 \
        --json=benchmark.json

    python -m tools.benchmark --models=burgess,paper_fc
    python -m tools.benchmark --models=burgess --threads=1   # as each of two runs side by side
    python -m tools.benchmark --score_runs=./checkpoints/train_store_model_conv_num_balls_2_beta_1.0

For each (model, num_balls): images/s of the real training step (train.Trainer, the code
path of main.py) with XLA as main.py chooses it, on and off; images/s of our generator
alone and of a numpy generator written like the original's (one bouncing trajectory per
batch, a Python loop over frames); for the fully connected model its training FLOPs per
image, the FLOP/s reached, and their fraction of the fp32 matmul throughput that TF
measures on this machine in the same run. For the 2D-shapes networks (burgess, paper_fc):
their step as ./run --shapes trains it, XLA on and off, its training FLOPs per image and
their fraction of the matmul bound, and where the CPU multiplies bfloat16 in hardware
(AVX512_BF16 or AMX) the same under --precision=mixed_bfloat16, against bfloat16 matmul
throughput. --threads=1 times a step as each run of
./run --jobs=2 trains it.

With --score_runs, instead: for each trained run, the seconds each score takes at
disentanglement_lib's sizes (one core, as betavae/metrics.py fits its classifiers), and DCI
computed both ways on the same codes, by disentanglement_lib's GradientBoostingClassifier
and by the LightGBM trees this project uses, with their difference.
"""

import json
import time

from betavae import tf_env  # noqa: F401  (sets TensorFlow's environment before it loads)

import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402
from absl import app, flags, logging  # noqa: E402
from tensorflow import keras  # noqa: E402

import data  # noqa: E402
from betavae import metrics  # noqa: E402
from results import original_generator  # noqa: E402
from sweep import plan  # noqa: E402
from betavae.config import Config  # noqa: E402
from betavae.train import Trainer, xla_for  # noqa: E402

flags.DEFINE_list("models", list(plan.MODELS), "Models to time (burgess, paper_fc: the "
                  "2D-shapes networks).")
flags.DEFINE_list("num_balls", ["1"], "Ball counts to time.")
flags.DEFINE_integer("batch_size", 128, "Images per step (ball models).")
flags.DEFINE_integer("shapes_batch_size", 0, "Images per step of the 2D-shapes models (0: "
                     "their ./run --shapes batch, 64 for burgess, 128 for paper_fc).")
flags.DEFINE_integer("steps", 60, "Timed training steps per measurement (after warm-up).")
flags.DEFINE_float("seconds", 3.0, "Minimum seconds per data-generation measurement.")
flags.DEFINE_string("json", None, "Also write the records here.")
flags.DEFINE_enum("sampler", "iid", ["iid", "trajectory"],
                  "Data generated inside the timed training step (the README's table: iid).")
flags.DEFINE_list("score_runs", [], "Run directories: time their scores instead "
                  "(see the docstring).")
flags.DEFINE_integer("score_seed", 0, "Seed of the scores' points (--score_runs).")
flags.DEFINE_integer("compare_points", 2000,
                     "--score_runs: DCI by both estimators on this many of the training "
                     "points and half as many test points (scikit-learn's takes minutes a "
                     "factor at the full 10000).")
flags.DEFINE_integer("threads", 0, "TensorFlow intra-op threads (0: TF's default, all "
                     "cores; 1: as each of ./run --jobs=2's runs trains).")
FLAGS = flags.FLAGS


def _timed(fn, min_seconds, sync):
    """Calls per second of fn() over at least min_seconds, after one warm-up call."""
    sync(fn())
    calls, start = 0, time.perf_counter()
    while True:
        sync(fn())
        calls += 1
        elapsed = time.perf_counter() - start
        if elapsed >= min_seconds:
            return calls / elapsed


def train_steps(config, steps, jit_compile):
    """(steps/s, cores busy: process CPU seconds per wall second) of the training step."""
    trainer = Trainer(config, jit_compile=jit_compile)
    chunk = tf.constant(config.steps_per_call, tf.int64)
    trainer.run_steps(chunk)  # compile
    calls = max(1, steps // config.steps_per_call)
    start, cpu = time.perf_counter(), time.process_time()
    for _ in range(calls):
        out, _ = trainer.run_steps(chunk)
    float(out["loss"])
    wall = time.perf_counter() - start
    return calls * config.steps_per_call / wall, (time.process_time() - cpu) / wall


def data_batches_per_s(batch_size, num_balls, seconds, per_call=20):
    """Our generator as training compiles it (i.i.d. positions and rendering, XLA), several
    batches per call as inside the training loop, so dispatch is not what is timed."""

    @tf.function(jit_compile=True)
    def generate(seed):
        total = tf.constant(0.0)
        for i in tf.range(per_call):
            s = tf.random.experimental.stateless_fold_in(seed, tf.cast(i, tf.int64))
            total += tf.reduce_sum(data.sample_batch(batch_size, num_balls, s)[0])
        return total

    counter = iter(range(10**9))
    return per_call * _timed(lambda: generate(tf.constant([0, next(counter)], tf.int64)),
                             seconds, lambda x: x.numpy())


def matmul_flops_per_s(seconds, n=2048, dtype=tf.float32):
    """Matmul throughput TF reaches on this machine: the bound for a dense model."""
    a = tf.cast(tf.random.normal([n, n]), dtype)
    b = tf.cast(tf.random.normal([n, n]), dtype)
    matmul = tf.function(lambda: tf.reduce_sum(tf.cast(tf.matmul(a, b), tf.float32)))
    return 2 * n**3 * _timed(matmul, seconds, lambda x: x.numpy())


def measure(model, num_balls, batch_size, steps, seconds, matmul, sampler="iid"):
    settings = dict(plan.FAITHFUL[model])
    settings.pop("lr", None)
    config = Config(model=model, num_balls=num_balls, batch_size=batch_size,
                    sampler=sampler, **settings)
    record = {"model": model, "num_balls": num_balls, "batch_size": batch_size,
              "xla_default": xla_for(model)}
    for label, jit in (("xla_on", True), ("xla_off", False)):
        record[f"train_images_per_s_{label}"] = batch_size * train_steps(
            config, steps, jit)[0]
    record["train_images_per_s"] = record["train_images_per_s_xla_on" if record["xla_default"]
                                          else "train_images_per_s_xla_off"]
    record["data_images_per_s"] = batch_size * data_batches_per_s(batch_size, num_balls,
                                                                  seconds)
    rng = np.random.default_rng(0)
    record["numpy_data_images_per_s"] = batch_size * _timed(
        lambda: original_generator.original_batch(batch_size, num_balls, rng), seconds,
        lambda x: x)
    record["data_speedup_over_numpy"] = (record["data_images_per_s"]
                                         / record["numpy_data_images_per_s"])
    record["data_fraction_of_step"] = record["train_images_per_s"] / record["data_images_per_s"]
    if model == "fully_connected":
        flops = training_flops_per_image(Trainer(config).model)
        record["train_flops_per_image"] = flops
        record["train_flops_per_s"] = flops * record["train_images_per_s"]
        record["matmul_flops_per_s"] = matmul
        record["fraction_of_matmul_bound"] = record["train_flops_per_s"] / matmul
    return record


def training_flops_per_image(model):
    """Training FLOPs per image of a model's dense, conv and transposed-conv layers: 2 per
    multiply-add, three passes each (forward, weight gradient, input gradient) but no input
    gradient for the first layer (the image)."""
    macs = []
    for part in (model.encoder, model.decoder):
        x = tf.zeros((1,) + tuple(part.input_shape[1:]))
        for layer in part.layers:
            y = layer(x)
            kernel = getattr(layer, "kernel", None)
            if kernel is not None:
                k = int(np.prod(kernel.shape))
                if isinstance(layer, keras.layers.Conv2DTranspose):
                    k *= int(np.prod(x.shape[1:3]))  # each input pixel scatters the kernel
                elif isinstance(layer, keras.layers.Conv2D):
                    k *= int(np.prod(y.shape[1:3]))  # the kernel at each output pixel
                macs.append(k)
            x = y
    return 2 * (3 * sum(macs) - macs[0])


def measure_shapes(model, batch_size, steps, bound, precision="float32", jit_compile=None):
    """A 2D-shapes network's step as ./run --shapes trains it: images/s, training FLOPs per
    image and their fraction of `bound` (the matmul throughput of its precision).
    precision: the run's ("mixed_bfloat16": bfloat16 matmuls and convs, float32 variables
    and loss); jit_compile: None as training chooses."""
    settings = dict(plan.SHAPES[model], precision=precision)
    settings.pop("max_step")
    settings["batch_size"] = batch_size or settings.get("batch_size", 128)
    config = Config(model=model, **settings)
    jit = xla_for(model) if jit_compile is None else jit_compile
    # XLA's CPU convolutions run burgess's step at a few dozen images/s: time fewer steps.
    timed = steps if jit == xla_for(model) else max(config.steps_per_call, steps // 6)
    try:
        steps_per_s, cores = train_steps(config, timed, jit)
        flops = training_flops_per_image(Trainer(config).model)
    finally:
        keras.mixed_precision.set_global_policy("float32")
    record = {"model": model, "batch_size": config.batch_size, "policy": precision, "xla": jit,
              "train_images_per_s": config.batch_size * steps_per_s, "cores_busy": cores,
              "train_flops_per_image": flops, "matmul_flops_per_s": bound}
    record["train_flops_per_s"] = flops * record["train_images_per_s"]
    record["fraction_of_matmul_bound"] = record["train_flops_per_s"] / bound
    return record


def shapes_records(model, batch_size, steps, seconds, matmul):
    """The step in float32 with XLA on and off, and where the CPU has bfloat16 matmuls, the
    same under mixed_bfloat16 (the bound then being bfloat16 matmul throughput)."""
    records = [measure_shapes(model, batch_size, steps, matmul, "float32", jit)
               for jit in (xla_for(model), not xla_for(model))]
    if plan.cpu_has_bf16():
        bf16 = matmul_flops_per_s(seconds, dtype=tf.bfloat16)
        print(f"bf16 matmul (2048x2048, TF): {bf16 / 1e9:.1f} GFLOP/s")
        for jit in (xla_for(model), not xla_for(model)):
            records.append(measure_shapes(model, batch_size, steps, bf16, "mixed_bfloat16",
                                          jit))
    else:
        print("bf16: not measured (this CPU has neither AVX512_BF16 nor AMX)")
    return records


def table(records):
    head = ("model", "balls", "train img/s", "XLA on", "XLA off", "data img/s",
            "numpy img/s", "data/step", "GFLOP/s", "of matmul")
    lines = [" | ".join(head)]
    for r in records:
        lines.append(" | ".join([
            r["model"], str(r["num_balls"]), f"{r['train_images_per_s']:.0f}",
            f"{r['train_images_per_s_xla_on']:.0f}", f"{r['train_images_per_s_xla_off']:.0f}",
            f"{r['data_images_per_s']:.0f}", f"{r['numpy_data_images_per_s']:.0f}",
            f"{r['data_fraction_of_step']:.1%}",
            f"{r['train_flops_per_s'] / 1e9:.1f}" if "train_flops_per_s" in r else "-",
            f"{r['fraction_of_matmul_bound']:.0%}" if "fraction_of_matmul_bound" in r else "-"]))
    return "\n".join(lines)


def score_costs(run_dir, seed=0, compare_points=2000):
    """Seconds of each score of one run at disentanglement_lib's sizes, and DCI by both
    estimators on the same codes (compare_points of them)."""
    from betavae.runs import load_run
    config, model, step, _ = load_run(run_dir)
    factors = (metrics.ShapeFactors(seed) if config.dataset == "shapes"
               else metrics.BallFactors(config.num_balls, seed))

    def encode(x):
        return model.encode(x)[0].numpy()

    rng = np.random.default_rng(seed)
    record = {"run": run_dir, "step": step}
    for name, score in (
            ("beta_vae", lambda: metrics.beta_vae_score(encode, factors, rng)),
            ("factor_vae", lambda: metrics.factor_vae_score(encode, factors, rng)),
            ("mig", lambda: metrics.mig_score(encode, factors))):
        start = time.perf_counter()
        record.update({k: v for k, v in score().items() if k in metrics.SCORES})
        record[f"{name}_seconds"] = time.perf_counter() - start
    start = time.perf_counter()
    codes = (metrics.codes_and_factors(encode, factors, metrics.NUM_TRAIN)
             + metrics.codes_and_factors(encode, factors, metrics.NUM_EVAL))
    record["dci_sap_codes_seconds"] = time.perf_counter() - start
    start = time.perf_counter()
    record.update({k: v for k, v in metrics.dci_from_codes(*codes).items()
                   if k in metrics.SCORES})
    record["dci_seconds"] = time.perf_counter() - start
    n, m = compare_points, compare_points // 2
    subset = (codes[0][:n], codes[1][:n], codes[2][:m], codes[3][:m])
    record["compare_points"] = n
    for estimator in metrics.DCI_ESTIMATORS:
        start = time.perf_counter()
        dci = metrics.dci_from_codes(*subset, estimator=estimator)
        record[f"dci_{estimator}_{n}_seconds"] = time.perf_counter() - start
        for key in ("dci_disentanglement", "dci_completeness", "dci_informativeness"):
            record[f"{key}_{estimator}"] = dci[key]
    start = time.perf_counter()
    record["sap"] = metrics.sap_from_codes(*codes)["sap"]
    record["sap_seconds"] = time.perf_counter() - start
    return record


def score_table(records):
    lines = []
    for r in records:
        lines.append(f"{r['run']} (step {r['step']})")
        lines.append("  seconds: " + ", ".join(
            f"{k[:-8]} {v:.1f}" for k, v in r.items() if k.endswith("_seconds")))
        lines.append("  " + ", ".join(f"{k} {r[k]:.4f}" for k in metrics.SCORES))
        for key in ("dci_disentanglement", "dci_completeness", "dci_informativeness"):
            ours, theirs = r[f"{key}_lightgbm"], r[f"{key}_sklearn_gbt"]
            lines.append(f"  {key} on {r['compare_points']} points: lightgbm {ours:.4f}, "
                         f"sklearn_gbt {theirs:.4f}, difference {ours - theirs:+.4f}")
    return "\n".join(lines)


def main(argv):
    del argv
    if FLAGS.score_runs:
        records = [score_costs(d, FLAGS.score_seed, FLAGS.compare_points)
                   for d in FLAGS.score_runs]
        print(score_table(records))
        if FLAGS.json:
            with open(FLAGS.json, "w") as f:
                json.dump(records, f, indent=2)
        return
    if FLAGS.threads > 0:  # before TensorFlow runs its first op
        tf.config.threading.set_intra_op_parallelism_threads(FLAGS.threads)
    devices = [d.device_type for d in tf.config.list_physical_devices()]
    logging.info("devices: %s", devices)
    matmul = matmul_flops_per_s(FLAGS.seconds)
    print(f"fp32 matmul (2048x2048, TF): {matmul / 1e9:.1f} GFLOP/s")
    records = []
    for model in FLAGS.models:
        if model in plan.SHAPES:
            for r in shapes_records(model, FLAGS.shapes_batch_size, FLAGS.steps,
                                    FLAGS.seconds, matmul):
                print(f"{model} (2D shapes, batch {r['batch_size']}, {r['policy']}, XLA "
                      f"{'on' if r['xla'] else 'off'}): {r['train_images_per_s']:.0f} img/s "
                      f"({r['train_images_per_s'] / r['batch_size']:.1f} steps/s), "
                      f"{r['train_flops_per_image'] / 1e6:.1f} MFLOP per training image, "
                      f"{r['train_flops_per_s'] / 1e9:.1f} GFLOP/s, "
                      f"{r['fraction_of_matmul_bound']:.0%} of the matmul bound, "
                      f"{r['cores_busy']:.1f} cores busy", flush=True)
                records.append(r)
            continue
        for num_balls in (int(n) for n in FLAGS.num_balls):
            records.append(measure(model, num_balls, FLAGS.batch_size, FLAGS.steps,
                                   FLAGS.seconds, matmul, FLAGS.sampler))
            logging.info("%s", records[-1])
    balls = [r for r in records if r["model"] not in plan.SHAPES]
    if balls:
        print(table(balls))
    if FLAGS.json:
        with open(FLAGS.json, "w") as f:
            json.dump(records, f, indent=2)


if __name__ == "__main__":
    app.run(main)
