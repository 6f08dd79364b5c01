"""The Krylov solver's dense products on a GPU (optional, CuPy).

Each GMRES iteration applies the inverse of the no-jump part, ``P^-1 C = -(A ((B C D) / den)
E)`` with fixed dense matrices (:mod:`qmodel.solvers`: the eigenvectors of K and their
inverses), four dense products that grow as d^3 and are most of a large solve on a CPU.
With ``MWENT_DEVICE=gpu`` in the environment those four products run on the GPU through
CuPy: the fixed matrices are copied there once per splitting, and each application sends
``C`` and brings the result back.  Everything else (the jump map, Gram-Schmidt, the checks)
stays on the CPU, and nothing else depends on it: without the variable, or with
``MWENT_DEVICE=cpu``, no GPU is touched and CuPy is never imported.
"""
from __future__ import annotations

import os

from linearized.description.units import ParameterError

#: the environment variable that chooses where the dense products run (``cpu`` or ``gpu``)
DEVICE_VAR = "MWENT_DEVICE"
DEVICES = ("cpu", "gpu")


def device() -> str:
    """Where the dense products run: the value of :data:`DEVICE_VAR` (default ``cpu``)."""
    name = os.environ.get(DEVICE_VAR, "cpu").strip().lower() or "cpu"
    if name not in DEVICES:
        raise ParameterError(f"{DEVICE_VAR}={os.environ[DEVICE_VAR]!r} is not a device; "
                             f"choose {' or '.join(DEVICES)}")
    return name


def _chain(A, B, den, D, E, C):
    return -(A @ ((B @ C @ D) / den) @ E)


def inverse_chain(A, B, den, D, E):
    """``C -> -(A @ ((B @ C @ D) / den) @ E)`` for dense ``C`` (numpy in, numpy out), on the
    device of :func:`device`."""
    if device() == "cpu":
        return lambda C: _chain(A, B, den, D, E, C)
    try:
        import cupy as cp
        cp.cuda.runtime.getDeviceCount()
    except Exception as exc:   # no CuPy, no driver or no device: say which, in one sentence
        raise ParameterError(f"{DEVICE_VAR}=gpu needs CuPy and a CUDA device "
                             f"({type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}); "
                             f"unset it to compute on the CPU") from None
    on_gpu = [cp.asarray(M) for M in (A, B, den, D, E)]
    return lambda C: cp.asnumpy(_chain(*on_gpu, cp.asarray(C)))
