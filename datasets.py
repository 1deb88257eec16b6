"""The datasets a run can train on, by name: the original's balls and the 2D shapes of
Higgins et al.'s own experiment (shapes.py). No TensorFlow: config.py checks names here."""

IMAGE_SIZES = {"balls": 32, "shapes": 64}
DATASETS = tuple(IMAGE_SIZES)
# The models each dataset's images fit (the ball models' layers are sized for 32x32).
MODELS_FOR = {"balls": ("fully_connected", "conv", "all_conv"), "shapes": ("paper_fc",)}


def sample_batch(dataset, batch_size, num_balls, seed, sampler="iid", friction=False):
    """(images [B, size, size, 1], factors) of one training batch of `dataset`: ball
    positions [B, num_balls, 2], or shape factor indices [B, 5]."""
    if dataset == "shapes":
        import shapes
        return shapes.sample_batch(batch_size, seed)
    import data
    return data.sample_batch(batch_size, num_balls, seed, sampler, friction)
