"""rlroute.export: trained policies as ONNX files, and verified parity with torch.

* :mod:`rlroute.export.onnx_export`: ``export_run(run_dir)`` -> ``policy.onnx`` + ``policy.json``
  (``rlroute-export``);
* :mod:`rlroute.export.sidecar`: the ``policy.json`` contract and its checks (no torch);
* :mod:`rlroute.export.onnx_router`: ``OnnxRouter`` on onnxruntime + numpy only (registered as
  ``onnx`` in :mod:`rlroute.policies`);
* :mod:`rlroute.export.parity`: ``verify_parity(run_dir, n_obs=10000)``.
"""
