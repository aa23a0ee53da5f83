"""The environment's id and version, and the check that a trained policy matches them.

Plain Python (no Gymnasium import), so that run directories and ONNX sidecars can refuse a
policy trained on another version of the environment before anything is built. The version
history itself is in :class:`rlroute.envs.call_center.CallCenterEnv`'s docstring.
"""

from __future__ import annotations

#: Gymnasium id of the call-center environment registered by ``import rlroute``.
ENV_NAME = "rlroute/CallCenter"
ENV_VERSION = 1
ENV_ID = f"{ENV_NAME}-v{ENV_VERSION}"


def env_version_problem(env_id: str, env_version: int) -> str | None:
    """Why a policy trained on ``env_id`` (version ``env_version``) cannot run on the installed
    environment, or None when it can (or when ``env_id`` is not rlroute's environment: other
    ids are left to Gymnasium's registry)."""
    name, sep, _ = str(env_id).rpartition("-v")
    if not sep or name != ENV_NAME:
        return None
    if str(env_id) == ENV_ID and int(env_version) == ENV_VERSION:
        return None
    return (
        f"the policy was trained on {env_id} (v{env_version}) but this rlroute provides "
        f"{ENV_ID} (v{ENV_VERSION}); observations or rewards may differ between versions "
        "(see CallCenterEnv's Version History): retrain it, or re-validate it under "
        f"v{ENV_VERSION} and record that in its run.json / policy.json"
    )


__all__ = ["ENV_ID", "ENV_NAME", "ENV_VERSION", "env_version_problem"]
