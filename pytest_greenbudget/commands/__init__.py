"""One module per ``greenbudget`` subcommand.

Each module exposes ``add_arguments(parser)`` and ``run(args) -> int``; its docstring's first
line is the subcommand's help. Modules are imported only when their command runs.
"""
