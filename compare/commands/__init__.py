"""One module per ``mwent`` subcommand; each has ``add_parser(sub)`` and ``run(args)``."""
