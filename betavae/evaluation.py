"""A trained model's numbers: its reconstruction (with a standard error) and KL, each
latent's average posterior stddev and KL, its active latents, and the disentanglement
scores. results/summaries.py keeps them, with what identifies the run, as its summary."""

import time

from architecture import active_latents
from betavae import analysis, metrics

STDDEV_IMAGES = 1000  # images the per-latent stddev and KL are averaged over


def reconstructions(model, config, target_se=None):
    """(on the run's own sampler, on i.i.d. images) as analysis.reconstruction_and_kl
    gives them: an i.i.d. run's to target_se (default analysis.TARGET_SE; 0: one chunk of
    3200 images) and {} for the second; a trajectory run's on the original's 100
    trajectories of 32 frames, then on i.i.d. images to target_se."""
    target_se = analysis.TARGET_SE if target_se is None else (target_se or None)
    if config.sampler == "iid":
        return analysis.reconstruction_and_kl(model, config, target_se=target_se), {}
    return (analysis.reconstruction_and_kl(model, config),
            analysis.reconstruction_and_kl(model, config, sampler="iid", target_se=target_se))


def measure(model, config, sizes=None, seed=0, target_se=None):
    """The model's numbers: reconstruction with its standard error and KL on fresh images
    (reconstructions()), the average posterior stddev and KL of each latent
    (STDDEV_IMAGES images), active latents, and the scores (metrics.SCORES, on the factor
    grid; their classifiers' details in score_details) computed on `sizes` points (None:
    no scores), with the seconds it took."""
    start = time.time()
    own, iid = reconstructions(model, config, target_se)
    latent_images = analysis.run_images(config, STDDEV_IMAGES, seed=5)
    stddev = analysis.average_stddev(model, latent_images)
    latent_kl = analysis.latent_kl(model, latent_images)
    scores = dict.fromkeys(metrics.SCORES)
    if sizes is not None:
        scores = metrics.evaluate(lambda x: model.encode(x)[0].numpy(), config.num_balls,
                                  seed, dataset=config.dataset, **sizes)
    return {"reconstruction": own["reconstruction"],
            "reconstruction_se": own["reconstruction_se"],
            "reconstruction_images": own["images"], "kl": own["kl"],
            "iid_reconstruction": iid.get("reconstruction"),
            "iid_reconstruction_se": iid.get("reconstruction_se"),
            "iid_reconstruction_images": iid.get("images"),
            "active_latents": active_latents(stddev),
            **{k: scores[k] for k in metrics.SCORES},
            "score_details": {k: v for k, v in scores.items() if k not in metrics.SCORES},
            "stddev": [float(s) for s in stddev],
            "latent_kl": [float(k) for k in latent_kl],
            "evaluation_seconds": round(time.time() - start, 1)}
