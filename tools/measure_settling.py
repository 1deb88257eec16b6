r"""How long a run of a preset must train before its scores settle: trains one run in
stages (main.py resumes it to each --max_step in turn) and scores it after each stage,
appending a row per stage to a CSV (training seconds so far, the three scores, the time
scoring took, as summaries.evaluate measures them). Meant for a development seed, so the
preset's length is not chosen on the seeds it reports.

    python -m tools.measure_settling --preset=shapes --beta=4.0 --seed=100 \
        --stages=500,1000,2000,4000,8000 --num_train=2000 --num_eval=1000 --num_mig=5000 \
        --out=figures/shapes/settling.csv
"""

import csv
import os
import subprocess
import sys

from betavae import tf_env  # noqa: F401  (sets TensorFlow's environment before it loads)

from absl import app, flags  # noqa: E402

from betavae import analysis  # noqa: E402
from reporting import figure_cli  # noqa: E402

figure_cli.define_sizes()  # --num_train, --num_eval, --num_mig

flags.DEFINE_string("preset", "shapes", "The ./run preset whose run is measured.")
flags.DEFINE_string("model", None, "The preset's model (default: its first).")
flags.DEFINE_integer("num_balls", None, "Ball count (default: the preset's first).")
flags.DEFINE_float("beta", 4.0, "The run's beta.")
flags.DEFINE_integer("seed", 100, "A development seed, not one the results report.")
flags.DEFINE_list("stages", ["500", "1000", "2000", "4000", "8000"],
                  "Steps after which the run is scored, increasing.")
flags.DEFINE_integer("threads", 0, "TensorFlow threads for training and scoring (0: all).")
flags.DEFINE_string("train_dir", "./checkpoints/settling/train_store", "Run directory prefix.")
flags.DEFINE_string("out", None, "CSV the rows are appended to.", required=True)
FLAGS = flags.FLAGS

COLUMNS = ("run", "step", "training_seconds", "beta_vae", "factor_vae", "mig",
           "active_latents", "reconstruction", "scoring_seconds", "num_train", "num_eval",
           "num_mig")


def stages():
    try:
        steps = [int(s) for s in FLAGS.stages]
    except ValueError:
        sys.exit(f"measure_settling.py: --stages must be integers, got {FLAGS.stages}")
    if not steps or steps != sorted(set(steps)) or steps[0] <= 0:
        sys.exit("measure_settling.py: --stages must be positive and increasing, got "
                 f"{steps}")
    return steps


def the_run():
    """(config, argv) of the preset's run with these flags."""
    from sweep import plan
    if FLAGS.preset not in plan.PRESETS:
        sys.exit(f"measure_settling.py: --preset must be one of {sorted(plan.PRESETS)}")
    extra = [f"--threads={FLAGS.threads}"] if FLAGS.threads else []
    planned = plan.plan(FLAGS.preset, FLAGS.train_dir, seeds=(FLAGS.seed,), extra=extra)
    model = FLAGS.model or planned[0][0].model
    balls = FLAGS.num_balls or planned[0][0].num_balls
    for config, argv in planned:
        if (config.model, config.num_balls, config.beta) == (model, balls, FLAGS.beta):
            return config, argv
    sys.exit(f"measure_settling.py: the {FLAGS.preset} preset has no run with model {model}, "
             f"{balls} balls, beta {FLAGS.beta}")


def score(directory):
    """The row of the run's newest checkpoint, from the numbers a run summary holds."""
    from results import summaries
    from betavae.runs import load_run
    sizes = figure_cli.sizes()
    found = summaries.evaluate(directory, load_run(directory), sizes)
    row = {key: found[key] for key in COLUMNS if key in found}
    row.update(sizes, run=os.path.basename(directory),
               scoring_seconds=found["evaluation_seconds"])
    for key, digits in (("training_seconds", 1), ("beta_vae", 4), ("factor_vae", 4),
                        ("mig", 4), ("reconstruction", 2)):
        row[key] = round(row[key], digits) if row.get(key) is not None else ""
    return row


def main(argv):
    if len(argv) > 1:
        raise app.UsageError(f"unexpected arguments {argv[1:]}")
    steps = stages()
    if FLAGS.threads:
        import tensorflow as tf
        tf.config.threading.set_intra_op_parallelism_threads(FLAGS.threads)
    config, command = the_run()
    directory = config.run_dir
    for step in steps:
        print(f"training {os.path.basename(directory)} to step {step}", flush=True)
        done = subprocess.run(command + [f"--max_step={step}"])
        if done.returncode != 0:
            sys.exit(f"measure_settling.py: main.py exited {done.returncode} at stage {step}")
        row = score(directory)
        print(", ".join(f"{k} {v}" for k, v in row.items()), flush=True)
        new = not os.path.exists(FLAGS.out)
        os.makedirs(os.path.dirname(FLAGS.out) or ".", exist_ok=True)
        with open(FLAGS.out, "a", newline="") as f:
            writer = csv.DictWriter(f, COLUMNS)
            if new:
                writer.writeheader()
            writer.writerow(row)
    with open(FLAGS.out, newline="") as f:
        rows = [r for r in csv.DictReader(f) if r["run"] == os.path.basename(directory)]
    step = analysis.settled_from(rows)
    print(f"beta-VAE score settled from step {step} (every later one within two standard "
          "errors of it)" if step else "beta-VAE score not settled within these stages")


if __name__ == "__main__":
    app.run(main)
