"""Environment TensorFlow reads as it loads. Every entry script imports this module before
anything that imports TensorFlow; a value already set in the environment wins.

- TF_CPP_MIN_LOG_LEVEL=2: TensorFlow's C++ info and warning lines stay out of the logs.
- TF_ENABLE_ONEDNN_OPTS=1: oneDNN's CPU kernels. TensorFlow turns them on by itself only
  on processors with AVX-512 VNNI, BF16 or AMX. On an AVX2 machine, such as this project's
  2-vCPU AMD EPYC, its own convolution kernels trained conv 2.8x and all_conv 3.2x slower
  and encoded 4x slower (docs/performance.md). The fully connected model, compiled by XLA,
  runs the same either way. Only the order of float additions changes (round-off).
"""

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "1")
