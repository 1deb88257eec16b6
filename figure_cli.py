"""The command line the figure and table scripts share: --train_dir and --figures_dir.

Only those entry scripts import this; the libraries they call take plain arguments.
"""

import os
import sys

import tf_env  # noqa: F401  (sets TensorFlow's environment before it loads)

from absl import app, flags  # noqa: E402

flags.DEFINE_string("train_dir", "./checkpoints/train_store",
                    "Runs to use: main.py's --train_dir prefix (finds <prefix>_model_*), "
                    "or a folder searched for run directories.")
flags.DEFINE_string("figures_dir", "figures", "Where the outputs go.")


def run(write):
    """Runs write(train_dir, figures_dir) as an absl program; exits 1 if it wrote nothing."""

    def main(argv):
        if len(argv) > 1:
            raise app.UsageError(f"unexpected arguments {argv[1:]}")
        from config import output_dir_problem
        problem = output_dir_problem(f"--figures_dir={flags.FLAGS.figures_dir}",
                                     flags.FLAGS.figures_dir)
        if problem:
            sys.exit(f"{os.path.basename(sys.argv[0])}: {problem}")
        if not write(flags.FLAGS.train_dir, flags.FLAGS.figures_dir):
            return 1
        return 0

    app.run(main)
