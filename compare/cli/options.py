"""What every subcommand shares: errors with exit codes, parameter and option parsing, checks
made before anything is computed, refusals of options that do not apply.

Exit codes (docs/cli.md): 0 success; 2 bad input; 3 no steady state (unstable); 4 a master
equation that did not converge; 1 anything else; 130 interrupted.  The mapping from exceptions
to these codes lives in one place, :func:`compare.cli.main`; JSON output in
:mod:`compare.cli.serialize`.
"""
from __future__ import annotations

import math
import os
import sys

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on Python 3.10 only
    import tomli as tomllib

import importlib.util
import tempfile
from urllib.parse import urlsplit

from compare.defaults import PROGRESS
from linearized.description.drive import BranchError, NoStableBranch
from linearized.description.parse import load_model
from linearized.description.system import build_system
from linearized.description.units import ParameterError
from linearized.sweep import grid_params, parse_axis

EXIT_OK, EXIT_ERROR, EXIT_INPUT, EXIT_UNSTABLE, EXIT_NOT_CONVERGED = 0, 1, 2, 3, 4
EXIT_INTERRUPTED = 130


class CliError(Exception):
    """An error with its exit code, one-sentence message and an optional JSON payload."""

    def __init__(self, message: str, code: int = EXIT_INPUT, payload: dict | None = None):
        super().__init__(message)
        self.code = code
        self.payload = payload


# -- inputs -------------------------------------------------------------------------------------

def _pair(args):
    """``--pair X,Y`` as a list of names (None when not given)."""
    text = getattr(args, "pair", None)
    return None if not text else [x.strip() for x in text.split(",")]


def parse_set(items) -> dict:
    """``["KEY=VALUE", ...]`` -> ``{KEY: VALUE}`` (values still strings)."""
    out = {}
    for item in items or []:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise CliError(f"--set expects KEY=VALUE, got {item!r}")
        out[key.strip()] = value.strip()
    return out


def read_config(path) -> dict:
    """Parameters from a TOML file: top-level keys, or a ``[params]`` table; ``preset = NAME``
    and ``model = NAME`` may name what they modify."""
    try:
        with open(path, "rb") as f:
            doc = tomllib.load(f)
    except FileNotFoundError:
        raise CliError(f"config file {path} does not exist")
    except OSError as exc:
        raise CliError(f"config file {path} cannot be read ({exc.strerror})")
    except tomllib.TOMLDecodeError as exc:
        raise CliError(f"config file {path} is not valid TOML ({exc})")
    except UnicodeDecodeError as exc:
        raise CliError(f"config file {path} is not UTF-8 text (byte {exc.object[exc.start]:#x} "
                       f"at position {exc.start}); TOML files are UTF-8")
    table = dict(doc.get("params", {}))
    table.update({k: v for k, v in doc.items() if k != "params"})
    return table


#: named parameter sets: a preset is a model's own defaults (``paper``: the seed paper's
#: Fig. 2(a) optimum, the defaults of the model file ``paper``)
PRESETS = ("paper",)


def input_values(args, spec) -> dict:
    """The raw values a command was given for ``spec``: the config file's, then ``--set``."""
    name = getattr(args, "model", None) or "paper"
    preset = getattr(args, "preset", None)
    values = {}
    if getattr(args, "config", None):
        values = read_config(args.config)
        preset = preset or values.get("preset")
        values.pop("preset", None)
        if values.pop("model", name) not in (name, spec.name):
            raise CliError(f"the config file {args.config} names another model")
    if preset is not None:
        if preset not in PRESETS:
            raise CliError(f"unknown preset {preset!r}; available: {', '.join(PRESETS)}")
        if spec.name != preset:
            raise CliError(f"--preset names a parameter set of the seed paper's model; the "
                           f"model {spec.name} carries its own defaults (change them with "
                           f"--set or --config)")
    values.update(parse_set(getattr(args, "set", None)))
    return values


def _physical_conflict(spec, values: dict, axes=()) -> None:
    """A YIG drive's physical keys and its effective G and detuning cannot both be given."""
    given = set(values) | set(axes)
    for c in spec.couplings:
        if c.yig is None:
            continue
        mode = spec.modes[spec.mode_names.index(c.modes[0])]
        physical = [k for k in (c.yig.power, c.yig.bare_detuning) if k in given]
        effective = [k for k in (c.G, mode.detuning) if k in given]
        if physical and effective:
            raise CliError(f"give either the effective {' and '.join(effective)} or the "
                           f"physical {c.yig.power}, {c.yig.diameter} and "
                           f"{c.yig.bare_detuning}, not both")


