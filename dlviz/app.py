"""Entry point, dispatch only: `dlviz [IMAGE] [--model ...]` opens the window, `dlviz COMMAND ...`
runs the command line (dlviz.cli), `dlviz --self-test` checks an installation (dlviz.selftest).

Nothing heavy is imported here: the window appears before torch loads, and a command imports
only what it needs.
"""

from __future__ import annotations

import sys

from dlviz import cli, runtime


def window_commands():
    """What the command line may hand to the window's layer (commands that draw the window)."""
    from dlviz.gui import offscreen

    return offscreen


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    runtime.prepare()
    if argv and argv[0] in ("--self-test", "self-test"):
        from dlviz import selftest

        return selftest.main()
    if argv and argv[0] in cli.COMMANDS:
        return cli.main(argv, window=window_commands)
    from dlviz.gui import launch

    return launch.run(argv, commands=cli.COMMANDS)


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
