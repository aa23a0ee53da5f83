"""The arrows point one way: no module of rlroute imports a higher layer, not even lazily.

Every module under ``rlroute/`` is parsed with ``ast``; every import in it counts (top level,
inside functions, under ``TYPE_CHECKING``). Each module belongs to the first layer whose
prefix matches its name; it may import its own layer and those below, never one above.
Upper layers extend lower ones by registration instead (``rlroute.rl`` and ``rlroute.export``
call :func:`rlroute.policies.register_router`).
"""

from __future__ import annotations

import ast
from pathlib import Path

import rlroute

ROOT = Path(rlroute.__file__).resolve().parent

#: Bottom to top. A module's layer is the first whose prefix matches it (longest first below).
LAYERS: list[tuple[str, ...]] = [
    ("rlroute.scenario", "rlroute.scenarios", "rlroute.distributions", "rlroute.theory"),
    ("rlroute.data", "rlroute.datasets"),
    ("rlroute.calibrate",),
    ("rlroute.sim",),
    ("rlroute.policies",),
    ("rlroute.envs",),
    ("rlroute.rl",),
    ("rlroute.export",),
    ("rlroute.bench",),
    ("rlroute.cli",),
]

#: The documented exceptions. The root package ``rlroute`` (which may import the bottom layer,
#: for ``Scenario``) runs on any import of a submodule
#: (so importing it for ``__version__`` adds nothing) and registers the Gymnasium env, the
#: Gymnasium idiom (``import rlroute`` then ``gym.make("rlroute/CallCenter-v1")``);
#: ``rlroute.envs.registration`` imports only Gymnasium's registry and names the env's entry
#: point as a string.
ROOT_MODULE = "rlroute"
ALLOWED = {("rlroute", "rlroute.envs.registration")}


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _layer(module: str) -> int | None:
    best: tuple[int, int] | None = None  # (prefix length, layer)
    for level, prefixes in enumerate(LAYERS):
        for prefix in prefixes:
            matches = module == prefix or module.startswith(prefix + ".")
            if matches and (best is None or len(prefix) > best[0]):
                best = (len(prefix), level)
    return None if best is None else best[1]


def _imports(path: Path, module: str) -> list[tuple[str, int]]:
    """Every rlroute module ``path`` imports, with its line (relative imports resolved)."""
    tree = ast.parse(path.read_text(), str(path))
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out += [(a.name, node.lineno) for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            # ``from rlroute import x`` may import the submodule rlroute.x
            out += [(target, node.lineno)]
            out += [(f"{target}.{a.name}", node.lineno) for a in node.names]
        elif isinstance(node, ast.Call):  # importlib.import_module("rlroute.x")
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            if name in ("import_module", "__import__") and node.args:
                arg = node.args[0]
                if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                    out.append((arg.value, node.lineno))
    return [(m, line) for m, line in out if m == "rlroute" or m.startswith("rlroute.")]


def _modules() -> list[tuple[Path, str]]:
    return [(p, _module_name(p)) for p in sorted(ROOT.rglob("*.py"))]


def test_every_module_has_a_layer() -> None:
    missing = [m for _, m in _modules() if m != ROOT_MODULE and _layer(m) is None]
    assert not missing, f"modules outside every layer (add them to LAYERS): {missing}"


def test_no_module_imports_a_higher_layer() -> None:
    names = {m for _, m in _modules()}
    violations = []
    for path, module in _modules():
        own = _layer(module)
        for target, line in _imports(path, module):
            if (module, target) in ALLOWED or target == ROOT_MODULE:
                continue
            if target not in names and target.rpartition(".")[0] in names:
                target = target.rpartition(".")[0]  # ``from pkg.mod import name``
            theirs = _layer(target)
            if own is None:  # the root package: the bottom layer and the documented exceptions
                if theirs == 0:
                    continue
                violations.append(f"{path.relative_to(ROOT.parent)}:{line} imports {target}")
            elif theirs is not None and theirs > own:
                violations.append(
                    f"{path.relative_to(ROOT.parent)}:{line} ({LAYERS[own][0]}) imports "
                    f"{target} ({LAYERS[theirs][0]}, a higher layer)"
                )
    assert not violations, "imports against the arrows:\n" + "\n".join(sorted(set(violations)))


def test_the_checker_sees_lazy_and_relative_imports(tmp_path: Path) -> None:
    """The parser must catch what a quick grep misses: imports inside functions, relative
    imports and ``importlib``; otherwise the test above proves nothing."""
    pkg = ROOT / "policies"
    src = (
        "def f():\n"
        "    from rlroute.rl.router import make_sb3_router\n"
        "    from ..export import onnx_router\n"
        "    import importlib\n"
        "    importlib.import_module('rlroute.bench.runner')\n"
    )
    fake = tmp_path / "fake.py"
    fake.write_text(src)
    found = {m for m, _ in _imports(fake, "rlroute.policies.fake")}
    assert {"rlroute.rl.router", "rlroute.export.onnx_router", "rlroute.bench.runner"} <= found
    assert _layer("rlroute.policies.fake") < _layer("rlroute.rl.router")
    assert pkg.is_dir()


def test_layer_order_is_the_documented_one() -> None:
    order = [prefixes[0].removeprefix("rlroute.") for prefixes in LAYERS]
    assert order == [
        "scenario",
        "data",
        "calibrate",
        "sim",
        "policies",
        "envs",
        "rl",
        "export",
        "bench",
        "cli",
    ]
