"""``mwent models``: the shipped model descriptions, and each one's file to start from."""
from __future__ import annotations

from compare.cli.options import EXIT_OK, CliError, refuse_options
from compare.cli.serialize import emit
from linearized.description.parse import load_model, shipped_models

HELP = "list the shipped models, or print one's model file (models show NAME)"
DESCRIPTION = ("Without arguments: every shipped model with one line each.  'models show NAME' "
               "prints that model's TOML file (redirect it to a file, edit it, and pass it "
               "with --model FILE.toml); 'models check FILE.toml' validates a model file.")


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
    out = {**spec.to_dict(), "valid": True, "modes": list(spec.mode_names),
           "parameters": {p.name: {"default": p.default, "unit": p.unit, "doc": p.doc}
                          for p in spec.parameters},
           "couplings": [{"kind": c.kind, "modes": list(c.modes)} for c in spec.couplings]}
    emit(out, args.json, f"{args.name}: a valid model ({len(spec.modes)} modes, "
                         f"{len(spec.couplings)} couplings, pair {','.join(spec.pair)})")
    return EXIT_OK
