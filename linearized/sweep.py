"""Parameter sweeps of the linearized model as first-class objects (store, reload, plot).

A :class:`Sweep` holds the base parameters, one or more axes and the result arrays on the grid
(axis order = the order the axes were given, ``indexing='ij'``).  It is saved as a NumPy
``.npz`` file whose ``meta`` entry is a JSON document (axes, units, base parameters, engine,
creation time), so the file describes itself and opens with nothing but NumPy.  We chose
``.npz`` over netCDF because it needs no dependency beyond NumPy and holds everything a
linearized grid needs; a reader in any language with a zip and ``.npy`` reader can load it.
"""
from __future__ import annotations

import json
import os
import time
import zipfile
from dataclasses import dataclass, field

import numpy as np

from linearized.description.parse import parse_model
from linearized.description.system import System, build_system
from linearized.description.units import ParameterError
from linearized.steady import solve_model_grid

FORMAT = "mwent-sweep-1"

ARRAY_DOCS = {
    "E_N": "logarithmic negativity (Eq. 9 for linearized; exact, partial transpose, for the "
           "master equation), NaN where unstable or failed",
    "E_N_gaussian": "Eq. 9 on the master equation state's covariance matrix",
    "duan": "Duan sum (Eq. 10), NaN where unstable or failed",
    "stable": "True where the drift matrix is Hurwitz",
    "occupations": "fluctuation occupations, last axis a1, a2, m, b",
    "status": "ok, unstable or failed",
    "verdict": "agree, disagree or undecided (compare engine)",
    "E_N_linearized": "linearized E_N (Lindblad bath)", "duan_linearized": "linearized Duan",
    "delta_E_N": "E_N(master equation) - E_N(linearized)",
    "delta_duan": "Duan(master equation) - Duan(linearized)",
    "non_gaussianity": "relative entropy to the same-moment Gaussian state (nats)",
    "dim": "Hilbert-space dimension of the converged truncation",
}


@dataclass(frozen=True)
class Axis:
    """One sweep axis: parameter ``key`` taking ``values`` in SI ``unit`` (Hz, K, W, m or
    "" for a dimensionless parameter)."""
    key: str
    values: np.ndarray
    unit: str = ""


def parse_axis(text: str, parameters) -> Axis:
    """Parse ``KEY=START:STOP:N`` or ``KEY=START:STOP:N:log`` (unit suffixes allowed, N >= 1
    points, inclusive ends; ``log`` spaces the points geometrically).  ``parameters``: the
    ``{name: Parameter}`` of the model description."""
    key, sep, rng = text.partition("=")
    key = key.strip()
    parts = rng.split(":")
    log = len(parts) == 4 and parts[3].strip() == "log"
    if log:
        parts = parts[:3]
    if not sep or len(parts) != 3:
        raise ParameterError(f"axis {text!r} is not of the form KEY=START:STOP:N[:log] "
                             f"(e.g. Delta_1=-20MHz:20MHz:201)")
    numeric = [k for k, p in parameters.items() if p.dimension != "choice"]
    if key not in numeric:
        raise ParameterError(f"axis key {key!r} is not a numeric parameter of the model; "
                             f"its numeric parameters are {', '.join(numeric)}")
    start, stop = parameters[key].parse(parts[0]), parameters[key].parse(parts[1])
    unit = parameters[key].unit
    try:
        n = int(parts[2])
    except ValueError:
        raise ParameterError(f"axis {text!r}: the number of points {parts[2]!r} is not an integer")
    if n < 1:
        raise ParameterError(f"axis {text!r}: the number of points must be at least 1")
    if log:
        if not (start > 0 and stop > 0):
            raise ParameterError(f"axis {text!r}: a log axis needs positive ends")
        return Axis(key, np.geomspace(start, stop, n), unit)
    return Axis(key, np.linspace(start, stop, n), unit)


def grid_params(base, axes: list[Axis]):
    """``base`` (a model's :class:`~linearized.description.system.System`) with each axis key replaced by
    its values broadcast on an ``ij`` grid."""
    keys = [a.key for a in axes]
    if len(set(keys)) != len(keys):
        raise ParameterError(f"each axis key may appear once (got {', '.join(keys)})")
    mesh = np.meshgrid(*(a.values for a in axes), indexing="ij")
    return base.replace(**{a.key: m for a, m in zip(axes, mesh)})


