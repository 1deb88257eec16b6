r"""Disentanglement in numbers for every run: reconstruction, KL, active latents and the
beta-VAE, FactorVAE, MIG, DCI and SAP scores (betavae/metrics.py), as figures/metrics.csv,
metrics.md and {one,two}_ball_mig.png; for 2D shapes also shapes_objectives.md and .csv
(each objective's seeds, and the latent that carries shape, beside the paper's numbers)
and shapes_along.md (each finished run's points along training, a table per run).
With --beside, also recipes.md and .csv: each ball run beside another sweep's seed means.

    python -m reporting.create_metrics_table --train_dir=./checkpoints/train_store \
        --figures_dir=figures
    python -m reporting.create_metrics_table --train_dir=/tmp/none/train_store \
        --figures_dir=figures/faithful --beside=figures/reproduce
"""

import os
import sys

from reporting import figure_cli
from reporting import tables
from reporting import shapes_figures

from absl import flags

figure_cli.define_sizes()
flags.DEFINE_list("shapes_beside", [], "Other shapes folders (e.g. "
                  "figures/shapes_small_sprites) whose kept runs join shapes_objectives.md "
                  "as rows of their own.")
flags.DEFINE_string("beside", "", "Another sweep's figures folder (its seeds.csv): each ball "
                    "run's row in recipes.md gets that sweep's mean for the same setting.")


def write(train_dir, figures_dir):
    beside = flags.FLAGS.beside
    if beside and not os.path.exists(os.path.join(beside, "seeds.csv")):
        sys.exit(f"create_metrics_table.py: --beside={beside} has no seeds.csv (give a "
                 "sweep's figures folder, e.g. figures/reproduce)")
    return (tables.metrics_table(train_dir, figures_dir, figure_cli.sizes(), beside or None)
            + shapes_figures.objective_tables(train_dir, figures_dir, figure_cli.sizes(),
                                              flags.FLAGS.shapes_beside))


if __name__ == "__main__":
    figure_cli.run(write)
