r"""The training curves of runs that several sweeps share, side by side: reconstruction
against step and against minutes of training, e.g. the faithful runs (the original's
recipe) beside the reproduce runs of the same settings:

    python -m reporting.create_recipe_comparison \
        --sweeps=faithful:figures/faithful,reproduce:figures/reproduce \
        --figures_dir=figures/faithful

Reads the sweeps' kept summaries and training curves (<dir>/runs/), not checkpoints.
"""

import os
import sys

from betavae import tf_env  # noqa: F401  (sets TensorFlow's environment before it loads)

from absl import app, flags  # noqa: E402

flags.DEFINE_list("sweeps", None, "label:figures_dir of each sweep to compare.",
                  required=True)
flags.DEFINE_string("figures_dir", "figures", "Where the figure goes.")
FLAGS = flags.FLAGS


def main(argv):
    if len(argv) > 1:
        raise app.UsageError(f"unexpected arguments {argv[1:]}")
    folders = {}
    for item in FLAGS.sweeps:
        label, sep, folder = item.partition(":")
        if not sep or not os.path.isdir(folder):
            sys.exit(f"create_recipe_comparison.py: --sweeps={item}: want label:folder, "
                     "with a folder that exists")
        folders[label] = folder
    from reporting import plots
    return 0 if plots.recipe_comparison(folders, FLAGS.figures_dir) else 1


if __name__ == "__main__":
    app.run(main)
