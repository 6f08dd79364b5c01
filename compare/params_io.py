"""Reading parameters from presets, TOML files and ``--set KEY=VALUE`` options."""
from __future__ import annotations

import sys

from linearized.params import PRESETS, ParameterError, Params

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on Python 3.10 only
    import tomli as tomllib


def parse_set(items) -> dict:
    """``["KEY=VALUE", ...]`` -> ``{KEY: VALUE}`` (values still strings)."""
    out = {}
    for item in items or []:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise ParameterError(f"--set expects KEY=VALUE, got {item!r}")
        out[key.strip()] = value.strip()
    return out


def read_config(path) -> dict:
    """Parameters from a TOML file: top-level keys, or a ``[params]`` table; ``preset = NAME``
    may name the preset they modify."""
    try:
        with open(path, "rb") as f:
            doc = tomllib.load(f)
    except FileNotFoundError:
        raise ParameterError(f"config file {path} does not exist")
    except OSError as exc:
        raise ParameterError(f"config file {path} cannot be read ({exc.strerror})")
    except tomllib.TOMLDecodeError as exc:
        raise ParameterError(f"config file {path} is not valid TOML ({exc})")
    except UnicodeDecodeError as exc:
        raise ParameterError(f"config file {path} is not UTF-8 text (byte {exc.object[exc.start]:#x} "
                             f"at position {exc.start}); TOML files are UTF-8")
    table = dict(doc.get("params", {}))
    table.update({k: v for k, v in doc.items() if k != "params"})
    return table


#: ``K = "yig"``: the literature Kerr coefficient of a YIG sphere of the given diameter
KERR_YIG = "yig"


def _is_yig(value) -> bool:
    return isinstance(value, str) and value.strip().lower() == KERR_YIG


def _merged(preset: str | None, config: str | None, sets) -> tuple:
    """``(preset name, values)``: the config file's values updated by ``--set``."""
    values = read_config(config) if config else {}
    name = preset or values.pop("preset", None) or "paper"
    values.pop("preset", None)
    values.update(parse_set(sets))
    return name, values


def yig_kerr_requested(config: str | None = None, sets=None) -> bool:
    """True when the config file or ``--set`` asks for ``K = yig``."""
    return _is_yig(_merged(None, config, sets)[1].get("K"))


def load_params(preset: str | None = None, config: str | None = None, sets=None,
                branch=None, resolve: bool = True) -> Params:
    """Preset (default ``paper``), then the config file, then ``--set`` values, in that order.

    Effective (G, Delta_m) and physical (P, diameter, Delta_m0) keys cannot both be given.
    With P given and ``resolve``, G and Delta_m come from the mean-field branch ``branch``.
    ``K = yig`` takes the Kerr coefficient of :func:`linearized.physical.kerr_coefficient`
    for the given ``diameter``.
    """
    from linearized.physical import kerr_coefficient, resolve as resolve_physical
    name, values = _merged(preset, config, sets)
    if name not in PRESETS:
        raise ParameterError(f"unknown preset {name!r}; available: {', '.join(PRESETS)}")
    # the drive (P, Delta_m0) determines G and Delta_m; the diameter alone does not (it also
    # serves K = yig and --target-G, which take G and Delta_m as given)
    physical = [k for k in ("P", "Delta_m0") if k in values]
    effective = [k for k in ("G", "Delta_m") if k in values]
    if physical and effective:
        raise ParameterError(f"give either the effective {' and '.join(effective)} or the "
                             f"physical P, diameter and Delta_m0, not both")
    yig = _is_yig(values.get("K"))
    if yig:
        del values["K"]
    try:
        params = Params.from_mapping(values, base=PRESETS[name])
    except ParameterError as exc:
        sets_keys = parse_set(sets)
        culprit = [k for k in values if f"{k!r}" in str(exc) and k not in sets_keys]
        if config and culprit:
            raise ParameterError(f"{exc} (in the config file {config})") from None
        raise
    if yig:
        if params.diameter is None:
            raise ParameterError("K = yig scales the literature Kerr coefficient to the sphere; "
                                 "give its diameter too (e.g. --set diameter=250um)")
        params = params.replace(K=kerr_coefficient(float(params.diameter)))
    return resolve_physical(params, branch) if resolve else params
