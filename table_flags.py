"""The scores' sizes as flags, shared by the entry scripts that score runs
(create_metrics_table.py, create_run_summary.py); libraries take summaries.table_sizes()."""

from absl import flags

import metrics
import summaries

flags.DEFINE_integer("num_train", metrics.NUM_TRAIN,
                     "Training points of the beta-VAE and FactorVAE classifiers.")
flags.DEFINE_integer("num_eval", metrics.NUM_EVAL, "Evaluation points of both classifiers.")
flags.DEFINE_integer("num_mig", metrics.NUM_MIG, "Images for MIG and the variance estimate.")


def sizes():
    """The flags' values as summaries.table_sizes() gives them."""
    f = flags.FLAGS
    return summaries.table_sizes(f.num_train, f.num_eval, f.num_mig)
