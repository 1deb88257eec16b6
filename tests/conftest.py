"""Makes the top-level modules importable and gives TensorFlow the entry scripts' environment."""

import os
import platform
import sys

# numpy's and scipy's OpenBLAS pick their kernels by the CPU at run time, and an AVX-512
# kernel rounds differently from an AVX2 one: enough to move one point of a logistic
# regression in the protocol check (tests/test_identity.py), whose numbers were recorded
# with the AVX2 ("Haswell") kernels. The tests use those on every x86 CPU, so they give
# the same numbers on every machine the project runs on. Set before numpy loads.
if platform.machine().lower() in ("x86_64", "amd64"):
    os.environ.setdefault("OPENBLAS_CORETYPE", "Haswell")

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)
from betavae import tf_env  # noqa: E402,F401  (TensorFlow's environment, as entry scripts set it)

import pytest  # noqa: E402


@pytest.fixture(scope="session")
def two_runs(tmp_path_factory):
    """Two tiny trained runs (FC, one ball, beta 0.1 and 1.0); returns their prefix."""
    from betavae import train
    from betavae.config import Config
    prefix = str(tmp_path_factory.mktemp("runs") / "train_store")
    for beta in (0.1, 1.0):
        train.train(Config(model="fully_connected", hidden_size=4, batch_size=8, max_step=4,
                           log_every=2, checkpoint_every=4, beta=beta, train_dir=prefix))
    return prefix
