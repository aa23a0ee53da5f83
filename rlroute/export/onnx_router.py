"""An exported policy (``policy.onnx`` + ``policy.json``) as a router, on onnxruntime + numpy.

No torch is imported, here or by anything this module imports: a server or a benchmark can run
the policy with onnxruntime alone. Before the first decision the sidecar is checked against
the environment built for the simulator's scenario (env id and version, observation names,
action names); any difference fails with a message that names it.

    >>> router = OnnxRouter("outputs/ci/train/policy.onnx")    # doctest: +SKIP
    >>> Simulator(load_scenario("heterogeneous"), seed=0).run(router).overall["cost_per_call"]
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from rlroute.export.sidecar import (
    INPUT_MASK,
    INPUT_OBS,
    OUTPUT_ACTION,
    OUTPUT_LOGITS,
    Sidecar,
    SidecarError,
    sidecar_path,
)

if TYPE_CHECKING:
    from rlroute.rl.envinfo import SimObserver
    from rlroute.sim import Simulator


def _session(path: Path, threads: int = 1) -> Any:
    import onnxruntime as ort

    opts = ort.SessionOptions()
    opts.intra_op_num_threads = threads
    opts.inter_op_num_threads = 1
    opts.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    try:
        return ort.InferenceSession(str(path), opts, providers=["CPUExecutionProvider"])
    except Exception as exc:
        raise SidecarError(f"{path}: onnxruntime cannot load it: {exc}") from None


class OnnxPolicy:
    """The ONNX graph as a function: ``masked_logits(obs, mask)``, ``act(obs, mask)``."""

    def __init__(self, path: str | Path, threads: int = 1) -> None:
        self.path = Path(path)
        if self.path.is_dir():
            self.path = self.path / "policy.onnx"
        if not self.path.exists():
            raise SidecarError(f"{self.path}: no such ONNX file")
        self.sidecar = Sidecar.load(sidecar_path(self.path))
        self.session = _session(self.path, threads)
        self._check_graph()

    def _check_graph(self) -> None:
        inputs = {i.name: i for i in self.session.get_inputs()}
        outputs = {o.name for o in self.session.get_outputs()}
        want_in, want_out = {INPUT_OBS, INPUT_MASK}, {OUTPUT_LOGITS, OUTPUT_ACTION}
        if set(inputs) != want_in or not want_out <= outputs:
            raise SidecarError(
                f"{self.path}: graph inputs {sorted(inputs)} / outputs {sorted(outputs)}, "
                f"expected {sorted(want_in)} / {sorted(want_out)}"
            )
        for name, n in ((INPUT_OBS, self.sidecar.obs_dim), (INPUT_MASK, self.sidecar.n_actions)):
            width = inputs[name].shape[-1]
            if isinstance(width, int) and width != n:
                raise SidecarError(
                    f"{self.path}: input {name!r} has width {width} but the sidecar "
                    f"{sidecar_path(self.path).name} names {n}"
                )

    def run(self, obs: np.ndarray, mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        logits, action = self.session.run(
            [OUTPUT_LOGITS, OUTPUT_ACTION],
            {
                INPUT_OBS: np.ascontiguousarray(np.atleast_2d(obs), dtype=np.float32),
                INPUT_MASK: np.ascontiguousarray(np.atleast_2d(mask), dtype=bool),
            },
        )
        return logits, action

    def masked_logits(self, obs: np.ndarray, mask: np.ndarray) -> np.ndarray:
        return self.run(obs, mask)[0]

    def act(self, obs: np.ndarray, mask: np.ndarray) -> np.ndarray:
        return self.run(obs, mask)[1]


class OnnxRouter:
    """``make_router("onnx", path="policy.onnx")``: deterministic masked-greedy decisions."""

    def __init__(self, path: str | Path, name: str | None = None, threads: int = 1) -> None:
        self.policy = OnnxPolicy(path, threads)
        self.sidecar = self.policy.sidecar
        self.name = name or f"onnx:{self.sidecar.algo}"
        self._observer: SimObserver | None = None
        self._scenario_id: int | None = None
        self._sess = self.policy.session
        self._feed: dict[str, np.ndarray | None] = {INPUT_OBS: None, INPUT_MASK: None}

    def reset(self, sim: Simulator) -> None:
        if self._observer is None or self._scenario_id != id(sim.scenario):
            from rlroute.rl.envinfo import SimObserver

            try:
                observer = SimObserver(self.sidecar.env_id, sim.scenario, self.sidecar.env_options)
            except ValueError as exc:
                raise SidecarError(f"{self.policy.path}: {exc}") from None
            lay = observer.layout
            self.sidecar.check_env(
                env_id=lay.env_id,
                env_version=lay.env_version,
                observation_names=lay.observation_names,
                action_names=lay.action_names,
                where=str(self.policy.path),
            )
            self._observer, self._scenario_id = observer, id(sim.scenario)

    def act(self, sim: Simulator) -> int:
        observer = self._observer
        assert observer is not None, "reset(sim) first"
        mask = observer.mask(sim)
        valid = np.flatnonzero(mask)
        if len(valid) == 1:
            return int(valid[0])
        feed = self._feed
        feed[INPUT_OBS] = observer(sim)[None, :]
        feed[INPUT_MASK] = mask[None, :]
        return int(self._sess.run([OUTPUT_ACTION], feed)[0][0])


def make_onnx_router(
    path: str | Path | None = None, name: str | None = None, **kw: Any
) -> OnnxRouter:
    """Registry factory: ``make_router("onnx", path=...)``."""
    if path is None:
        raise ValueError("router 'onnx' needs path= (a policy.onnx file or its directory)")
    return OnnxRouter(path, name=name, **kw)


__all__ = ["OnnxPolicy", "OnnxRouter", "make_onnx_router"]
