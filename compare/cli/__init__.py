"""The ``mwent`` command line: the parser and the one place where errors become exit codes.

Each subcommand lives in its own module of :mod:`compare.cli.commands` (``add_arguments`` and
``run``).  Exit codes (docs/cli.md): 0 success; 1 an unexpected failure (one line, no
traceback); 2 bad input; 3 no steady state (unstable); 4 a master equation that did not
converge, or a verdict left undecided; 130 interrupted (Ctrl-C).  Errors are one sentence on
stderr; ``--json`` prints one strict JSON object on stdout, on the error paths too.
"""
from __future__ import annotations

import argparse
import errno
import importlib
import os
import sys
import warnings

import numpy as np

from compare.cli.options import (EXIT_ERROR, EXIT_INPUT, EXIT_INTERRUPTED, EXIT_NOT_CONVERGED,
                                 EXIT_UNSTABLE, PRESETS, CliError)
from compare.cli.serialize import dumps
from linearized.description.drive import BranchError, NoStableBranch
from linearized.description.units import ParameterError

#: subcommand name -> module of compare.cli.commands (in the order ``--help`` lists them)
COMMANDS = {"linearized": "linearized", "qmodel": "qmodel", "compare": "compare",
            "sweep": "sweep", "validity": "validity", "meanfield": "meanfield",
            "figure": "figure", "bench": "bench",
            "output": "output", "transient": "transient", "models": "models"}

EPILOG = """\
presets: {presets}
values: SI numbers or unit suffixes, e.g. 10MHz, 100Hz, 20mK, 6.3mW, 250um
exit codes: 0 success; 1 unexpected failure; 2 bad input; 3 no steady state (unstable);
  4 master equation not converged or verdict undecided; 130 interrupted (Ctrl-C)
'mwent COMMAND --help' describes each command."""


#: options renamed for one name per concept (issue 19): (command, old) -> new
RENAMED = {("figure", "--grid"): "--me-points", ("bench", "--grid"): "--points"}


def _renamed(argv) -> None:
    """An option given by its name before a rename: say its new name (exit 2)."""
    for (command, old), new in RENAMED.items():
        if argv[:1] == [command] and any(a == old or a.startswith(old + "=") for a in argv):
            raise CliError(f"{old} is now {new} (see 'mwent {command} --help')")


class _Parser(argparse.ArgumentParser):
    def error(self, message):
        raise CliError(f"{message} (see '{self.prog} --help')")


def _common(p: argparse.ArgumentParser, presets) -> None:
    p.add_argument("--set", action="append", metavar="KEY=VALUE", default=[],
                   help="override one parameter; SI numbers or unit suffixes (10MHz, 20mK); "
                        "K=yig: the literature YIG Kerr coefficient for the sphere's "
                        "diameter; repeatable")
    p.add_argument("--config", metavar="FILE.toml", help="TOML file of parameters")
    p.add_argument("--preset", metavar="NAME",
                   help=f"named parameter set: {', '.join(presets)} (default: paper)")
    p.add_argument("--json", action="store_true", help="print one JSON object on stdout")
    p.add_argument("--model", metavar="NAME|FILE.toml",
                   help="the model: a shipped one (see 'mwent models') or a model file "
                        "(default: paper, the seed model of Yu, Shen & Li 2020)")
    p.add_argument("--pair", metavar="X,Y",
                   help="the two modes whose E_N and Duan sum are the result (default: the "
                        "model's pair; a1,a2 for the paper)")
    p.add_argument("--branch", metavar="WHICH",
                   help="mean-field branch when P is given and several are stable: lowest, "
                        "highest or an index (see 'mwent meanfield')")


class _Unset(list):
    """Stands for an option not given (a list, so that an appending option can append)."""


def _given(argv, args) -> frozenset:
    """The options given on the command line, told from those left at their defaults even
    when a given value equals the default (``--bandwidth 1MHz``): the subcommand's arguments
    parsed again into a namespace where every option holds its own :class:`_Unset` marker,
    which argparse leaves in place of a default.  Read by
    :func:`compare.cli.options.given`."""
    p = _Parser(prog=f"mwent {args.command}")
    _common(p, PRESETS)
    _module(args.command).add_arguments(p)
    unset = {dest: _Unset() for dest in vars(args)}
    # the parser takes no option before the command, so what follows it is the command's
    again = p.parse_args(argv[argv.index(args.command) + 1:], argparse.Namespace(**unset))
    return frozenset(k for k, v in vars(again).items() if v is not unset.get(k))


