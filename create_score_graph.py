"""The beta-VAE, FactorVAE, MIG, DCI and SAP scores against beta, seeds spread, one
figure per dataset (shapes_scores.png with the paper's numbers; one_ball_scores.png, ...).

    python create_score_graph.py --train_dir=./checkpoints/shapes/train_store \
        --figures_dir=figures/shapes
"""

import figure_cli
import plots
import table_flags

if __name__ == "__main__":
    figure_cli.run(lambda train_dir, figures_dir: plots.score_graphs(
        train_dir, figures_dir, table_flags.sizes()))
