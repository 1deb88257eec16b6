r"""Trains one beta-VAE on ball images (the original's main.py and its flags).

    python main.py --model=fully_connected --num_balls=2 --beta=1.0 --hidden_size=10 \
        --lr=5e-5 --weight_init=0.01 --max_step=200

Writes <train_dir>_model_<model>_num_balls_<n>_beta_<beta>/ and resumes it when it exists.
"""

import os
import sys

from betavae import tf_env  # noqa: F401  (sets TensorFlow's environment before it loads)

from absl import app, flags, logging  # noqa: E402

# No TensorFlow until the flags are known good: a bad one is refused at once.
from betavae.config import (LR_SCHEDULES, OBJECTIVES, OPTIMIZERS, PRECISIONS,  # noqa: E402
                            STRATEGIES, Config, output_dir_problem, validate,
                            with_dataset_defaults)
from betavae.datasets import DATASETS, MODEL_NAMES, SAMPLERS  # noqa: E402

defaults = Config()
flags.DEFINE_enum("model", defaults.model, sorted(MODEL_NAMES), "Encoder/decoder pair.")
flags.DEFINE_enum("dataset", defaults.dataset, list(DATASETS),
                  "balls: the original's; shapes: the 2D shapes of Higgins et al. (dSprites' "
                  "factors and sizes, rendered here; --model=burgess or paper_fc).")
flags.DEFINE_integer("num_balls", defaults.num_balls, "Balls per image.")
flags.DEFINE_float("beta", defaults.beta, "Weight of the KL term.")
flags.DEFINE_integer("hidden_size", defaults.hidden_size,
                     "Latent size (all_conv: latent channels of its 4x4 map).")
flags.DEFINE_integer("max_step", defaults.max_step, "Train until this step.")
flags.DEFINE_integer("stop_at", 0, "Stop this session at this step, short of --max_step, "
                     "which stays the run's planned length in its config.json (so a run "
                     "stopped here is not taken as finished); a later command resumes it. "
                     "./run --shapes trains in such stages to score the run along the way. "
                     "0: --max_step.")
flags.DEFINE_float("lr", defaults.lr, "Adam learning rate.")
flags.DEFINE_integer("batch_size", defaults.batch_size, "Images per step.")
flags.DEFINE_float("weight_init", defaults.weight_init,
                   "Stddev of fully connected weights, and their bias.")
flags.DEFINE_float("keep_prob", defaults.keep_prob, "Dropout keep probability (conv).")
flags.DEFINE_string("train_dir", defaults.train_dir, "Prefix of the run directory.")
flags.DEFINE_bool("friction", defaults.friction, "Friction and gravity (trajectory sampler).")
flags.DEFINE_enum("sampler", defaults.sampler, list(SAMPLERS),
                  "iid: independent positions; trajectory: the original's bouncing balls.")
flags.DEFINE_integer("seed", defaults.seed, "Seeds the weights, the data and the noise.")
flags.DEFINE_integer("checkpoint_every", defaults.checkpoint_every, "Steps between checkpoints.")
flags.DEFINE_integer("log_every", defaults.log_every, "Steps between logged rows.")
flags.DEFINE_integer("steps_per_call", defaults.steps_per_call,
                     "Training steps per compiled call (fewer Python round trips).")
flags.DEFINE_enum("strategy", defaults.strategy, list(STRATEGIES),
                  "default: one device; mirrored: tf.distribute.MirroredStrategy over every "
                  "GPU (the batch is split between them).")
flags.DEFINE_enum("lr_schedule", defaults.lr_schedule, list(LR_SCHEDULES),
                  "constant: --lr throughout (the original); cosine: decays to 0 at "
                  "--decay_steps.")
flags.DEFINE_integer("warmup_steps", defaults.warmup_steps,
                     "Linear learning-rate warm-up from 0 to --lr over this many steps.")
flags.DEFINE_integer("decay_steps", defaults.decay_steps,
                     "Where the cosine reaches 0 (0: --max_step). Fixed when a run starts, "
                     "so a cosine run is not extended by a larger --max_step.")
flags.DEFINE_integer("kl_warmup_steps", defaults.kl_warmup_steps,
                     "Beta ramps linearly from 0 to --beta over this many steps (0: off).")
flags.DEFINE_integer("kl_delay_steps", defaults.kl_delay_steps,
                     "Beta is 0 for this many steps before its warm-up starts (0: off).")
flags.DEFINE_integer("threads", defaults.threads,
                     "TensorFlow intra-op threads (0: TF's default, all cores).")
flags.DEFINE_enum("optimizer", defaults.optimizer, list(OPTIMIZERS),
                  "adam: the original's (epsilon 1e-8); adagrad: the paper's 2D shapes.")
flags.DEFINE_enum("objective", defaults.objective, list(OBJECTIVES),
                  "beta: reconstruction + beta * KL (the original's); annealed: "
                  "reconstruction + gamma * |KL - C|, C raised linearly from 0 to --c_max "
                  "over --c_steps, then held (Burgess et al. 2018; --beta is then unused).")
flags.DEFINE_float("gamma", defaults.gamma, "--objective=annealed: weight of |KL - C|.")
flags.DEFINE_float("c_max", defaults.c_max,
                   "--objective=annealed: the KL target C's final value, nats per image.")
flags.DEFINE_integer("c_steps", defaults.c_steps,
                     "--objective=annealed: steps over which C rises to --c_max.")
flags.DEFINE_enum("precision", defaults.precision, list(PRECISIONS),
                  "float32, or mixed_bfloat16: bfloat16 matmuls and convs, float32 weights "
                  "and loss (faster where the CPU has AVX512_BF16 or AMX).")
FLAGS = flags.FLAGS


def config_from_flags():
    # Every Config field is a flag, but the shapes' sizes: recorded, not chosen.
    names = [n for n in Config.__dataclass_fields__ if n in FLAGS]
    return Config(**with_dataset_defaults({n: FLAGS[n].value for n in names},
                                          {n for n in names if FLAGS[n].present}))


def main(argv):
    if len(argv) > 1:
        sys.exit(f"main.py: unexpected arguments {argv[1:]}; every setting is a --flag")
    config = config_from_flags().resolved()
    problems = validate(config)
    if not 0 <= FLAGS.stop_at <= config.max_step:
        problems.append(f"--stop_at={FLAGS.stop_at}: must be >= 0 and <= --max_step "
                        f"({config.max_step})")
    if problems:
        sys.exit("main.py: " + "\n".join(problems))
    problem = output_dir_problem(f"--train_dir={config.train_dir}",
                                 os.path.dirname(config.run_dir))
    if problem:
        sys.exit(f"main.py: {problem}")
    if config.threads > 0:  # before TensorFlow runs its first op
        import tensorflow as tf
        tf.config.threading.set_intra_op_parallelism_threads(config.threads)

    from betavae import train  # TensorFlow's graph machinery only once the flags are known good
    from betavae.runs import RunError
    try:
        train.train(config, stop_at=FLAGS.stop_at)
    except RunError as e:
        sys.exit(f"main.py: {e}")
    except train.Diverged as e:
        logging.error("%s", e)
        sys.exit(f"main.py: diverged: {e}")
    except train.Interrupted as e:
        logging.warning("%s", e)
        sys.exit(128 + e.signum)


if __name__ == "__main__":
    app.run(main)
