"""Disentanglement in numbers for every run: reconstruction, KL, active latents and the
beta-VAE, FactorVAE, MIG, DCI and SAP scores (metrics.py), as figures/metrics.csv,
metrics.md and {one,two}_ball_mig.png.

    python create_metrics_table.py --train_dir=./checkpoints/train_store --figures_dir=figures
"""

import figure_cli
import plots
import table_flags

if __name__ == "__main__":
    figure_cli.run(lambda train_dir, figures_dir: plots.metrics_table(
        train_dir, figures_dir, table_flags.sizes()))
