"""The house: every project import, read from the source with `ast` (imports inside
functions included), runs one way: science (architecture.py, data.py <- betavae) <- kept
results <- {sweep, reporting} <- entry points; no cycle, no module that imports an entry
point, and no underscored name taken from another module (tests included)."""

import ast
import glob
import os

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PACKAGES = ("betavae", "results", "sweep", "reporting", "tools")
LAYER = {"science": 0, "betavae": 1, "results": 2, "sweep": 3,
         "reporting": 3, "tools": 4, "main": 4, "run": 4, "create_cool_images": 4,
         "create_error_graph": 4, "create_stddev_graphs": 4}
TOP_LEVEL_FILES = ("main.py", "architecture.py", "data.py", "run", "create_cool_images.py",
                   "create_error_graph.py", "create_stddev_graphs.py")
MAX_LINES = 500


def project_modules():
    """{dotted module name: path} of every project module, entry scripts included."""
    modules = {os.path.splitext(f)[0]: os.path.join(ROOT, f) for f in TOP_LEVEL_FILES}
    for package in PACKAGES:
        for path in glob.glob(os.path.join(ROOT, package, "*.py")):
            name = os.path.splitext(os.path.basename(path))[0]
            modules[package if name == "__init__" else f"{package}.{name}"] = path
    return modules


MODULES = project_modules()


def group(module):
    """The package a module is in; the top-level science files are one group."""
    return "science" if module in ("architecture", "data") else module.split(".")[0]


def is_entry_point(module):
    return (LAYER[group(module)] == 4
            or module.split(".")[-1].startswith("create_"))


def imports(path):
    """[(imported module, [names taken from it])] of every import in the file, and
    {local alias: module} for the modules it imports whole."""
    found, aliases = [], {}
    for node in ast.walk(ast.parse(open(path).read())):
        if isinstance(node, ast.Import):
            for a in node.names:
                if a.name in MODULES:
                    found.append((a.name, []))
                    aliases[a.asname or a.name] = a.name
        elif isinstance(node, ast.ImportFrom) and node.module:
            for a in node.names:
                dotted = f"{node.module}.{a.name}"
                if dotted in MODULES:  # from package import module
                    found.append((dotted, []))
                    aliases[a.asname or a.name] = dotted
                elif node.module in MODULES:
                    found.append((node.module, [a.name]))
    return found, aliases


def private_uses(path):
    """'module._name' for every underscored name the file takes from a project module."""
    found, aliases = imports(path)
    uses = {f"{m}.{n}" for m, names in found for n in names if n.startswith("_")}
    for node in ast.walk(ast.parse(open(path).read())):
        if (isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name)
                and node.value.id in aliases and node.attr.startswith("_")
                and not node.attr.startswith("__")):
            uses.add(f"{aliases[node.value.id]}.{node.attr}")
    return uses


GRAPH = {m: sorted({i for i, _ in imports(p)[0]} - {m}) for m, p in MODULES.items()}


def test_every_import_points_down_or_within_its_package():
    wrong = []
    for module, targets in GRAPH.items():
        here = group(module)
        for target in targets:
            there = group(target)
            if is_entry_point(target):
                wrong.append(f"{module} imports the entry point {target}")
            elif there != here and LAYER[there] >= LAYER[here]:
                wrong.append(f"{module} (layer {LAYER[here]}) imports {target} "
                             f"(layer {LAYER[there]})")
    assert wrong == []


def test_no_import_cycle():
    state = {}

    def visit(module, path):
        if state.get(module) == "done":
            return None
        if module in path:
            return path[path.index(module):] + [module]
        for target in GRAPH[module]:
            cycle = visit(target, path + [module])
            if cycle:
                return cycle
        state[module] = "done"
        return None

    for module in GRAPH:
        assert visit(module, []) is None


def test_no_underscored_name_from_another_module():
    files = list(MODULES.values()) + glob.glob(os.path.join(ROOT, "tests", "*.py"))
    uses = {os.path.relpath(f, ROOT): sorted(private_uses(f)) for f in files}
    assert {f: u for f, u in uses.items() if u} == {}


def test_the_checks_see_what_they_look_for(tmp_path):
    """The parser finds an import inside a function, and a private name by alias."""
    path = tmp_path / "example.py"
    path.write_text("def f():\n    from results import summaries as s\n    return s._x\n")
    assert imports(str(path))[0] == [("results.summaries", [])]
    assert private_uses(str(path)) == {"results.summaries._x"}
    assert "architecture" in GRAPH["betavae.train"]


def test_the_top_level_is_the_original_entry_points():
    files = sorted(f for f in os.listdir(ROOT) if os.path.isfile(os.path.join(ROOT, f))
                   and not f.startswith(".") and f not in ("README.md", "requirements.txt")
                   and not f.endswith(".log"))
    assert files == sorted(TOP_LEVEL_FILES + ("CHANGELOG.md",)) or files == sorted(
        TOP_LEVEL_FILES)


def test_no_file_is_long():
    long = {os.path.relpath(p, ROOT): n for p in MODULES.values()
            if (n := len(open(p).readlines())) > MAX_LINES}
    assert long == {}
