"""The documentation site holds together: links resolve, the navigation names real pages and
names every page, the README stays a landing page, and (slow) the strict build passes.

The fast tests read files only; ``test_strict_build`` runs ``mkdocs build --strict`` (as the
last step of .ci/run does), which also checks what only a build sees: anchors, the API pages
(mkdocstrings) and the experiments' pages added by ``docs/hooks/experiments.py``.
"""

from __future__ import annotations

import importlib.util
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
DOCS = REPO / "docs"
README = REPO / "README.md"
MKDOCS = REPO / "mkdocs.yml"
README_MAX_CHARS = 12_000
#: Pages kept out of the site on purpose (mkdocs.yml's exclude_docs).
NOT_IN_SITE = {"HELPERS.md"}

LINK = re.compile(r"!?\[[^\]]*\]\(([^)\s]+)\)")
FENCE = re.compile(r"^```.*?^```", flags=re.S | re.M)
INLINE_CODE = re.compile(r"`[^`\n]*`")


def _hook():
    spec = importlib.util.spec_from_file_location("docs_hook", DOCS / "hooks" / "experiments.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def doc_pages() -> list[Path]:
    return sorted(p for p in DOCS.rglob("*.md") if "hooks" not in p.parts)


def experiment_pages() -> list[Path]:
    return sorted((REPO / "experiments").glob("*/README.md"))


def links(path: Path) -> list[str]:
    """Relative link targets of a Markdown file (code blocks and inline code left out)."""
    text = INLINE_CODE.sub("", FENCE.sub("", path.read_text()))
    out = []
    for target in LINK.findall(text):
        target = target.split("#", 1)[0]
        if target and "://" not in target and not target.startswith("mailto:"):
            out.append(target)
    return out


def nav_pages(nav: object) -> list[str]:
    """Every page path named in mkdocs.yml's nav, in order."""
    if isinstance(nav, str):
        return [nav] if nav.endswith(".md") else []
    if isinstance(nav, list):
        return [p for item in nav for p in nav_pages(item)]
    if isinstance(nav, dict):
        return [p for value in nav.values() for p in nav_pages(value)]
    return []


def mkdocs_config() -> dict:
    return yaml.safe_load(MKDOCS.read_text())


def test_readme_is_a_landing_page() -> None:
    size = len(README.read_text())
    assert size <= README_MAX_CHARS, f"README.md has {size} characters (at most 12,000)"


@pytest.mark.parametrize(
    "path",
    [README, *doc_pages(), *experiment_pages()],
    ids=lambda p: p.relative_to(REPO).as_posix(),
)
def test_relative_links_resolve(path: Path) -> None:
    """Every relative link works in the repository (on GitHub), and a docs page links only
    into docs/ or experiments/, which are what the site has."""
    broken = [t for t in links(path) if not (path.parent / t).resolve().exists()]
    assert not broken, f"{path.relative_to(REPO)}: broken links {broken}"
    if path.is_relative_to(DOCS):
        rel = path.relative_to(DOCS).as_posix()
        outside = [t for t in links(path) if _hook().site_target(rel, f"docs/{rel}", t) is None]
        assert not outside, f"{rel}: links to files the site does not have {outside}"


def test_nav_names_real_pages_and_every_page() -> None:
    named = nav_pages(mkdocs_config()["nav"])
    assert named[0] == "index.md"
    missing = [
        p
        for p in named
        if not (DOCS / p).exists() and not (p.startswith("experiments/") and (REPO / p).exists())
    ]
    assert not missing, f"nav entries with no page: {missing}"
    pages = {p.relative_to(DOCS).as_posix() for p in doc_pages()} - NOT_IN_SITE
    pages |= {p.relative_to(REPO).as_posix() for p in experiment_pages()}
    omitted = sorted(pages - set(named))
    assert not omitted, f"pages not in mkdocs.yml's nav (two clicks from anywhere): {omitted}"
    assert len(named) == len(set(named)), "a page is named twice in the nav"


def test_nav_keeps_the_slot_for_new_pages() -> None:
    assert "# LEAD: NEW PAGES" in MKDOCS.read_text()


def test_every_api_page_documents_a_module() -> None:
    for page in sorted((DOCS / "api").glob("*.md")):
        if page.name == "index.md":
            continue
        modules = re.findall(r"^::: (rlroute[\w.]*)$", page.read_text(), flags=re.M)
        assert modules, f"{page.name} documents no module"
        for module in modules:
            path = REPO / Path(*module.split("."))
            assert path.with_suffix(".py").exists() or (path / "__init__.py").exists(), module


def test_yaml_blocks_parse() -> None:
    for page in doc_pages():
        for block in re.findall(r"^```yaml\n(.*?)^```", page.read_text(), flags=re.S | re.M):
            yaml.safe_load(block)


def test_hook_maps_repository_links_to_site_links() -> None:
    hook = _hook()
    # a docs page linking an experiment's README, and the README linking back into docs/
    assert (
        hook.site_target(
            "guide/bench.md", "docs/guide/bench.md", "../../experiments/suite/README.md"
        )
        == "../experiments/suite/README.md"
    )
    assert (
        hook.site_target(
            "experiments/suite/README.md", "experiments/suite/README.md", "../../docs/bounds.md"
        )
        == "../../bounds.md"
    )
    assert hook.site_target("index.md", "docs/index.md", "https://example.org") is None
    assert hook.site_target("index.md", "docs/index.md", "../rlroute/sim/engine.py") is None
    sources = hook.experiment_sources()
    assert "experiments/rl_heterogeneous/README.md" in sources
    assert "experiments/anonymous_bank_backtest/backtest.png" in sources


@pytest.mark.slow
def test_strict_build(tmp_path: Path) -> None:
    pytest.importorskip("mkdocs")
    site = tmp_path / "site"
    done = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(site)],
        cwd=REPO,
        capture_output=True,
        text=True,
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1"},
    )
    assert done.returncode == 0, done.stderr[-5000:]
    assert (site / "experiments" / "rl_heterogeneous" / "index.html").exists()
    assert (site / "experiments" / "anonymous_bank_backtest" / "backtest.png").exists()
    api = (site / "api" / "sim" / "index.html").read_text()
    assert "Simulator" in api and "action_mask" in api
    assert not (site / "HELPERS").exists() and not (site / "hooks").exists()


def test_api_reference_covers_every_public_module() -> None:
    """A new module gets a ``::: rlroute.x.y`` line in docs/api/ (the command-line entry
    points, ``rlroute.cli``, are documented by their ``--help`` and the guides instead)."""
    documented = set()
    for page in (DOCS / "api").glob("*.md"):
        documented |= set(re.findall(r"^::: (rlroute[\w.]*)$", page.read_text(), flags=re.M))
    modules = set()
    for path in (REPO / "rlroute").rglob("*.py"):
        parts = path.relative_to(REPO).with_suffix("").parts
        if parts[-1] == "__init__":
            parts = parts[:-1]
        if any(p.startswith("_") for p in parts) or parts[:2] == ("rlroute", "cli"):
            continue
        if len(parts) > 1:
            modules.add(".".join(parts))
    missing = sorted(modules - documented)
    assert not missing, f"modules missing from docs/api/*.md: {missing}"
