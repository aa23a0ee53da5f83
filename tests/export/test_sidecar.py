"""The sidecar: round trip, and clear messages when it does not match the environment."""

from __future__ import annotations

import json

import pytest

from rlroute.export.sidecar import Sidecar, SidecarError, sidecar_path


def _sidecar() -> Sidecar:
    return Sidecar(
        env_id="rlroute/CallCenter-v1",
        env_version=1,
        scenario="s",
        scenario_hash="h",
        algo="maskable_ppo",
        observation_names=["queue/a", "queue/b"],
        action_names=["a->x", "b->x", "hold"],
        obs_mean=[0.0, 0.0],
        obs_std=[1.0, 1.0],
        obs_clip=10.0,
        env_options={"work_conserving": True},
        rlroute_version="0.1.0",
        config_hash="c",
        masked_logit=-1e8,
        opset=17,
        exporter="torchscript",
    )


def test_round_trip(tmp_path) -> None:
    s = _sidecar()
    path = s.save(tmp_path / "policy.json")
    assert Sidecar.load(path) == s
    assert sidecar_path(tmp_path / "policy.onnx") == path


def test_matching_env_passes() -> None:
    s = _sidecar()
    s.check_env(
        env_id=s.env_id,
        env_version=1,
        observation_names=list(s.observation_names),
        action_names=list(s.action_names),
        where="x",
    )


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"env_version": 2}, r"env version: policy trained on v1, environment is v2"),
        ({"env_id": "other/Env-v0"}, r"env id: policy 'rlroute/CallCenter-v1'"),
        (
            {"observation_names": ["queue/a", "wait/b"]},
            r"observation 1: policy 'queue/b', environment 'wait/b'",
        ),
        ({"observation_names": ["queue/a"]}, r"observations: policy has 2, environment 1"),
        (
            {"action_names": ["a->x", "b->y", "hold"]},
            r"action 1: policy 'b->x', environment 'b->y'",
        ),
    ],
)
def test_mismatch_is_named(change: dict, message: str) -> None:
    s = _sidecar()
    env = {
        "env_id": s.env_id,
        "env_version": s.env_version,
        "observation_names": s.observation_names,
        "action_names": s.action_names,
    } | change
    with pytest.raises(SidecarError, match=message):
        s.check_env(**env, where="policy.onnx")


def test_missing_or_bad_sidecar(tmp_path) -> None:
    with pytest.raises(SidecarError, match="sidecar missing"):
        Sidecar.load(tmp_path / "policy.json")
    (tmp_path / "policy.json").write_text("{not json")
    with pytest.raises(SidecarError, match="not valid JSON"):
        Sidecar.load(tmp_path / "policy.json")
    (tmp_path / "policy.json").write_text(json.dumps({"format": 99}))
    with pytest.raises(SidecarError, match="format 99"):
        Sidecar.load(tmp_path / "policy.json")
    (tmp_path / "policy.json").write_text(json.dumps({"format": 1, "env_id": "x"}))
    with pytest.raises(SidecarError, match="lacks fields"):
        Sidecar.load(tmp_path / "policy.json")


@pytest.mark.parametrize(
    ("env_id", "version"), [("rlroute/CallCenter-v0", 0), ("rlroute/CallCenter-v1", 0)]
)
def test_a_policy_of_another_env_version_is_refused_on_load(tmp_path, env_id, version) -> None:
    s = _sidecar()
    s.env_id, s.env_version = env_id, version
    path = s.save(tmp_path / "policy.json")
    with pytest.raises(
        SidecarError,
        match=rf"policy.json: the policy was trained on {env_id} \(v{version}\) but this "
        r"rlroute provides rlroute/CallCenter-v1 \(v1\)",
    ):
        Sidecar.load(path)


def test_a_revalidated_policy_records_it(tmp_path) -> None:
    s = _sidecar()
    s.env_revalidated = {"trained_on": "rlroute/CallCenter-v0"}
    assert Sidecar.load(s.save(tmp_path / "policy.json")).env_revalidated == s.env_revalidated
