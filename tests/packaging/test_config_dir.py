"""Where rlroute finds its config folder: $RLROUTE_CONFIG_DIR, the wheel's rlroute/conf, configs/."""

from __future__ import annotations

from pathlib import Path

import pytest

import rlroute.scenarios as scenarios
from rlroute.scenario import ScenarioError
from rlroute.scenarios import config_dir, load_scenario, scenario_names

REPO = Path(__file__).resolve().parents[2]


def test_checkout_uses_the_repository_configs(monkeypatch):
    monkeypatch.delenv("RLROUTE_CONFIG_DIR", raising=False)
    assert config_dir() == REPO / "configs"
    assert "heterogeneous" in scenario_names()


def test_environment_variable_wins(monkeypatch, tmp_path):
    (tmp_path / "scenario").mkdir()
    text = (REPO / "configs" / "scenario" / "n_design.yaml").read_text()
    (tmp_path / "scenario" / "mine.yaml").write_text(text)
    monkeypatch.setenv("RLROUTE_CONFIG_DIR", str(tmp_path))
    assert config_dir() == tmp_path
    assert scenario_names() == ["mine"]
    assert (
        load_scenario("mine").to_dict()
        == load_scenario(str(REPO / "configs" / "scenario" / "n_design.yaml")).to_dict()
    )
    with pytest.raises(ScenarioError, match="heterogeneous"):
        load_scenario("heterogeneous")


def test_installed_package_uses_its_shipped_conf(monkeypatch, tmp_path):
    """A wheel installs configs/ as rlroute/conf/: that folder wins over a stray configs/."""
    package = tmp_path / "site-packages" / "rlroute"
    (package / "conf" / "scenario").mkdir(parents=True)
    monkeypatch.delenv("RLROUTE_CONFIG_DIR", raising=False)
    monkeypatch.setattr(scenarios, "files", lambda name: package)
    assert config_dir() == package / "conf"
