"""Latent traversals (heat maps), one per run: the original's cool images.

    python create_cool_images.py --train_dir=./checkpoints/train_store --figures_dir=figures
"""

from reporting import figure_cli
from reporting import plots

if __name__ == "__main__":
    figure_cli.run(plots.cool_images)
