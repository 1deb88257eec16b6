"""./run's command line: the presets, the selection of runs, the SLURM options, and the
flags after -- that go to every main.py call."""

import argparse
import os
import shlex
import sys

from sweep import plan

DESCRIPTION = "The original's sweep: 18 training runs, then the figure scripts."
# The options that go with --slurm (each takes a value).
SLURM_OPTIONS = ("--partition", "--time", "--gpus_per_task", "--cpus_per_task", "--sbatch_args")


class Parser(argparse.ArgumentParser):
    def error(self, message):  # "./run: ...", as every other refusal of ./run
        self.print_usage(sys.stderr)
        if message.startswith("unrecognized arguments"):
            message += " (main.py's flags go after --, e.g. ./run -- --seed=1)"
        self.exit(2, f"./run: {message}\n")


def parse_args(argv):
    """(args, the flags after -- for every main.py call)."""
    parser = Parser(prog="./run", description=DESCRIPTION, allow_abbrev=False,
                     epilog="Flags after -- go to every main.py call, e.g. ./run -- "
                     "--max_step=5000. Re-running skips finished runs and resumes the "
                     "others.")
    preset = parser.add_mutually_exclusive_group()
    preset.add_argument("--quick", action="store_true",
                        help="short runs for a 2-core CPU (checkpoints/quick, figures/quick)")
    preset.add_argument("--reproduce", action="store_true",
                        help="the original's models with a converging optimizer recipe "
                        "(checkpoints/reproduce, figures/reproduce)")
    preset.add_argument("--shapes", action="store_true",
                        help="the paper's own experiment: 2D shapes, its network, beta 1 "
                        "and 4 (checkpoints/shapes, figures/shapes)")
    parser.add_argument("--jobs", type=int, default=None,
                        help="runs at once (default: 1, or one per GPU; --reproduce: as "
                        "measured per model)")
    parser.add_argument("--dry-run", action="store_true",
                        help="print the training commands, one per line, and exit")
    parser.add_argument("--seeds", type=int_list, default=None,
                        help="comma-separated seeds, e.g. 0,1,2: the sweep once per seed, "
                        "each run in its own directory (default: main.py's, or --seed "
                        "after --)")
    parser.add_argument("--reuse", action="store_true",
                        help="skip a run whose kept summary (figures_dir/runs/) answers "
                        "for it (same settings, seed, step; current protocol) even without "
                        "its checkpoint on this machine: for a sweep spread over machines. "
                        "Without it every run without a finished checkpoint here trains")
    parser.add_argument("--models", type=str_list, default=None,
                        help="only these models (comma-separated)")
    parser.add_argument("--num_balls", type=int_list, default=None,
                        help="only these ball counts (comma-separated)")
    parser.add_argument("--betas", type=float_list, default=None,
                        help="only these betas (comma-separated)")
    parser.add_argument("--objectives", type=str_list, default=None,
                        help="only runs of these objectives: beta, annealed (--shapes)")
    parser.add_argument("--train_dir", help="run directory prefix (default "
                        "./checkpoints/<preset>/train_store; faithful: "
                        "./checkpoints/train_store; with --figures_dir=<path>/<name>: "
                        "./checkpoints/<name>/train_store)")
    parser.add_argument("--figures_dir", help="default figures/<preset> (the original's "
                        "sweep: figures/faithful)")
    cluster = parser.add_argument_group(
        "SLURM", "--slurm submits the runs that are not finished as one sbatch array job "
        "(a task per run, in the plan's order) instead of running them here; ./run with "
        "the same flags afterwards scores them and draws the figures")
    cluster.add_argument("--slurm", action="store_true",
                         help="submit the plan to SLURM (with --dry-run: print the script)")
    cluster.add_argument("--partition", help="sbatch --partition")
    cluster.add_argument("--time", dest="time_limit", help="sbatch --time, per task (e.g. 8:00:00)")
    cluster.add_argument("--gpus_per_task", type=int, default=0,
                         help="sbatch --gres=gpu:N for each task (default 0: CPU only)")
    cluster.add_argument("--cpus_per_task", type=int, default=1,
                         help="sbatch --cpus-per-task, and each CPU task's TensorFlow "
                         "threads (default 1: a conv step is as fast on one core as on two)")
    cluster.add_argument("--sbatch_args", type=shlex.split, default=[],
                         help="more sbatch options, quoted, e.g. \"--account=me --qos=long\"")
    extra = []
    if "--" in argv:
        i = argv.index("--")
        argv, extra = argv[:i], argv[i + 1:]
    args = parser.parse_args(argv)
    args.argv = list(argv)
    if not args.slurm and any(a.split("=", 1)[0] in SLURM_OPTIONS for a in argv):
        parser.error("--partition, --time, --gpus_per_task, --cpus_per_task and "
                     "--sbatch_args go with --slurm")
    if args.cpus_per_task < 1 or args.gpus_per_task < 0:
        parser.error("--cpus_per_task must be >= 1 and --gpus_per_task >= 0")
    if args.jobs is not None and args.jobs < 1:
        parser.error(f"--jobs={args.jobs}: must be >= 1")
    args.preset = ("quick" if args.quick else "reproduce" if args.reproduce
                   else "shapes" if args.shapes else "faithful")
    sub = "" if args.preset == "faithful" else args.preset + "/"
    try:
        named = plan.suffix(extra)  # runs of other settings keep their figures apart
    except ValueError as e:
        parser.error(f"after --: {e}")
    preset_figures = os.path.join("figures", args.preset) + named
    if args.figures_dir is None:
        args.figures_dir = preset_figures
    elif args.train_dir is None and os.path.normpath(args.figures_dir) != preset_figures:
        # a figures folder of one's own trains into checkpoints of its own, so that its
        # runs (a short development run, say) never join the preset's tables
        sub = os.path.basename(os.path.normpath(args.figures_dir)) + "/"
    if args.train_dir is None:
        args.train_dir = f"./checkpoints/{sub}train_store"
    return args, extra


def list_of(kind, what):
    def parse(text):
        try:
            return tuple(kind(v) for v in text.split(",") if v.strip())
        except ValueError:
            raise argparse.ArgumentTypeError(
                f"{text!r} is not a comma-separated list of {what}") from None
    return parse


int_list = list_of(int, "integers")
float_list = list_of(float, "numbers")
str_list = list_of(str.strip, "names")


def without_slurm(argv):
    """./run's arguments less --slurm, --dry-run and SLURM_OPTIONS with their values (what
    scores and draws once the array is done)."""
    out, skip = [], False
    for a in argv:
        name = a.split("=", 1)[0]
        if skip or name in ("--slurm", "--dry-run") + SLURM_OPTIONS:
            skip = not skip and name in SLURM_OPTIONS and "=" not in a  # its value follows
            continue
        out.append(a)
    return out
