"""rlroute.export: trained policies as ONNX files, and verified parity with torch.

* :mod:`rlroute.export.onnx_export`: ``export_run(run_dir)`` -> ``policy.onnx`` + ``policy.json``
  (``rlroute-export``);
* :mod:`rlroute.export.sidecar`: the ``policy.json`` contract and its checks (no torch);
* :mod:`rlroute.export.onnx_router`: ``OnnxRouter`` on onnxruntime + numpy only, registered as
  router ``onnx`` in :mod:`rlroute.policies` when this package is imported;
* :mod:`rlroute.export.parity`: ``verify_parity(run_dir, n_obs=10000)``.
"""

from __future__ import annotations

from typing import Any

from rlroute.policies import register_router
from rlroute.sim.router import Router


def _onnx(path: str | None = None, **kw: Any) -> Router:
    if path is None:  # say so before importing torch / onnxruntime (``routers: all`` asks)
        raise ValueError("router 'onnx' needs path= (a policy.onnx file or its directory)")
    # Imported when built: ``import rlroute.export`` loads neither onnxruntime nor torch.
    from rlroute.export.onnx_router import make_onnx_router

    return make_onnx_router(path, **kw)


register_router("onnx", _onnx)
