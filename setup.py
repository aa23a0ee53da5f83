"""Ship the top-level ``configs/`` folder inside the package as ``rlroute.conf``.

``configs/`` stays the one source of truth (Hydra's config folder in a checkout). The wheel maps
it to ``rlroute/conf/`` (``package_dir``), so a non-editable install finds its scenarios and
configs (``rlroute.scenarios.config_dir``) without a copy in git. pyproject.toml cannot add a
mapped folder to ``packages.find``, hence this file, which also holds the package data (a
``[tool.setuptools.package-data]`` table in pyproject.toml would replace it); everything else
lives in pyproject.toml.
"""

from setuptools import find_namespace_packages, find_packages, setup

# every folder of configs/ is a data-only package, so setuptools ships its YAML files
CONF = ["rlroute.conf", *(f"rlroute.conf.{p}" for p in find_namespace_packages(where="configs"))]

setup(
    packages=[*find_packages(include=["rlroute", "rlroute.*"]), *CONF],
    package_dir={"rlroute.conf": "configs"},
    package_data={
        "rlroute": ["py.typed", "datasets/*.gz", "datasets/*.md"],
        **{p: ["*.yaml"] for p in CONF},
        "rlroute.conf.local": ["README.md"],
    },
    # machine-specific overrides (gitignored, configs/local/README.md) never go into a wheel
    exclude_package_data={"rlroute.conf.local": ["*.yaml"]},
)
