"""The README's and docs' result tables say what the committed files under figures/ say:
a table pasted from a generated one is checked cell by cell against it, and one written
in another layout against the csv it is made from."""

import csv
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
    ("docs/quick.md", "figures/quick/metrics.md", None),
    ("docs/shapes.md", "figures/shapes_small_sprites/shapes_objectives.md", 0),
    ("docs/shapes.md", "figures/shapes_development/shapes_objectives.md", 0),
    ("docs/shapes.md", "figures/shapes_development_bf16/shapes_objectives.md", 0),
    ("README.md", "figures/shapes_small_sprites/shapes_objectives.md", 0),
])
def test_a_pasted_table_is_the_generated_one(doc, generated, which):
    """Every table of the generated file (or only its table number `which`) is in doc."""
    found = tables(generated)
    assert found, f"{generated} holds no table"
    for want in found if which is None else [found[which]]:
        assert want in tables(doc), (
            f"{doc} no longer holds a table of {generated}; paste it again:\n"
            + open(os.path.join(ROOT, generated)).read())


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
