"""The original's 18-run sweep as data, and the main.py command of each run."""

import itertools
import shlex
import sys

MODELS = ("fully_connected", "conv", "all_conv")
NUM_BALLS = (1, 2)
BETAS = (0.1, 0.5, 1.0)

# The original's per-model settings (its ./run script).
FAITHFUL = {
    "fully_connected": {"hidden_size": 10, "lr": 5e-5, "weight_init": 0.01},
    "conv": {},
    "all_conv": {"hidden_size": 1},
}

# --quick: a 2-core CPU runs all 18 runs and the figures in about 20 minutes (see README).
# Adam needs a larger step than the original's 5e-5 for the FC model to learn in a few
# thousand steps; smaller batches buy more steps.
QUICK = {
    "fully_connected": {"hidden_size": 10, "lr": 5e-4, "weight_init": 0.01,
                        "batch_size": 64, "max_step": 1500},
    "conv": {"batch_size": 64, "max_step": 1500},
    "all_conv": {"hidden_size": 1, "batch_size": 64, "max_step": 1500},
}


def runs(quick=False):
    """(model, num_balls, beta, settings) for each of the 18 runs, in the original's order."""
    settings = QUICK if quick else FAITHFUL
    return [(m, n, b, dict(settings[m]))
            for m, n, b in itertools.product(MODELS, NUM_BALLS, BETAS)]


def run_dir(train_dir, model, num_balls, beta):
    """The original's run directory: <train_dir>_model_<m>_num_balls_<n>_beta_<beta>."""
    return f"{train_dir}_model_{model}_num_balls_{num_balls}_beta_{float(beta)}"


def command(model, num_balls, beta, settings, train_dir, extra=(), python=sys.executable):
    """The argv that trains one run with main.py."""
    argv = [python, "main.py", f"--model={model}", f"--num_balls={num_balls}",
            f"--beta={beta}", f"--train_dir={train_dir}"]
    argv += [f"--{k}={v}" for k, v in settings.items()]
    return argv + list(extra)


def shell_line(argv):
    return " ".join(shlex.quote(a) for a in argv)
