"""Many points: what each engine runs at a point (:mod:`~compare.batch.engines`), where points
run (:mod:`~compare.batch.executors`: this process, local workers, Dask), the resumable sweep
(:mod:`~compare.batch.sweeps`) and its SQLite store (:mod:`~compare.batch.store`)."""
