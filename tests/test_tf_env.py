"""TensorFlow's environment (betavae/tf_env.py) is set before TensorFlow loads, in every entry
script, and a value the user set wins."""

import ast
import glob
import importlib
import os
import sys

from conftest import ROOT

from betavae import tf_env

# Entry scripts reach tf_env directly or through figure_cli, which imports it first.
SETS_ENV = {"tf_env", "figure_cli"}


PACKAGES = ("betavae", "results", "sweep", "reporting", "tools")


def entry_scripts():
    paths = glob.glob(os.path.join(ROOT, "*.py")) + [
        p for package in PACKAGES for p in glob.glob(os.path.join(ROOT, package, "*.py"))]
    return sorted(path for path in paths if "__main__" in open(path).read())


def imports_in_order(path):
    """Top-level module names a file imports, in order."""
    names = []
    for node in ast.parse(open(path).read()).body:
        if isinstance(node, ast.Import):
            names += [alias.name.split(".")[0] for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0:
            names.append(node.names[0].name if node.module in PACKAGES  # from betavae import tf_env
                         else node.module.split(".")[0])
    return names


def first_outside_stdlib(path):
    return next((n for n in imports_in_order(path)
                 if n not in sys.stdlib_module_names and n != "__future__"), None)


def test_every_entry_script_sets_the_environment_before_anything_else():
    scripts = entry_scripts()
    assert len(scripts) >= 10  # main.py, tools/benchmark.py, the create_*.py scripts, ...
    first = {os.path.relpath(p, ROOT): first_outside_stdlib(p) for p in scripts}
    late = {name: module for name, module in first.items() if module not in SETS_ENV}
    assert not late, f"these import something before tf_env: {late}"
    assert first_outside_stdlib(os.path.join(ROOT, "reporting/figure_cli.py")) == "tf_env"


def test_onednn_is_turned_on_unless_the_user_said_otherwise(monkeypatch):
    monkeypatch.delenv("TF_ENABLE_ONEDNN_OPTS", raising=False)
    importlib.reload(tf_env)
    assert os.environ["TF_ENABLE_ONEDNN_OPTS"] == "1"
    monkeypatch.setenv("TF_ENABLE_ONEDNN_OPTS", "0")
    importlib.reload(tf_env)
    assert os.environ["TF_ENABLE_ONEDNN_OPTS"] == "0"
