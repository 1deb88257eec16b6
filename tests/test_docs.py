"""The README's and docs' result tables say what the committed files under figures/ say:
a table pasted from a generated one is checked cell by cell against it, and one written
in another layout against the csv it is made from."""

import csv
import glob
import os

import pytest


ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def tables(path):
    """The markdown tables in a file: each a list of rows of stripped cells, the header
    row first, the |---| row left out."""
    found, current = [], None
    with open(os.path.join(ROOT, path)) as f:
        for line in f:
            line = line.strip()
            if line.startswith("|") and line.endswith("|"):
                cells = [c.strip() for c in line[1:-1].split("|")]
                if all(set(c) <= set("-: ") for c in cells):
                    continue
                if current is None:
                    current = []
                    found.append(current)
                current.append(cells)
            else:
                current = None
    return found


def rows(path):
    with open(os.path.join(ROOT, path), newline="") as f:
        return list(csv.DictReader(f))


def table_with(path, header_start):
    matching = [t for t in tables(path) if t[0][:len(header_start)] == header_start]
    assert len(matching) == 1, f"{path}: {len(matching)} tables start {header_start}"
    return matching[0]


@pytest.mark.parametrize("doc, generated, which", [
    ("docs/reproduce.md", "figures/reproduce/seeds.md", None),
    ("docs/faithful.md", "figures/faithful/recipes.md", None),
    ("docs/shapes.md", "figures/shapes/shapes_objectives.md", 0),
])
def test_a_pasted_table_is_the_generated_one(doc, generated, which):
    """Every table of the generated file (or only its table number `which`) is in doc."""
    found = tables(generated)
    assert found, f"{generated} holds no table"
    for want in found if which is None else [found[which]]:
        assert want in tables(doc), (
            f"{doc} no longer holds a table of {generated}; paste it again:\n"
            + open(os.path.join(ROOT, generated)).read())


def test_the_development_check_table_is_its_two_sweeps_csv():
    table = table_with("docs/shapes.md", ["seed 100, beta 1, 3.2M images"])
    assert [r[0] for r in table[1:]] == ["float32", "bfloat16"]
    for (_, *cells), folder in zip(table[1:], ("shapes_development",
                                               "shapes_development_bf16")):
        (r,) = rows(f"figures/{folder}/shapes_objectives.csv")
        assert r["seeds"] == "100" and r["images"] == "3200000"
        assert cells == [f"{float(r['reconstruction']):.2f}",
                         *(f"{float(r[k]):.3f}" for k in ("beta_vae", "factor_vae", "mig")),
                         f"{float(r['active_latents']):.0f}",
                         f"{float(r['shape_accuracy']):.3f}"]


def test_the_readme_result_table_is_seeds_csv():
    table = table_with("README.md", ["balls", "model", "beta 0.1"])
    want = {}
    for r in rows("figures/reproduce/seeds.csv"):
        want.setdefault((r["num_balls"], r["model"]), {})[float(r["beta"])] = (
            f"{float(r['mean']):.2f} +- {float(r['sd']):.2f} ({float(r['original']):.2f})")
    assert len(table) - 1 == len(want) == 6
    for balls, model, *cells in table[1:]:
        betas = want[(balls, model)]
        assert cells == [betas[0.1], betas[0.5], betas[1.0]], (balls, model)


def test_the_faithful_count_is_the_generated_one():
    """docs/faithful.md quotes the count under figures/faithful/recipes.md as it stands."""
    with open(os.path.join(ROOT, "figures/faithful/recipes.md")) as f:
        count = f.read().strip().splitlines()[-1]
    assert count.startswith("Of ")
    with open(os.path.join(ROOT, "docs/faithful.md")) as f:
        assert count in f.read().replace("\n> ", " "), (
            f"docs/faithful.md no longer quotes recipes.md's count; quote it again:\n{count}")


