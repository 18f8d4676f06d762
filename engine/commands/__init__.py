"""The ``wxplan`` commands, one module each (:mod:`engine.cli` lists them and dispatches).

A command module has ``NAME``, ``add_parser(sub)`` (its subcommand's arguments, help and examples) and
``run(args) -> int`` (the exit status). What several commands share is in two modules: :mod:`.options`
(the options common to the commands that evaluate a profile) and :mod:`.io` (reading a profile or an export,
writing a result). A user error is raised as :class:`engine.errors.UserError`; :mod:`engine.cli` prints it
and exits with status 2.
"""
