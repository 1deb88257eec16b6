"""The science: a run's settings (config), the datasets and the 2D-shapes renderer
(datasets, shapes), the schedules, training (train), run directories and checkpoints
(rundir, runs), and a trained model's numbers (evaluation, analysis, metrics). With the
top-level architecture.py (the networks and the loss) and data.py (the ball renderer),
which it imports and which import nothing from it."""
