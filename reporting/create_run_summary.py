r"""One trained run's results, kept beside the figures: its numbers (summary.json: the
metrics-table row and per-latent stddevs), its training curve, its traversal heat map
and an animated traversal GIF (for 2D shapes also its mutual-information matrix, each
latent's KL along training, and each shape reconstructed). ./run --reproduce calls it as
each run finishes. A kept summary computed from the same checkpoint is left as it is
(identity.stale), and only its missing figures are drawn. With
--point it scores the checkpoint as a point along the way (./run --shapes, every 1.6M
images) into runs/<run>/progress.jsonl instead.

    python -m reporting.create_run_summary \
        --run_dir=./checkpoints/reproduce/train_store_model_conv_num_balls_1_beta_0.1 \
        --figures_dir=figures/reproduce
"""

import sys

from betavae import tf_env  # noqa: F401  (sets TensorFlow's environment before it loads)

from absl import app, flags  # noqa: E402

from reporting import figure_cli  # noqa: E402

figure_cli.define_sizes()

figure_cli.define_run_dir()
flags.DEFINE_bool("point", False, "Score the run's checkpoint as a point along the way: "
                  "appended to <figures_dir>/runs/<run>/progress.jsonl (unless that step "
                  "is there), reconstruction on 3200 images, no summary or figures.")
flags.DEFINE_bool("progress", False, "Also keep the summary's scores as the run's last "
                  "point in progress.jsonl (a sweep scored along the way).")
FLAGS = flags.FLAGS


def main(argv):
    figure_cli.check_args(argv)
    from reporting import plots
    from results import summaries
    from betavae.runs import RunError, load_run
    try:
        run = load_run(FLAGS.run_dir)
    except RunError as e:
        sys.exit(f"create_run_summary.py: {e}")
    if FLAGS.point:
        if run.step not in summaries.progress_steps(FLAGS.figures_dir,
                                                    summaries.run_name(FLAGS.run_dir)):
            summaries.record_point(FLAGS.figures_dir, summaries.evaluate(
                FLAGS.run_dir, run, figure_cli.sizes(), target_se=0))
        return
    summary, evaluated = summaries.current(FLAGS.run_dir, run, FLAGS.figures_dir,
                                           figure_cli.sizes())
    if FLAGS.progress:
        summaries.record_point(FLAGS.figures_dir, summary)
    # A kept summary from this very checkpoint keeps its figures; only missing ones are
    # drawn.
    plots.run_figures(run.config, run.model, summary, summaries.read_progress(
        FLAGS.figures_dir, summary["run"]), FLAGS.figures_dir, redraw=evaluated)


if __name__ == "__main__":
    app.run(main)