def test_the_readme_faithful_count_is_recipes_csv():
    import re
    with open(os.path.join(ROOT, "README.md")) as f:
        text = " ".join(f.read().split())
    found = re.search(r"\*\*(?:[Aa]ll )?(\d+) of its (?:18 )?runs are in, and (\d+) of them "
                      r"land within the original \+ 0\.1 nats\*\* \((\d+) at or below it\)", text)
    assert found, "README.md no longer states the faithful sweep's count"
    minus = [round(float(r["minus_original"]), 2) for r in rows("figures/faithful/recipes.csv")]
    assert [int(g) for g in found.groups()] == [
        len(minus), sum(m <= 0.1 for m in minus), sum(m <= 0 for m in minus)]


# --- every other number the README and docs give, computed from the committed files ---

def text(path):
    """The file's text with its line breaks and markdown quote marks as spaces."""
    with open(os.path.join(ROOT, path)) as f:
        return " ".join(f.read().replace("\n> ", " ").split())


def docs_size():
    return sum(os.path.getsize(p) for p in glob.glob(os.path.join(ROOT, "docs", "*.md")))


def test_the_readme_is_short_and_starts_with_the_commands():
    assert os.path.getsize(os.path.join(ROOT, "README.md")) <= 8000
    with open(os.path.join(ROOT, "README.md")) as f:
        head = f.readlines()[:40]
    assert any(line.startswith("pip install -r requirements.txt") for line in head)
    assert docs_size() <= 62000, f"docs/ holds {docs_size()} bytes"


def test_the_reproduce_count_is_seeds_md():
    with open(os.path.join(ROOT, "figures/reproduce/seeds.md")) as f:
        count = f.read().strip().splitlines()[-1]
    assert count.startswith("Of 18 settings")
    for doc in ("README.md", "docs/reproduce.md"):
        assert count in text(doc), doc


def seed_hours():
    from sweep import plan, timing
    configs = [c for c, _ in plan.plan("reproduce", "./checkpoints/reproduce/train_store",
                                      (0, 1, 2), [], "python")]
    path = os.path.join(ROOT, "figures/reproduce/sweep_time.csv")
    return [timing.run_time(path, timing.run_names(configs, seed=s))[0] / 3600
            for s in (0, 1, 2)]


def test_the_time_per_seed_is_sweep_time_csv():
    hours = seed_hours()
    assert (f"seed 0 {hours[0]:.2f} h, seed 1 {hours[1]:.2f} h, seed 2 {hours[2]:.2f} h"
            in text("docs/reproduce.md"))
    readme = text("README.md")
    assert f"took {min(hours):.2f} to {max(hours):.2f} h each" in readme
    assert f"take about {sum(hours):.0f} h" in readme
    machines = {m for s in summaries_of("figures/reproduce") for m in s["machines"]}
    assert machines and all(m.startswith("2 vCPU") and "AVX-512" in m for m in machines)


def summaries_of(figures_dir):
    from results import summaries
    return summaries.kept_summaries(os.path.join(ROOT, figures_dir))


def test_the_quick_and_faithful_times_are_sweep_time_csv():
    from sweep import timing
    quick, _ = timing.run_time(os.path.join(ROOT, "figures/quick/sweep_time.csv"))
    assert f"took {quick / 60:.1f} min" in text("docs/quick.md")
    assert f"A first result in {quick / 60:.0f} minutes" in text("README.md")
    faithful, invocations = timing.run_time(os.path.join(ROOT,
                                                         "figures/faithful/sweep_time.csv"))
    assert f"{faithful / 3600:.1f} h over {invocations} invocations" in text("docs/faithful.md")


def test_the_shapes_pairs_time_is_sweep_time_csv_on_the_machine_its_summaries_name():
    from sweep import plan, timing
    configs = [c for c, _ in plan.plan("shapes", "./checkpoints/shapes/train_store", (0, 1, 2))]
    pair = timing.run_names(configs, seed=0, objective="beta", model="burgess")
    times = os.path.join(ROOT, "figures/shapes/sweep_time.csv")
    seconds, _ = timing.run_time(times, pair)
    assert f"took {seconds / 3600:.1f} h" in text("docs/shapes.md")
    assert f"took {seconds / 3600:.1f} h on a 2-vCPU AVX-512 machine" in text("README.md")
    annealed = [timing.run_names(configs, seed=s, objective="annealed", model="burgess")
                for s in (0, 1, 2)]
    side, alone = (timing.run_time(times, n)[0] / 3600
                   for n in (annealed[0] | annealed[1], annealed[2]))
    assert (f"seeds 0 and 1, side by side, took {side:.1f} h; seed 2's, alone on both cores, "
            f"{alone:.1f} h" in text("docs/shapes.md"))
    kept = [s for s in summaries_of("figures/shapes") if s["run"] in pair]
    assert len(kept) == 2 and all(s["config"]["precision"] == "mixed_bfloat16" for s in kept)
    machines = {m for s in kept for m in s["machines"]}
    assert machines and all(m.startswith("2 vCPU") and "AVX-512" in m for m in machines)


