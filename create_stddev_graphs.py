"""Sorted average posterior stddev per latent, one line per beta, per dataset and model.

    python create_stddev_graphs.py --train_dir=./checkpoints/train_store --figures_dir=figures
"""

from reporting import figure_cli
from reporting import plots

if __name__ == "__main__":
    figure_cli.run(plots.stddev_graphs)
