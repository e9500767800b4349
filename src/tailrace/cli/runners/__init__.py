"""The commands' work, one module per command: ``tailrace.cli.<name>`` declares a command (its flags
and help, cheap imports only, so ``--help`` loads nothing heavy) and its body imports
``tailrace.cli.runners.<name>``, whose imports are all at the top. Shared steps the runners use
(the slate, history, spec and graph of a run) are in :mod:`tailrace.cli.runners.inputs`."""