def load_system(args, axes=(), at=None):
    """The model at the requested values: a :class:`linearized.description.system.System` from
    ``--model`` (default ``paper``), ``--preset``, ``--config``, ``--set``, ``--pair`` and
    ``--branch`` (the model's own defaults, then the config file, then ``--set``).  ``axes``:
    the keys a sweep will vary (a physical drive swept is resolved point by point); ``at``:
    values for parameters the request does not give (a sweep's first grid point)."""
    spec = load_model(getattr(args, "model", None) or "paper")
    values = input_values(args, spec)
    _physical_conflict(spec, values, axes)
    values = {**(at or {}), **values}
    branch = getattr(args, "branch", None)
    driven = spec.drive_parameters(values, axes)
    if branch is not None and not driven:
        powers = [c.yig.power for c in spec.couplings if c.yig is not None]
        raise CliError(f"--branch chooses a mean-field branch of a physical drive; the model "
                       f"{spec.name} is given in its effective form (G) here"
                       + (f"; give the drive power {powers[0]} too" if powers else ""))
    try:
        return build_system(spec, values, _pair(args), branch)
    except ParameterError as exc:
        culprit = [k for k in values if f"{k!r}" in str(exc)
                   and k not in parse_set(getattr(args, "set", None))]
        if getattr(args, "config", None) and culprit:
            raise CliError(f"{exc} (in the config file {args.config})") from None
        raise
    except BranchError as exc:
        raise CliError(str(exc))
    except NoStableBranch as exc:
        raise CliError(f"unstable: {exc}, so no steady state exists", EXIT_UNSTABLE)


def model_info(system) -> dict:
    """``{"name", "hash", ...}`` of the model that was solved."""
    return system.spec.to_dict()


def finite_positive(value, flag: str) -> float:
    if not (isinstance(value, (int, float)) and math.isfinite(value) and value > 0):
        raise CliError(f"{flag} must be a positive finite number (got {value!r})")
    return float(value)


def parse_cutoffs(text: str, n: int) -> tuple:
    """``n`` comma-separated levels per tensor factor (one per mode of the model), each at
    least 2; the error says how many the model takes."""
    words = {4: "four", 2: "two", 3: "three", 5: "five", 6: "six"}.get(n, str(n))
    example = ",".join(["3"] * n)
    try:
        cut = tuple(int(x) for x in text.split(","))
    except ValueError:
        raise CliError(f"--cutoffs expects {words} integers like {example} (one per mode of "
                       f"the model), got {text!r}")
    if len(cut) != n or min(cut) < 2:
        raise CliError(f"--cutoffs expects {words} integers of at least 2 (levels per tensor "
                       f"factor, one per mode of the model), got {text!r}")
    return cut


def check_dimension(dim: int, what: str) -> None:
    """Refuse (exit 2) a truncation whose solve cannot fit in this machine's memory."""
    from qmodel.memory import MEMORY_SHARE, physical_memory, solve_bytes
    need, have = solve_bytes(dim), physical_memory()
    if need > MEMORY_SHARE * have:
        raise CliError(f"{what} (d = {dim}) needs about {need / 2 ** 30:.3g} GiB for the "
                       f"steady-state solve, more than this machine's "
                       f"{have / 2 ** 30:.3g} GiB; choose smaller cutoffs or --max-dim")


def convergence_options(args, n_modes: int = 4):
    """:class:`qmodel.converge.ConvergenceOptions` from the command-line flags, checked
    (``n_modes``: how many cutoffs ``--cutoffs`` takes)."""
    # SciPy and QuTiP load when the command runs, not with every command's --help
    from qmodel.converge import ConvergenceOptions
    from qmodel.solvers import METHODS, SolverOptions
    if args.solver not in METHODS:
        raise CliError(f"unknown --solver {args.solver!r}; choose one of {', '.join(METHODS)}")
    for flag, value in (("--tol", args.tol), ("--tail-tol", args.tail_tol)):
        finite_positive(value, flag)
    if args.max_dim is not None and not args.max_dim > 0:
        raise CliError("--max-dim must be positive")
    cut = parse_cutoffs(args.cutoffs, n_modes) if args.cutoffs else None
    if cut is not None:
        dim = math.prod(cut)
        if args.max_dim is not None and dim > args.max_dim:
            raise CliError(f"--cutoffs {args.cutoffs} give d = {dim}, above --max-dim "
                           f"{args.max_dim}; raise --max-dim to solve it")
        check_dimension(dim, f"--cutoffs {args.cutoffs}")
    elif args.max_dim is not None:
        check_dimension(args.max_dim, f"--max-dim {args.max_dim}")
    extra = {}
    truncation = getattr(args, "truncation", None)
    eps = getattr(args, "eps", None)
    if eps is not None and (truncation == "box" or (truncation is None and (
            cut is not None or args.basis != "normal"))):
        raise CliError("--eps goes with --truncation probability")
    if truncation == "probability":
        if args.basis != "normal":
            raise CliError("--truncation probability works in the normal-mode basis "
                           "(--basis normal)")
        if cut is not None:
            raise CliError("--cutoffs fixes a box; with --truncation probability fix --eps "
                           "instead")
    if eps is not None:
        if not (math.isfinite(eps) and 0 < eps < 1):
            raise CliError(f"--eps must be between 0 and 1 (got {eps!r})")
    extra.update(truncation=truncation, eps=eps)
    time_limit = getattr(args, "time_limit", None)
    if time_limit is not None:
        extra["time_limit"] = finite_positive(time_limit, "--time-limit")
    return ConvergenceOptions(basis=args.basis, cutoffs=cut, tol=args.tol,
                              tail_tol=args.tail_tol, max_dim=args.max_dim,
                              solver=SolverOptions(method=args.solver), **extra)




