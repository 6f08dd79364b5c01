"""One module per ``mwent`` subcommand: each has ``HELP``, ``DESCRIPTION``,
``add_arguments(parser)`` and ``run(args)`` (the exit code)."""
