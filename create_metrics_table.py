"""Disentanglement in numbers for every run: reconstruction, KL, active latents and the
beta-VAE, FactorVAE and MIG scores (metrics.py), as figures/metrics.csv, metrics.md and
{one,two}_ball_mig.png.

    python create_metrics_table.py --train_dir=./checkpoints/train_store --figures_dir=figures
"""

from absl import flags

import figure_cli
import metrics
import plots
import summaries

flags.DEFINE_integer("num_train", metrics.NUM_TRAIN,
                     "Training points of the beta-VAE and FactorVAE classifiers.")
flags.DEFINE_integer("num_eval", metrics.NUM_EVAL, "Evaluation points of both classifiers.")
flags.DEFINE_integer("num_mig", metrics.NUM_MIG, "Images for MIG and the variance estimate.")
FLAGS = flags.FLAGS

if __name__ == "__main__":
    figure_cli.run(lambda train_dir, figures_dir: plots.metrics_table(
        train_dir, figures_dir,
        summaries.table_sizes(FLAGS.num_train, FLAGS.num_eval, FLAGS.num_mig)))
