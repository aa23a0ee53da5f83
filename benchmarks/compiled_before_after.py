"""The compiled engine of this tree against the one of a git revision, in one process.

A change to the compiled engine should not slow it down where the change is not used. This
loads the revision's ``rlroute`` as a second package (``git archive`` into a cache folder,
imports renamed to ``rlroute_base``, its named-tuple state classes renamed so numba's
dispatcher keeps the two packages' types apart) and alternates the two engines on the same
work in the same process: ``FastSimulator(scenario, seed).run(router)`` whole days, and a
``CompiledBatch`` stepped with masked random actions. It checks both give the same cost and
prints CPU times (best of the rounds) and the after/before ratios (median of the rounds, and
best against best). The first run compiles the revision's engine (a few minutes of CPU); the
copy is kept per commit under ``--cache``.
"""

from __future__ import annotations

import argparse
import importlib
import json
import re
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
_RENAMES = {  # module (relative to the package) -> named tuples numba types by name
    "sim/fast/layout.py": ("Params", "State", "RouterArrays"),
    "sim/fast/batch.py": ("Extra",),
    "envs/fast_observation.py": ("ObsTables",),
}


def base_package(rev: str, cache: Path) -> Path:
    """The folder holding ``rlroute_base``: revision ``rev``'s package, renamed."""
    sha = subprocess.run(
        ["git", "-C", str(ROOT), "rev-parse", rev], check=True, capture_output=True, text=True
    ).stdout.strip()
    home = cache / sha[:12]
    pkg = home / "rlroute_base"
    if pkg.exists():
        return home
    home.mkdir(parents=True, exist_ok=True)
    archive = subprocess.run(
        ["git", "-C", str(ROOT), "archive", sha, "rlroute", "configs"],
        check=True,
        capture_output=True,
    ).stdout
    subprocess.run(["tar", "-x", "-C", str(home)], input=archive, check=True)
    (home / "rlroute").rename(pkg)
    for path in pkg.rglob("*.py"):
        text = path.read_text()
        text = re.sub(r"\brlroute\.(?=[a-z_])", "rlroute_base.", text)
        text = re.sub(r"^from rlroute import", "from rlroute_base import", text, flags=re.M)
        text = re.sub(r"^import rlroute$", "import rlroute_base", text, flags=re.M)
        rel = path.relative_to(pkg).as_posix()
        for name in _RENAMES.get(rel, ()):
            if re.search(rf"^class {name}\(NamedTuple\)", text, flags=re.M):
                text += f'\n{name}.__name__ = {name}.__qualname__ = "Base{name}"\n'
        path.write_text(text)
    return home


def _load(prefix: str) -> dict[str, Any]:
    return {
        "sim": importlib.import_module(f"{prefix}.sim.fast").FastSimulator,
        "batch": importlib.import_module(f"{prefix}.envs.compiled_batch").CompiledBatch,
        "scenario": importlib.import_module(f"{prefix}.scenarios").load_scenario,
        "router": importlib.import_module(f"{prefix}.policies").make_router,
    }


def _day(m: dict[str, Any], sc: Any, router: str, seed: int) -> tuple[float, float]:
    t = time.process_time()
    report = m["sim"](sc, seed).run(m["router"](router))
    return time.process_time() - t, float(report.overall["cost"])


def _batch(m: dict[str, Any], sc: Any, n: int, steps: int) -> tuple[float, float]:
    b = m["batch"](sc, n)
    b.reset_rows(np.arange(n), np.arange(n))
    rng = np.random.default_rng(0)
    t = time.process_time()
    for _ in range(steps):
        masks = b.masks
        pick = (rng.random(n) * masks.sum(axis=1)).astype(int)
        b.step((np.cumsum(masks, axis=1) > pick[:, None]).argmax(axis=1))
    return time.process_time() - t, float(b.costs.sum())


def main(argv: list[str] | None = None) -> dict[str, Any]:
    ap = argparse.ArgumentParser(
        prog="python benchmarks/compiled_before_after.py",
        description=__doc__.split("\n\n")[0],
        epilog="example: python benchmarks/compiled_before_after.py --base main --rounds 1 "
        "--num-envs 64 --batch-steps 20",
    )
    ap.add_argument("--base", default="main", help="git revision to compare with")
    ap.add_argument("--scenario", default="heterogeneous")
    ap.add_argument("--routers", default="fifo,cmu_theta")
    ap.add_argument("--seeds", type=int, default=3, help="whole days per router and round")
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--num-envs", type=int, default=1024)
    ap.add_argument("--batch-steps", type=int, default=300)
    ap.add_argument("--cache", type=Path, default=Path("/tmp/rlroute_before_after"))
    ap.add_argument("--json", type=Path, help="write the numbers here")
    args = ap.parse_args(argv)
    sys.path.insert(0, str(base_package(args.base, args.cache)))
    sys.path.insert(0, str(ROOT))
    engines = {"before": _load("rlroute_base"), "after": _load("rlroute")}
    scenarios = {k: m["scenario"](args.scenario) for k, m in engines.items()}
    routers = args.routers.split(",")
    times: dict[str, list[tuple[float, float]]] = {}
    for k, m in engines.items():  # compile or load the caches, outside the clock
        for r in routers:
            _day(m, scenarios[k], r, 0)
        _batch(m, scenarios[k], 8, 3)
    for _ in range(args.rounds):
        for r in routers:
            for seed in range(1, args.seeds + 1):
                (tb, cb), (ta, ca) = (_day(engines[k], scenarios[k], r, seed) for k in engines)
                assert cb == ca, f"{r} seed {seed}: cost {cb} before, {ca} after"
                times.setdefault(f"FastSimulator {r}", []).append((tb, ta))
        (tb, cb), (ta, ca) = (
            _batch(engines[k], scenarios[k], args.num_envs, args.batch_steps) for k in engines
        )
        assert cb == ca, f"batch: costs {cb} before, {ca} after"
        times.setdefault(f"CompiledBatch N={args.num_envs}", []).append((tb, ta))
    out: dict[str, Any] = {"base": args.base, "scenario": args.scenario, "runs": {}}
    for name, pairs in times.items():
        before, after = min(b for b, _ in pairs), min(a for _, a in pairs)
        row = {
            "before_s": before,
            "after_s": after,
            "ratio_median": statistics.median(a / b for b, a in pairs),
            "ratio_best": after / before,
            "n": len(pairs),
        }
        out["runs"][name] = row
        print(
            f"{name}: before {before * 1e3:.1f} ms, after {after * 1e3:.1f} ms (best CPU); "
            f"after/before median {row['ratio_median']:.3f}, best/best {row['ratio_best']:.3f} "
            f"(n={len(pairs)})"
        )
    if args.json:
        args.json.write_text(json.dumps(out, indent=2))
    return out


if __name__ == "__main__":
    main()
