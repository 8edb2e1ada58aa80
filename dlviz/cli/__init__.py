"""The command line: the same core as the window, scriptable. One module per command group;
`common` holds what they share.

User errors (any `DlvizError`) exit 2 with one line `error: ...` on stderr, never a traceback.
"""

from __future__ import annotations

import argparse
import os
import sys

from dlviz.cli import attend, embed, explain, export, featurevis, forward, shot, topimages, video
from dlviz.core.errors import DlvizError, sentence

MODULES = (forward, shot, export, explain, featurevis, topimages, embed, attend, video)
HANDLERS = {name: handler for module in MODULES for name, handler in module.HANDLERS.items()}
COMMANDS = tuple(HANDLERS)


class _Parser(argparse.ArgumentParser):
    def error(self, message):
        raise DlvizError(message)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="dlviz", description="See what a neural network does.")
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    for module in MODULES:
        module.add_parsers(commands)
    return parser


def main(argv=None, window=None) -> int:
    """Run one command. `window` gives the window's offscreen renderer to the commands that draw
    the window (`dlviz shot`); the app passes it, so that this package imports no Qt."""
    argv = sys.argv[1:] if argv is None else argv
    try:
        args = build_parser().parse_args(argv)
        args.window = window
        return HANDLERS[args.command](args)
    except DlvizError as exc:
        return fail(sentence(exc))
    except BrokenPipeError:  # `dlviz layers | head`: the reader left; that is not an error
        # Point stdout's descriptor at devnull so that flushing at exit does not fail on the
        # closed pipe again.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except KeyboardInterrupt:
        return 130


def fail(message: str) -> int:
    print(f"error: {message or 'failed'}", file=sys.stderr)
    return 2
