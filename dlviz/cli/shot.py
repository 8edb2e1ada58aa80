"""`dlviz shot`: a picture of the window on an image, made without a screen.

The command line does not draw windows itself: `dlviz.app` hands it the window's offscreen
renderer (`dlviz.gui.offscreen`) as `args.window`, so this package never imports Qt.
"""

from __future__ import annotations

from dlviz.cli.common import load_image, model_options, out_path, read_session
from dlviz.core.errors import DlvizError


def add_parsers(commands) -> None:
    p = commands.add_parser("shot", help="a screenshot of the window on an image (or a saved session), made offscreen")
    p.add_argument("image", nargs="?", help="the image to open (with --session: instead of the session's)")
    p.add_argument("--session", help="a saved session (.dlviz): its model, input, layer, unit and view")
    p.add_argument("--out", required=True)
    p.add_argument("--size", default="1400x880", help="window size WxH")
    p.add_argument("--layer")
    presenter_options(p)
    model_options(p)


def presenter_options(p) -> None:
    p.add_argument("--presenter", type=float, default=1.0, choices=(1.0, 1.5, 2.0), metavar="{1,1.5,2}",
                   help="the presenter scale: every font, tick label, outline and cursor this many times its size")
    p.add_argument("--theme", choices=("dark", "contrast"), default="dark",
                   help="dark, or high contrast for projectors")


def window_size(text: str) -> tuple[int, int]:
    try:
        width, height = (int(v) for v in text.lower().split("x"))
    except ValueError:
        raise DlvizError(f"--size must look like 1400x880, not '{text}'") from None
    if not (640 <= width <= 7680 and 480 <= height <= 4320):
        raise DlvizError(f"--size {width}x{height} is outside 640x480 to 7680x4320")
    return width, height


def cmd_shot(args) -> int:
    size = window_size(args.size)
    out = out_path(args.out, (".png",))
    session = None
    if args.session:
        given = [f"--{name}" for name in ("model", "weights", "labels", "layer") if getattr(args, name)]
        if given:
            raise DlvizError(f"{', '.join(given)} and --session both say what to show: give one or the other")

        session = read_session(args.session)
        if args.image:
            session["input"] = {"kind": "file", "path": str(args.image)}
    elif not args.image:
        raise DlvizError("give an image to open, or --session FILE")
    if args.image:
        load_image(args.image)  # a bad image is reported before any window is made
    if args.window is None:
        raise DlvizError("this build has no window to take a picture of")
    problem = args.window().take_screenshot(args.image, out, size, args.model, args.weights, args.labels, args.layer,
                                            session=session, presenter=args.presenter, theme=args.theme)
    if problem:
        raise DlvizError(problem)
    print(f"saved {args.out}")
    return 0


HANDLERS = {"shot": cmd_shot}
