"""Disentanglement in numbers for every run: reconstruction, KL, active latents and the
beta-VAE, FactorVAE, MIG, DCI and SAP scores (metrics.py), as figures/metrics.csv,
metrics.md and {one,two}_ball_mig.png; for 2D shapes also shapes_objectives.md and .csv
(each objective's seeds, and the latent that carries shape, beside the paper's numbers).

    python create_metrics_table.py --train_dir=./checkpoints/train_store --figures_dir=figures
"""

import figure_cli
import plots
import shapes_figures

figure_cli.define_sizes()

if __name__ == "__main__":
    figure_cli.run(lambda train_dir, figures_dir: plots.metrics_table(
        train_dir, figures_dir, figure_cli.sizes()) + shapes_figures.objective_tables(
        train_dir, figures_dir, figure_cli.sizes()))
