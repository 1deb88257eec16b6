"""The flags the figure and table scripts share: --train_dir and --figures_dir (run()
defines them; define_run_dir() --run_dir and --figures_dir for a one-run script, and
check_args() checks them), and the scores' sizes (define_sizes(), for the scripts that score runs:
reporting/create_metrics_table.py, reporting/create_score_graph.py,
reporting/create_run_summary.py).

Only those entry scripts import this; the libraries they call take plain arguments
(summaries.table_sizes() for the sizes).
"""

import os
import sys

from betavae import tf_env  # noqa: F401  (sets TensorFlow's environment before it loads)

from absl import app, flags  # noqa: E402


def define_sizes():
    """Defines --num_train, --num_eval and --num_mig (disentanglement_lib's defaults)."""
    from betavae import metrics
    flags.DEFINE_integer("num_train", metrics.NUM_TRAIN,
                         "Training points of the beta-VAE and FactorVAE classifiers.")
    flags.DEFINE_integer("num_eval", metrics.NUM_EVAL, "Evaluation points of both classifiers.")
    flags.DEFINE_integer("num_mig", metrics.NUM_MIG, "Images for MIG and the variance estimate.")


def sizes():
    """The size flags' values as summaries.table_sizes() gives them."""
    from results import summaries
    f = flags.FLAGS
    return summaries.table_sizes(f.num_train, f.num_eval, f.num_mig)


def define_run_dir():
    """Defines --run_dir and --figures_dir, for the scripts that work on one run."""
    flags.DEFINE_string("run_dir", None, "The run directory (holds config.json).",
                        required=True)
    flags.DEFINE_string("figures_dir", "figures", "Where the outputs go.")


def check_args(argv):
    """Refuses positional arguments (UsageError) and an unusable --figures_dir (exits with
    the script's name and the problem)."""
    if len(argv) > 1:
        raise app.UsageError(f"unexpected arguments {argv[1:]}")
    from betavae.config import output_dir_problem
    problem = output_dir_problem(f"--figures_dir={flags.FLAGS.figures_dir}",
                                 flags.FLAGS.figures_dir)
    if problem:
        sys.exit(f"{os.path.basename(sys.argv[0])}: {problem}")


def run(write):
    """Defines --train_dir and --figures_dir, then runs write(train_dir, figures_dir) as an
    absl program; exits 1 if it wrote nothing."""
    flags.DEFINE_string("train_dir", "./checkpoints/train_store",
                        "Runs to use: main.py's --train_dir prefix (finds <prefix>_model_*), "
                        "or a folder searched for run directories.")
    flags.DEFINE_string("figures_dir", "figures", "Where the outputs go.")

    def main(argv):
        check_args(argv)
        if not write(flags.FLAGS.train_dir, flags.FLAGS.figures_dir):
            return 1
        return 0

    app.run(main)
