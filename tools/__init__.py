"""Measurements about the project rather than results of it: speed against the machine's
limits (`python -m tools.benchmark`) and how long a run must train for its scores to
settle (`python -m tools.measure_settling`)."""
