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
    table = dict(doc.get("params", {}))
    table.update({k: v for k, v in doc.items() if k != "params"})
    return table


def load_params(preset: str | None = None, config: str | None = None, sets=None) -> Params:
    """Preset (default ``paper``), then the config file, then ``--set`` values, in that order."""
    values = read_config(config) if config else {}
    name = preset or values.pop("preset", None) or "paper"
    values.pop("preset", None)
    if name not in PRESETS:
        raise ParameterError(f"unknown preset {name!r}; available: {', '.join(PRESETS)}")
    values.update(parse_set(sets))
    return Params.from_mapping(values, base=PRESETS[name])
