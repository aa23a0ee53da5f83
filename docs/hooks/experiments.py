"""MkDocs hook: the experiments' own READMEs and plots become site pages, without copies.

``experiments/<name>/README.md`` and every PNG under ``experiments/`` are added to the site at
``experiments/<name>/...`` (so the READMEs' links between each other and to their plots work
as they are), and a relative link of any page that points, in the repository, into ``docs/`` or
``experiments/`` is rewritten to the page's place in the site. Links stay written for the
repository (they work on GitHub); this hook makes them work in the site too.
"""

from __future__ import annotations

import posixpath
import re
from pathlib import Path
from typing import Any

from mkdocs.structure.files import File, Files

REPO = Path(__file__).resolve().parents[2]
EXPERIMENTS = REPO / "experiments"
LINK = re.compile(r"(\]\()([^)\s#]+)(#[^)\s]*)?(\))")


def experiment_sources() -> dict[str, Path]:
    """Site path -> repository file, for every experiment README and PNG."""
    out = {}
    for path in sorted(EXPERIMENTS.glob("*/README.md")):
        out[path.relative_to(REPO).as_posix()] = path
    for path in sorted(EXPERIMENTS.rglob("*.png")):
        out[path.relative_to(REPO).as_posix()] = path
    return out


def on_files(files: Files, config: Any) -> Files:
    for src_uri, path in experiment_sources().items():
        files.append(File.generated(config, src_uri, abs_src_path=str(path)))
    return files


def site_target(page_src: str, page_repo: str, target: str) -> str | None:
    """The link from site page ``page_src`` (the repository file ``page_repo``) for a link
    ``target`` written relative to that file in the repository; None to leave it as it is."""
    if "://" in target or target.startswith(("/", "mailto:")):
        return None
    resolved = posixpath.normpath(posixpath.join(posixpath.dirname(page_repo), target))
    if resolved.startswith("docs/"):
        site = resolved[len("docs/") :]
    elif resolved.startswith("experiments/"):
        site = resolved
    else:
        return None
    return posixpath.relpath(site, posixpath.dirname(page_src) or ".")


def on_page_markdown(markdown: str, page: Any, config: Any, files: Files) -> str:
    src = page.file.src_uri
    page_repo = Path(page.file.abs_src_path).resolve().relative_to(REPO).as_posix()

    def fix(match: re.Match[str]) -> str:
        new = site_target(src, page_repo, match.group(2))
        if new is None:
            return match.group(0)
        return f"{match.group(1)}{new}{match.group(3) or ''}{match.group(4)}"

    return LINK.sub(fix, markdown)
