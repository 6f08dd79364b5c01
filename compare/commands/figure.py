"""``mwent figure``: one of the paper's figures from the linearized theory."""
from __future__ import annotations

from .common import EXIT_OK, CliError, check_output_dir, emit, load_params

HELP = "reproduce one of the paper's figures (PNG + data)"
DESCRIPTION = ("Compute one of the paper's Figs. 2(a), 2(b), 3, 4(a), 4(b) from the linearized "
               "theory on the preset's parameters and write figNAME.png and figNAME.npz.")


def add_arguments(p) -> None:
    p.add_argument("name", choices=["2a", "2b", "3", "4a", "4b"], help="which figure")
    p.add_argument("--out", default="figs", metavar="DIR", help="output folder (default figs)")
    p.add_argument("--points", type=int, default=None, metavar="N",
                   help="points per axis (default 201)")


def run(args) -> int:
    from compare.figures import make_figure
    base = load_params(args)
    if args.points is not None and args.points < 2:
        raise CliError("--points must be at least 2")
    if args.points is not None and args.points > 2001:
        raise CliError("--points must be at most 2001 (a figure of 4 million points)")
    check_output_dir(args.out, "--out")
    out = make_figure(args.name, base, args.out, args.points)
    emit(out, args.json, f"wrote {out['png']} and {out['data']}")
    return EXIT_OK
