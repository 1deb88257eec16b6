"""The sweep behind ./run: the presets (plan), the command line (arguments), the job of
each run and the stop signal (runner), the cores and GPUs (pool), the timing log (timing)
and SLURM array jobs (slurm). It starts main.py and the figure scripts as subprocesses."""
