"""Running modelscan over model files (``mlspm scan``): a capped worker process and result storage.

Kept import-free so that the worker (``mlspm/scan/worker.py``, started as a script) and ``import mlspm``
stay light; use ``mlspm.scan.runner.scan_paths``.
"""
