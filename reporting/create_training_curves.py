r"""Reconstruction against training step for every run, one figure per dataset, with the
original's final values marked: {one,two}_ball_training_curves.png.

    python -m reporting.create_training_curves --train_dir=./checkpoints/reproduce/train_store \
        --figures_dir=figures/reproduce
"""

from reporting import figure_cli
from reporting import plots

if __name__ == "__main__":
    figure_cli.run(plots.training_curves)
