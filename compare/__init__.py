"""Runs the linearized theory and the master equation on the same parameters; the CLI."""
