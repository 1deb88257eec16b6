"""Per-image reconstruction loss against beta per model, with the entropy floor.

    python create_error_graph.py --train_dir=./checkpoints/train_store --figures_dir=figures
"""

from reporting import figure_cli
from reporting import plots

if __name__ == "__main__":
    figure_cli.run(plots.error_graphs)
