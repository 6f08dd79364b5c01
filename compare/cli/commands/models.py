"""``mwent models``: the shipped model descriptions, and each one's file to start from."""
from __future__ import annotations

from compare.cli.options import EXIT_OK, CliError, refuse_options
from compare.cli.serialize import emit
from linearized.description.parse import field_dimensions, load_model, shipped_models

HELP = "list the shipped models, or print one's model file (models show NAME)"
DESCRIPTION = ("Without arguments: every shipped model with one line each.  'models show NAME' "
               "prints that model's TOML file (redirect it to a file, edit it, and pass it "
               "with --model FILE.toml); 'models check FILE.toml' validates a model file and "
               "lists each field's dimension, found and wanted.")


def add_arguments(p) -> None:
    p.add_argument("action", nargs="?", choices=["list", "show", "check"], default="list",
                   help="list (default), show NAME or check FILE.toml")
    p.add_argument("name", nargs="?", help="the model (show) or model file (check)")


def run(args) -> int:
    refuse_options(args, ("model", "set", "config", "preset", "pair", "branch"),
                   "the commands that solve a model ('mwent models' lists, shows and checks "
                   "model files)")
    if args.action == "list" and args.name:
        raise CliError(f"'mwent models list' takes no name (got {args.name!r}); 'mwent "
                       f"models show {args.name}' prints that model's file")
    if args.action == "list":
        rows = []
        for name in shipped_models():
            spec = load_model(name)
            rows.append({"name": name, "title": spec.title, "reference": spec.reference,
                         "modes": list(spec.mode_names), "pair": list(spec.pair),
                         "hash": spec.hash})
        text = "\n".join(f"{r['name']:<12} {r['title']}  [modes {', '.join(r['modes'])}; "
                         f"pair {','.join(r['pair'])}]" for r in rows)
        emit({"models": rows}, args.json, text)
        return EXIT_OK
    if not args.name:
        raise CliError(f"'mwent models {args.action}' needs a "
                       f"{'model name' if args.action == 'show' else 'model file'}")
    spec = load_model(args.name)
    if args.action == "show":
        if args.json:
            emit({**spec.to_dict(), "toml": spec.source}, True, "")
        else:
            print(spec.source, end="" if spec.source.endswith("\n") else "\n")
        return EXIT_OK
    # load_model refused a field whose dimension is not what it wants: each one here is
    dims = field_dimensions(spec)
    out = {**spec.to_dict(), "valid": True, "modes": list(spec.mode_names),
           "parameters": {p.name: {"default": p.default, "unit": p.unit, "doc": p.doc}
                          for p in spec.parameters},
           "couplings": [{"kind": c.kind, "modes": list(c.modes)} for c in spec.couplings],
           "fields": [d.to_dict() for d in dims]}
    emit(out, args.json, "\n".join(
        [f"{args.name}: a valid model ({len(spec.modes)} modes, {len(spec.couplings)} "
         f"couplings, pair {','.join(spec.pair)})"] + _field_lines(dims)))
    return EXIT_OK


def _field_lines(dims) -> list:
    """One line per field: where, expression, the dimension found (a number alone is SI in
    the unit wanted) and the one wanted."""
    width = max((len(d.where) for d in dims), default=0)
    exprs = max((len(d.expression) for d in dims), default=0)
    return [f"  {d.where:<{width}}  {d.expression:<{exprs}}  "
            f"{_number(d.wanted) if d.number else d.found} (wanted {d.wanted})" for d in dims]


def _number(unit: str) -> str:
    return "a number" if unit == "dimensionless" else f"a number in {unit}"
