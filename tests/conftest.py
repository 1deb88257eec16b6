"""Makes the top-level modules importable and gives TensorFlow the entry scripts' environment."""

import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)
import tf_env  # noqa: E402,F401  (TensorFlow's environment, as the entry scripts set it)

import pytest  # noqa: E402


@pytest.fixture(scope="session")
def two_runs(tmp_path_factory):
    """Two tiny trained runs (FC, one ball, beta 0.1 and 1.0); returns their prefix."""
    import train
    from config import Config
    prefix = str(tmp_path_factory.mktemp("runs") / "train_store")
    for beta in (0.1, 1.0):
        train.train(Config(model="fully_connected", hidden_size=4, batch_size=8, max_step=4,
                           log_every=2, checkpoint_every=4, beta=beta, train_dir=prefix))
    return prefix
