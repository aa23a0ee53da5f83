"""Every ```python block of docs/**/*.md runs, in order per page, so the pages cannot rot.

Each page gets one test: its blocks run one after another in one namespace (a later block uses
what an earlier one defined), in an empty temporary folder, with ``PAGE`` set to the page's
path. ``SKIP`` lists the blocks that cannot run here, each with the reason and where the same
code does run.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
DOCS = REPO / "docs"
BLOCK = re.compile(r"^```python\n(.*?)^```", flags=re.S | re.M)

#: (page relative to docs/, block index on the page) -> why it is not run here.
SKIP: dict[tuple[str, int], str] = {
    ("tutorials/train_and_export.md", 0): (
        "serves the policy the page's bash commands train and export (minutes); the same "
        "OnnxRouter-in-a-Simulator code runs in tests/export on a tiny run"
    ),
}


def doc_pages() -> list[Path]:
    """Every Markdown page under docs/ (the hooks folder holds no pages)."""
    return sorted(p for p in DOCS.rglob("*.md") if "hooks" not in p.parts)


def python_blocks(page: Path) -> list[str]:
    return BLOCK.findall(page.read_text())


def _pages_with_code() -> list[object]:
    return [
        pytest.param(page, id=page.relative_to(DOCS).as_posix())
        for page in doc_pages()
        if any(
            (page.relative_to(DOCS).as_posix(), i) not in SKIP
            for i in range(len(python_blocks(page)))
        )
    ]


def test_every_skip_names_a_block() -> None:
    for (rel, index), reason in SKIP.items():
        page = DOCS / rel
        assert page.exists(), f"SKIP names a missing page: {rel}"
        assert index < len(python_blocks(page)), f"SKIP names a missing block: {rel}[{index}]"
        assert len(reason) > 20, f"SKIP needs a reason: {rel}[{index}]"


def test_the_extractor_finds_blocks_in_order(tmp_path: Path) -> None:
    page = tmp_path / "p.md"
    page.write_text("a\n```python\nx = 1\n```\n\n```bash\nls\n```\n```python\ny = x + 1\n```\n")
    assert python_blocks(page) == ["x = 1\n", "y = x + 1\n"]


@pytest.mark.parametrize("page", _pages_with_code())
def test_page_python_blocks_run(
    page: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    from rlroute.policies import ROUTERS

    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("MPLBACKEND", "Agg")
    rel = page.relative_to(DOCS).as_posix()
    namespace: dict[str, object] = {"__name__": "__main__", "PAGE": str(page)}
    routers = dict(ROUTERS)  # a page may register a router: keep the registry as it was
    ran = 0
    try:
        for index, code in enumerate(python_blocks(page)):
            if (rel, index) in SKIP:
                continue
            try:
                exec(compile(code, f"{rel}[python block {index}]", "exec"), namespace)
            except Exception as exc:
                out = capsys.readouterr()
                raise AssertionError(
                    f"{rel}, python block {index} failed: {exc!r}\n{out.out[-2000:]}"
                ) from exc
            ran += 1
    finally:
        ROUTERS.clear()
        ROUTERS.update(routers)
    assert ran > 0
