"""Environment TensorFlow reads as it loads. Every entry script imports this module before
anything that imports TensorFlow; a value already set in the environment wins.

- TF_CPP_MIN_LOG_LEVEL=2: TensorFlow's C++ info and warning lines stay out of the logs.
- TF_ENABLE_ONEDNN_OPTS=1: oneDNN's CPU kernels. TensorFlow turns them on by itself only
  on some processors (since 2.9: those with AVX512_VNNI, AVX512_BF16 or AMX). On this
  project's 2-vCPU AVX2 AMD EPYC it leaves them off, and its own kernels train conv
  1.3-1.4x and all_conv 1.5x slower and encode 2.3x slower (docs/performance.md). The
  fully connected model, compiled by XLA, runs the same either way. Only the order of
  float additions changes (round-off).
"""

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "1")