def sweep_progress():
    """How a sweep shows its progress on stderr: a bar on a terminal, one line per finished
    master-equation point otherwise (a log file, a batch job), where a bar is noise."""
    return True if sys.stderr.isatty() else "lines"


def progress_printer(args):
    """A callable printing each truncation of a master-equation solve as it finishes, on
    stderr (with ``--json`` too: stdout stays one JSON object): which line of evidence it
    serves (``stage``: the main run, the independent basis and its round), the truncation, d,
    the GMRES iterations and the measures."""

    def show(entry):
        en = entry["E_N"]
        stage = entry.get("stage", "master equation")
        if isinstance(entry.get("round"), str):       # the independent line's grown set
            stage += f", {entry['round']} set"
        elif entry.get("round") is not None:
            stage += f", round {entry['round']}"
        its = entry.get("iterations")
        print(f"{PROGRESS} {stage}: d = {entry['dim']} (cutoffs "
              f"{','.join(map(str, entry['cutoffs']))}), "
              f"{'' if its is None else f'{its} GMRES iterations, '}"
              f"E_N = {'n/a' if en is None else f'{en:.6f}'}, Duan = {entry['duan']:.6f}, "
              f"{entry['seconds']:.1f} s", file=sys.stderr, flush=True)
    return show


# -- outputs written to disk: checked before anything is computed -------------------------------

def check_output_dir(path: str, flag: str, given: str | None = None) -> None:
    """``path`` must be a directory that exists or can be created, and be writable: it is
    created now and a probe file is written and removed, so a bad path fails in a second,
    not after minutes of computing."""
    if os.path.exists(path) and not os.path.isdir(path):
        raise CliError(f"{flag} {path} is an existing file, not a directory")
    try:
        os.makedirs(path, exist_ok=True)
        with tempfile.TemporaryFile(dir=path):
            pass
    except OSError as exc:
        raise CliError(f"{flag} {given or path} cannot be written ({exc.strerror or exc})")


def check_output_prefix(path: str, flag: str, suffixes=(".npz",)) -> None:
    """``path`` is a file prefix (``PATH.npz`` ...): its folder must be writable and none of
    ``PATH + suffix`` may be a directory."""
    if path.endswith(os.sep) or os.path.isdir(path):
        raise CliError(f"{flag} {path} is a directory; give a file prefix like runs/sweep")
    check_output_dir(os.path.dirname(os.path.abspath(path)), flag, given=path)
    for s in suffixes:
        if os.path.isdir(path + s):
            raise CliError(f"{flag} {path}: {path + s} is a directory")


# -- grids ----------------------------------------------------------------------------------------

#: the largest grid a sweep accepts at once (points), and the bytes each point costs in memory
MAX_GRID_POINTS = 10_000_000


def grid_inputs(args):
    """Base model and axes of a sweep or validity map, checked before anything runs.

    A physical drive (its power given or swept) is solved point by point: the corners of the
    grid are checked here, every point when it runs."""
    keys = [a.split("=", 1)[0].strip() for a in args.axis]
    refuse_set(args, set(keys), AXIS_REPLACES_SET)
    spec = load_model(getattr(args, "model", None) or "paper")
    axes = [parse_axis(a, spec.parameter) for a in args.axis]
    # a swept parameter without a default (a YIG drive's diameter) takes the grid's first
    # value in the base, which every point then replaces
    base = load_system(args, axes=keys, at={a.key: float(a.values[0]) for a in axes
                                            if spec.parameter[a.key].default is None})
    n = math.prod(len(a.values) for a in axes)
    if n > MAX_GRID_POINTS:
        raise CliError(f"the grid has {n:.3g} points, more than the {MAX_GRID_POINTS:.0e} one "
                       f"sweep holds in memory; split it into several sweeps")
    given = input_values(args, spec)
    for c in spec.couplings:
        kerr = c.yig.kerr if c.yig is not None else None
        if kerr and c.yig.diameter in keys and \
                str(given.get(kerr, "")).strip().lower() == "yig":
            raise CliError(f"{kerr} = yig is fixed by the base {c.yig.diameter}; a "
                           f"{c.yig.diameter} axis would keep it, so give {kerr} as a number "
                           f"or do not sweep the {c.yig.diameter}")
    if spec.drive_parameters(given, keys):        # a physical drive is solved point by point
        for corner in (0, -1):
            try:
                base.replace(**{a.key: float(a.values[corner]) for a in axes})
            except NoStableBranch:
                pass                              # an unstable corner is a result, not an error
    else:
        grid_params(base, axes)                   # validates every grid value
    check_executor(args)
    if args.workers is not None and args.workers < 1:
        raise CliError("--workers must be at least 1")
    return base, axes


