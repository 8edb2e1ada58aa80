"""`dlviz export`: every step of a saved session's tour as a PNG, made without a screen, for
slides in batch.

Like `dlviz shot`, it draws through the window's offscreen renderer (`args.window`), so this
package never imports Qt.
"""

from __future__ import annotations

from dlviz.cli.common import out_folder, read_session, say
from dlviz.cli.shot import presenter_options, window_size
from dlviz.core.errors import DlvizError


def add_parsers(commands) -> None:
    p = commands.add_parser("export", help="every step of a saved session's tour as a PNG, for slides")
    p.add_argument("session", help="a saved session (.dlviz) with a tour")
    p.add_argument("--out", required=True, help="the folder for step-01.png, step-02.png, …")
    p.add_argument("--size", default="1920x1080", help="window size WxH (default: a 1080p slide)")
    p.add_argument("--scale", type=int, default=1, choices=(1, 2, 4),
                   help="pixels per window pixel: 2 or 4 for sharp text on large or printed slides")
    p.add_argument("--no-captions", action="store_true", help="leave the steps' captions off the pictures")
    presenter_options(p)


def cmd_export(args) -> int:
    from dlviz.tour import read_tours

    size = window_size(args.size)
    session = read_session(args.session)
    tours, _, _ = read_tours(session)
    if not tours or not tours[0].steps:
        raise DlvizError(f"{args.session} has no tour steps to export (Tour ▸ Add the View as a Step makes them)")
    folder = out_folder(args.out)
    if args.window is None:
        raise DlvizError("this build has no window to take pictures of")
    say(f"rendering {len(tours[0].steps)} steps at {size[0] * args.scale}×{size[1] * args.scale}…")
    problem = args.window().render_tour(session, folder, size, args.scale, args.presenter, args.theme,
                                        captions=not args.no_captions, progress=lambda path: print(f"saved {path}"),
                                        note=lambda sentence: say(f"note: {sentence}"))
    if problem:
        raise DlvizError(problem)
    return 0


HANDLERS = {"export": cmd_export}