def seeds_said(seeds):
    """'seed 0', 'seeds 0 and 1', 'seeds 0, 1 and 2' from a table's seeds cell."""
    seeds = seeds.split()
    if len(seeds) == 1:
        return f"seed {seeds[0]}"
    return f"seeds {', '.join(seeds[:-1])} and {seeds[-1]}"


def test_the_shapes_reading_is_shapes_objectives_csv():
    """The sentences read under the shapes table say what its csv says: which beta is
    above on each score, the shape readout and the reconstructions, on the seeds in."""
    found = {r["objective"]: r for r in rows("figures/shapes/shapes_objectives.csv")}
    one, four = found["burgess, beta 1"], found["burgess, beta 4"]
    assert one["seeds"] == four["seeds"]
    doc = text("docs/shapes.md")
    assert f"on {seeds_said(one['seeds'])} are in" in doc

    def spread(r, key):
        return f"{float(r[key]):.3f} +- {float(r[key + '_sd']):.3f}"

    def side(key):
        return "above" if float(four[key]) > float(one[key]) else "below"

    for said in (f"beta 4 is {side('beta_vae')} beta 1 on the beta-VAE score "
                 f"({spread(four, 'beta_vae')} against {spread(one, 'beta_vae')})",
                 f"{side('factor_vae')} it on FactorVAE ({spread(four, 'factor_vae')} "
                 f"against {spread(one, 'factor_vae')})",
                 f"({spread(four, 'shape_accuracy')} against {spread(one, 'shape_accuracy')};"
                 " chance 0.333)",
                 f"reconstructs at {float(one['reconstruction']):.2f} and "
                 f"{float(four['reconstruction']):.2f} nats, beside disentangling-vae's "
                 f"{one['reference_reconstruction']} and {four['reference_reconstruction']}"):
        assert said in doc, said
    per_seed = [r for r in rows("figures/shapes/metrics.csv")
                if r["model"] == "burgess" and r["objective"] == "beta"]

    def apart(key, words):  # every seed of one beta beyond every seed of the other, or not
        seeds = {b: [float(r[key]) for r in per_seed if float(r["beta"]) == b] for b in (1, 4)}
        assert len(seeds[1]) == len(seeds[4]) == len(one["seeds"].split())
        if min(seeds[4]) > max(seeds[1]):
            return f"every beta 4 seed above every beta 1 seed on {words}"
        if max(seeds[4]) < min(seeds[1]):
            return f"every beta 4 seed below every beta 1 seed on {words}"
        return f"the seeds overlapping on {words}"

    seeds_stand = {key: apart(key, words) for key, words in
                   (("factor_vae", "FactorVAE"), ("beta_vae", "the beta-VAE score"))}
    for said in seeds_stand.values():
        assert said in doc, said
    overlap = "(on the beta-VAE score their seeds overlap)" in text("README.md")
    assert overlap == seeds_stand["beta_vae"].startswith("the seeds overlapping")
    assert (f"beta 4 is {side('beta_vae')} beta 1 on the beta-VAE score and "
            f"{side('factor_vae')} it on FactorVAE" in text("README.md"))
    annealed = found.get("burgess, annealed (gamma 1000, C_max 25)")
    if annealed:  # its sentence: the seeds in, the numbers, where it sits beside the betas
        for said in (f"annealed objective on {seeds_said(annealed['seeds'])}",
                     f"({float(annealed['reconstruction']):.2f} +- "
                     f"{float(annealed['reconstruction_sd']):.2f} nats)",
                     f"above chance ({spread(annealed, 'shape_accuracy')})"):
            assert said in doc, said
        assert (abs(float(annealed["beta_vae"]) - float(four["beta_vae"]))
                <= float(four["beta_vae_sd"]))  # "beta 4's beta-VAE score"
        betas = float(one["factor_vae"]), float(four["factor_vae"])
        assert min(betas) <= float(annealed["factor_vae"]) <= max(betas)  # "between"