def check_executor(args) -> None:
    """``--executor dask`` needs the extra installed and a scheduler address that parses;
    ``--scheduler`` goes with it, and ``--workers`` with local processes or a LocalCluster."""
    if args.executor != "dask":
        refuse_options(args, ("scheduler",), "--executor dask")
        return
    if not args.scheduler:
        raise CliError("--executor dask needs --scheduler ADDR (e.g. tcp://HOST:8786, or "
                       "'local' for a Dask LocalCluster on this machine)")
    if importlib.util.find_spec("distributed") is None:
        raise CliError("--executor dask needs Dask's distributed scheduler: install the "
                       "extra with pip install 'mwent[dask]'")
    if args.scheduler == "local":
        return
    u = urlsplit(args.scheduler if "://" in args.scheduler else f"tcp://{args.scheduler}")
    try:
        port = u.port
    except ValueError:
        port = None
    if u.scheme not in ("tcp", "tls", "ws", "wss", "inproc", "ucx") or not u.hostname or \
            (u.scheme != "inproc" and port is None):
        raise CliError(f"--scheduler {args.scheduler!r} is not a scheduler address like "
                       f"tcp://HOST:8786")
    refuse_options(args, ("workers",), "local processes or --scheduler local (a running Dask "
                                       "cluster has its own workers)")


def sweep_settings(args, engine, system) -> dict:
    """The solver settings that key a sweep point of ``system`` (the sweep's base) in the
    store (and that it runs with)."""
    settings = {"branch": args.branch} if args.branch is not None else {}
    # the model's identity (its file's hash) and the pair key every stored point
    settings.update({"model": system.spec.hash, "pair": list(system.pair_names)})
    if engine != "linearized":
        opts = convergence_options(args, system.n_modes)
        if opts.truncation != "box":
            settings.update({"truncation": opts.truncation, "eps": opts.eps})
        settings.update({"basis": opts.basis,
                         "cutoffs": list(opts.cutoffs) if opts.cutoffs else None,
                         "tol": opts.tol, "tail_tol": opts.tail_tol, "max_dim": opts.max_dim,
                         "solver": opts.solver.method})
        if opts.time_limit is not None:
            # per point; part of the key, since a point cut short is stored as failed
            settings["time_limit"] = opts.time_limit
    if engine == "compare":
        settings["tolerance"] = finite_positive(args.tolerance, "--tolerance")
    return settings


# -- options that do not apply: refused, never silently ignored ---------------------------------

def given(args, dest: str) -> bool:
    """True when option ``dest`` was given on the command line (``args.given``, set by
    :func:`compare.cli.main`), even with its default value."""
    return dest in args.given


def flag(dest: str) -> str:
    """The command-line spelling of option ``dest`` (``max_dim`` -> ``--max-dim``)."""
    return "--" + dest.replace("_", "-")


def refuse_options(args, dests, goes_with: str) -> None:
    """Refuse (exit 2) the first of the options ``dests`` that was given: in this request it
    would change nothing, and an option is never silently ignored.  ``goes_with`` completes
    the sentence "--X goes with ..." (the request where the option applies)."""
    for dest in dests:
        if given(args, dest):
            raise CliError(f"{flag(dest)} goes with {goes_with}; drop it here")


#: why a --set of a swept parameter is refused
AXIS_REPLACES_SET = "is replaced by --axis {key} at every point; drop one of the two"


def refuse_set(args, keys, why: str) -> None:
    """Refuse (exit 2) a ``--set KEY=...`` of a parameter in ``keys``, which the request
    replaces, rather than drop it unsaid: the sentence is "--set KEY " + ``why`` (which may
    use ``{key}``)."""
    for item in args.set:
        key = item.split("=", 1)[0].strip()
        if key in keys:
            raise CliError(f"--set {key} {why.format(key=key)}")
