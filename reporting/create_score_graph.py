r"""The beta-VAE, FactorVAE, MIG, DCI and SAP scores against beta, seeds spread, one
figure per dataset (shapes_scores.png with the paper's numbers; one_ball_scores.png, ...),
and for 2D shapes the scores along training, a line per objective
(shapes_scores_along_training.png, from the points ./run --shapes scores as it trains).

    python -m reporting.create_score_graph --train_dir=./checkpoints/shapes/train_store \
        --figures_dir=figures/shapes
"""

from reporting import figure_cli
from reporting import plots
from reporting import shapes_figures

figure_cli.define_sizes()

if __name__ == "__main__":
    figure_cli.run(lambda train_dir, figures_dir: plots.score_graphs(
        train_dir, figures_dir, figure_cli.sizes()) + shapes_figures.along_graphs(
        train_dir, figures_dir, figure_cli.sizes()))