def _module(name: str):
    return importlib.import_module(f"compare.cli.commands.{COMMANDS[name]}")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="mwent", description="Microwave entanglement in cavity "
                     "magnomechanics: the linearized Gaussian theory and the full master "
                     "equation on the same parameters, and whether they agree.",
                     epilog=EPILOG.format(presets=", ".join(PRESETS)),
                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    for name in COMMANDS:
        mod = _module(name)
        p = sub.add_parser(name, help=mod.HELP, description=mod.DESCRIPTION,
                           epilog=EPILOG.format(presets=", ".join(PRESETS)),
                           formatter_class=argparse.RawDescriptionHelpFormatter)
        _common(p, PRESETS)
        mod.add_arguments(p)
    return parser


def _fail(message: str, code: int, as_json: bool, payload: dict | None = None) -> int:
    if as_json:
        reason = ("no steady state (unstable)" if code == EXIT_UNSTABLE else
                  "not computed: " + message)
        try:
            print(dumps({**(payload or {}), "error": message, "exit_code": code}, reason))
            sys.stdout.flush()
        except OSError:
            _drop_stdout()        # it cannot be written; the sentence below still says why
    print(f"mwent: error: {message}", file=sys.stderr)
    return code


def _drop_stdout() -> None:
    """Point standard output at the null device, so that what is still buffered for an output
    that cannot take it (a closed pipe, a full disk) is not written again at exit, where
    Python would print a traceback of its own."""
    try:
        sys.stdout.flush()
    except OSError:
        pass
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError, AttributeError):
        pass                      # no file descriptor (e.g. captured by a test): nothing kept
    try:
        sys.stdout.flush()        # the buffer goes to the null device now
    except OSError:
        pass


#: errors only a write gives (a full disk, a quota, a file too large; /dev/full)
_WRITE_ERRORS = {errno.ENOSPC, errno.EDQUOT, errno.EFBIG}


def _wants_json(argv) -> bool:
    """``--json`` among the arguments, or an abbreviation the parser accepts (``--js``): an
    error the parser reports must be a JSON object too."""
    for a in argv:
        if a == "--":
            return False
        flag = a.split("=", 1)[0]
        if len(flag) >= 3 and "--json".startswith(flag):
            return True
    return False


def _classify(exc: BaseException):
    """``(exit code, message)`` for an exception a subcommand let through."""
    if isinstance(exc, (ParameterError, BranchError)):
        return EXIT_INPUT, str(exc)
    if isinstance(exc, NoStableBranch):
        return EXIT_UNSTABLE, f"unstable: {exc}, so no steady state exists"
    mod = type(exc).__module__ or ""
    name = type(exc).__name__
    if mod.startswith("qmodel") and name == "Unstable":
        return EXIT_UNSTABLE, f"unstable: {exc}, so no steady state exists"
    if mod.startswith("qmodel") and name in ("NotConverged", "SolverError"):
        return EXIT_NOT_CONVERGED, str(exc)
    if name == "StoreError":
        return EXIT_INPUT, str(exc)
    if isinstance(exc, MemoryError):
        return EXIT_INPUT, ("the request needs more memory than this machine has; choose "
                            "smaller cutoffs, --max-dim or grid")
    if isinstance(exc, OSError):
        where = f" ({exc.filename})" if getattr(exc, "filename", None) else ""
        what = "cannot write: " if exc.errno in _WRITE_ERRORS else ""
        return EXIT_ERROR, f"{what}{exc.strerror or exc}{where}"
    first = str(exc).splitlines()[0] if str(exc) else ""
    return EXIT_ERROR, f"unexpected {name}: {first} (please report this)"


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    code = _main(argv)
    try:
        sys.stdout.flush()
    except OSError:
        _drop_stdout()            # an output that cannot be written: said on stderr already
    return code


def _main(argv) -> int:
    as_json = _wants_json(argv)
    try:
        parser = build_parser()
        if not argv:
            parser.print_usage(sys.stderr)
            print("mwent: error: choose a command (see 'mwent --help')", file=sys.stderr)
            return EXIT_INPUT
        _renamed(argv)
        args = parser.parse_args(argv)
        as_json = getattr(args, "json", False)
        args.given = _given(argv, args)
        with warnings.catch_warnings(), np.errstate(all="ignore"):
            # every non-finite result is reported as such (null plus a reason), so NumPy's
            # own warnings would only repeat it on stderr
            warnings.simplefilter("ignore", RuntimeWarning)
            code = _module(args.command).run(args)
        # what is still buffered is written now, where a failure (a full disk) becomes one
        # sentence, rather than at exit with Python's own traceback
        sys.stdout.flush()
        return code
    except CliError as exc:
        return _fail(str(exc), exc.code, as_json, exc.payload)
    except KeyboardInterrupt:
        return _fail("interrupted", EXIT_INTERRUPTED, as_json)
    except BrokenPipeError:
        # the reader went away (e.g. `mwent ... | head`): nothing left to say to it
        _drop_stdout()
        return 0
    except Exception as exc:      # noqa: BLE001 - the one place exceptions become exit codes
        code, message = _classify(exc)
        return _fail(message, code, as_json)
