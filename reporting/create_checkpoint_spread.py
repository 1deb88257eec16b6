"""How much a run's reconstruction moves between the checkpoints it keeps (main.py keeps
the last three, 1000 steps apart): each one scored as the summary scores the last, into
<figures_dir>/runs/<run>/checkpoints.csv (left as it is when it was made from these very
checkpoints). At a constant learning rate the weights keep
moving to the end, so one checkpoint's number carries this spread as well as the seed's.

    python -m reporting.create_checkpoint_spread --figures_dir=figures/faithful \\
        --run_dir=./checkpoints/train_store_model_all_conv_num_balls_2_beta_1.0
"""

import sys

from betavae import tf_env  # noqa: F401  (sets TensorFlow's environment before it loads)

from absl import app, flags  # noqa: E402

from reporting import figure_cli  # noqa: E402

figure_cli.define_run_dir()
FLAGS = flags.FLAGS


def main(argv):
    figure_cli.check_args(argv)
    from results import summaries
    from betavae.runs import RunError, load_run
    if summaries.kept_checkpoints_answer(FLAGS.figures_dir, FLAGS.run_dir):
        print(f"{summaries.run_name(FLAGS.run_dir)}: its kept checkpoints.csv answers for "
              "the checkpoints it keeps; nothing to do")
        return
    try:
        config, model, _, _ = load_run(FLAGS.run_dir)
    except RunError as e:
        sys.exit(f"create_checkpoint_spread.py: {e}")
    rows = summaries.checkpoint_reconstructions(FLAGS.run_dir, config, model)
    path = summaries.save_checkpoints(FLAGS.figures_dir, FLAGS.run_dir, rows)
    for r in rows:
        iid = ("" if r["iid_reconstruction"] is None else
               f"; i.i.d. {r['iid_reconstruction']:.3f} +- {r['iid_reconstruction_se']:.3f}")
        print(f"step {r['step']}: {r['reconstruction']:.3f} +- {r['reconstruction_se']:.3f}"
              f"{iid}")
    print(f"wrote {path}")


if __name__ == "__main__":
    app.run(main)
