"""The linearized theory against the master equation: verdicts (:mod:`compare.verdict`), batch
runs (:mod:`compare.batch`), figures (:mod:`compare.plots`), reports (:mod:`compare.report`),
benchmarks (:mod:`compare.bench`), the command line (:mod:`compare.cli`) and the Python API
(:mod:`compare.api`)."""
import qmodel  # noqa: F401  (before NumPy loads: qmodel.threads.calm_blas_threads)
