r"""Prints the training speed of the committed sweeps' runs as a markdown table
(reporting/speed.py), the table docs/performance.md holds:

    python -m reporting.create_speed_table \
        --figures_dirs=figures/reproduce,figures/faithful,figures/quick,figures/shapes
"""

from betavae import tf_env  # noqa: F401  (sets TensorFlow's environment before it loads)

from absl import app, flags  # noqa: E402

from reporting import speed  # noqa: E402

flags.DEFINE_list("figures_dirs", ["figures/" + d for d in speed.DEFAULT_FOLDERS],
                  "The sweeps' figure folders whose kept summaries to read.")
FLAGS = flags.FLAGS


def main(argv):
    if len(argv) > 1:
        raise app.UsageError(f"unexpected arguments: {argv[1:]}")
    print(speed.speed_markdown(speed.speed_rows(FLAGS.figures_dirs)), end="")


if __name__ == "__main__":
    app.run(main)