def speed():
    from reporting import speed as speed_module
    dirs = [os.path.join(ROOT, "figures", d) for d in speed_module.DEFAULT_FOLDERS]
    return speed_module, speed_module.speed_rows(dirs)


def test_the_speed_table_and_its_reading_are_the_kept_summaries():
    module, rows = speed()
    table = module.speed_markdown(rows).replace(ROOT + "/figures/", "")
    assert table in open(os.path.join(ROOT, "docs/performance.md")).read()
    median = {(r["sweep"], r["model"], r["machine"], r["precision"]): r["median"] for r in rows}
    amd = "2 vCPU AMD EPYC, "
    ratios = [median[("faithful", m, amd + "AVX-512", "float32")]
              / median[("faithful", m, amd + "AVX2", "float32")] for m in ("conv", "all_conv")]
    said = f"{min(ratios):.1f}-{max(ratios):.1f}x"
    assert f"{said} faster on the AVX-512" in text("docs/performance.md")
    assert f"{said} slower" in text("README.md")
    conv = [v for (sweep, model, _, _), v in median.items()
            if (sweep, model) == ("reproduce", "conv")]
    assert f"{min(conv):.0f} to {max(conv):.0f} images/s" in text("docs/performance.md")
    bf16 = (median[("shapes_development_bf16", "burgess", amd + "AVX-512", "mixed_bfloat16")]
            / median[("shapes_development", "burgess", amd + "AVX-512", "float32")])
    assert f"{bf16:.1f}x faster in bfloat16" in text("docs/performance.md")


def test_the_quick_start_says_what_its_reference_run_reached():
    last = rows("figures/quick_start/metrics.csv")[-1]
    assert last["step"] == "200"
    assert (f"a reconstruction near {round(float(last['reconstruction']), -1):.0f} nats at "
            "step 200") in text("README.md")


def test_the_shapes_sizes_are_the_measured_and_drawn_ones():
    from betavae import shapes
    from test_shapes import DSPRITES_AT_SCALES, DSPRITES_CENTRE, DSPRITES_TURNING
    doc = text("docs/shapes.md")
    (square, ellipse, heart) = (DSPRITES_TURNING[s] for s in (0, 1, 2))
    s_area, (s_h, s_w) = DSPRITES_AT_SCALES[0][-1]
    e_area, (e_h, e_w) = DSPRITES_AT_SCALES[1][-1]
    for cell in (f"{s_w}x{s_h} px axis-aligned ({s_area}), {square[1]}-{square[2]} px turned",
                 f"side {shapes.SQUARE_SIDE} px",
                 f"{e_w}x{e_h} px, {ellipse[1]}-{ellipse[2]} px",
                 f"semi-axes {shapes.ELLIPSE_AXES[0]} and {shapes.ELLIPSE_AXES[1]} px",
                 f"{heart[1]}-{heart[2]} px",
                 f"two lobes of radius {shapes.HEART_LOBE_RADIUS}",
                 f"from {DSPRITES_CENTRE[0]:.0f} to {DSPRITES_CENTRE[1]:.0f} px"):
        assert cell in doc, cell


def test_the_trajectory_statistics_are_the_computed_ones():
    from betavae import analysis
    one, two = analysis.trajectory_statistics(1), analysis.trajectory_statistics(2)
    low, high = min(one["min"], two["min"]), max(one["max"], two["max"])
    for said in (f"{one['outside_valid_range']:.2%} of one-ball coordinates",
                 f"(from {low:.2f} to {high:.2f})", f"{two['outside_valid_range']:.2%} of two-ball",
                 f"{two['trajectories_with_overlap']:.1%} of two-ball trajectories"):
        assert said in text("docs/differences.md"), said