@dataclass(frozen=True)
class Sweep:
    """A linearized sweep: base parameters, axes, and result arrays on the grid."""
    base: System
    axes: tuple
    data: dict = field(default_factory=dict)
    engine: str = "linearized"
    created: str = ""
    #: identity of the sweep that made the grid (engine, base, axes, settings), or ""
    key: str = ""

    @property
    def shape(self) -> tuple:
        return tuple(len(a.values) for a in self.axes)

    def summary(self) -> dict:
        """Small JSON-ready description: axes, counts, extrema of E_N and Duan."""
        en, duan, stable = self.data["E_N"], self.data["duan"], self.data["stable"]
        ok = stable & np.isfinite(en)
        out = {"engine": self.engine, "shape": list(self.shape),
               "axes": [{"key": a.key, "unit": a.unit, "start": float(a.values[0]),
                         "stop": float(a.values[-1]), "n": len(a.values)} for a in self.axes],
               "points": int(np.prod(self.shape)), "unstable_points": int(np.sum(~stable))}
        if np.any(ok):
            i = np.unravel_index(np.nanargmax(np.where(ok, en, np.nan)), en.shape)
            out["E_N_max"] = float(en[i])
            out["E_N_max_at"] = {a.key: float(a.values[k]) for a, k in zip(self.axes, i)}
            out["duan_min"] = float(np.nanmin(duan))
            out["entangled_points"] = int(np.sum(en > 0))
        return out

    def save(self, path, compress: bool = False) -> str:
        """Write ``path`` (``.npz`` appended if missing); returns the file name.

        Uncompressed by default: a 201 x 201 grid is a few MB, and zlib would take longer
        than solving it."""
        path = npz_path(path)
        meta = {"format": FORMAT, "engine": self.engine, "created": self.created,
                "sweep_key": self.key,
                "axes": [{"key": a.key, "unit": a.unit} for a in self.axes],
                "base_params": self.base.to_dict(),
                "arrays": {k: ARRAY_DOCS.get(k, k) for k in self.data}}
        spec = self.base.spec
        meta.update({"model": spec.to_dict(), "model_toml": spec.source,
                     "pair": list(self.base.pair_names),
                     "units": {p.name: p.unit for p in spec.parameters},
                     "pairs": [[self.base.mode_names[i], self.base.mode_names[j]]
                               for i, j in self.base.all_pairs()]})
        meta["arrays"]["occupations"] = ("fluctuation occupations, last axis "
                                         + ", ".join(spec.mode_names))
        arrays = {f"axis_{i}": a.values for i, a in enumerate(self.axes)}
        arrays.update(self.data)
        (np.savez_compressed if compress else np.savez)(path, meta=np.array(json.dumps(meta)),
                                                         **arrays)
        return path

    @classmethod
    def load(cls, path) -> "Sweep":
        """Read a file written by :meth:`save`; ``path`` with or without ``.npz`` (as given
        to ``--out``).  A file that is not a mwent sweep raises :class:`ParameterError`."""
        meta, arrays = read_npz(path)
        try:
            axes = tuple(Axis(a["key"], arrays[f"axis_{i}"], a["unit"])
                         for i, a in enumerate(meta["axes"]))
            data = {k: v for k, v in arrays.items() if k != "meta" and not k.startswith("axis_")}
            spec = parse_model(meta["model_toml"], meta["model"].get("path"))
            base = build_system(spec, meta["base_params"], meta.get("pair"))
            return cls(base=base, axes=axes, data=data, engine=meta["engine"],
                       created=meta.get("created", ""), key=meta.get("sweep_key", ""))
        except (KeyError, TypeError, ValueError) as exc:
            raise ParameterError(f"{path} is not a readable mwent sweep file ({exc})") from None


def npz_path(path) -> str:
    """``path`` with ``.npz`` appended if it does not end with it."""
    path = str(path)
    return path if path.endswith(".npz") else path + ".npz"


def read_meta(path) -> dict:
    """The ``meta`` document of the sweep file at ``path`` (with or without ``.npz``);
    :class:`ParameterError` if it is not a mwent sweep file."""
    return read_npz(path, arrays=False)[0]


def read_npz(path, arrays: bool = True):
    """``(meta, {name: array})`` of a sweep file, or :class:`ParameterError` (one sentence)."""
    name = npz_path(path)
    if not os.path.exists(name) and os.path.exists(str(path)):
        name = str(path)           # a file named without the suffix
    try:
        with np.load(name, allow_pickle=False) as f:
            if not hasattr(f, "files") or "meta" not in f.files:
                raise ValueError("no meta entry")
            meta = json.loads(str(f["meta"]))
            if not isinstance(meta, dict) or meta.get("format") != FORMAT:
                raise ValueError("unknown format")
            data = {k: f[k] for k in f.files} if arrays else {}
    except FileNotFoundError:
        raise ParameterError(f"there is no sweep file {name}") from None
    except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile) as exc:
        raise ParameterError(f"{name} is not a mwent sweep file ({exc})") from None
    return meta, data


def run_linearized(base: System, axes: list[Axis]) -> Sweep:
    """Evaluate the linearized model on the grid spanned by ``axes``."""
    res = solve_model_grid(grid_params(base, axes))
    data = {"E_N": res.E_N, "duan": res.duan, "stable": res.stable,
            "occupations": res.occupations, "pair_E_N": res.pair_E_N,
            "pair_duan": res.pair_duan}
    return Sweep(base=base, axes=tuple(axes), data=data,
                 created=time.strftime("%Y-%m-%dT%H:%M:%S%z"))
