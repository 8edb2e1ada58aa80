"""`dlviz video`: a video (or a folder of images) rendered through the model, headless, for
lecture material: every input frame at the input's frame rate, none dropped, with progress.

Views: `grid` (the frame's crop beside the layer's activation grid), `unit` (one unit's map laid
over the crop), `cam` (Grad-CAM of each frame's top class over the crop) and `window` (the whole
window, drawn offscreen for each frame).
"""

from __future__ import annotations

from dlviz.cli.common import StderrProgress, check_layer, hookable, load_model, model_options, out_path
from dlviz.core.errors import DlvizError

VIEWS = ("grid", "unit", "cam", "window")
SIDE = 448  # the crop and the overlays are drawn at twice the model's 224 px


def add_parsers(commands) -> None:
    p = commands.add_parser("video", help="render a video through the model (every frame, headless) to MP4 or GIF")
    p.add_argument("video", help="a video file (mp4, webm, mkv, avi, mov, gif) or a folder of images")
    p.add_argument("--out", required=True, help="OUT.mp4 or OUT.gif")
    p.add_argument("--view", default="grid", choices=VIEWS)
    p.add_argument("--layer", help="the layer shown (grid, unit: default the model's first shown layer; cam: "
                                   "the last convolutional layer)")
    p.add_argument("--unit", type=int, default=0, help="the unit shown by --view unit (default 0)")
    p.add_argument("--size", default="1400x880", help="window size WxH for --view window")
    p.add_argument("--slide-seconds", type=float, default=2.0, help="seconds per image when VIDEO is a folder")
    model_options(p)


def _crop_big(crop):
    import numpy as np
    from PIL import Image

    return np.asarray(Image.fromarray(crop).resize((SIDE, SIDE), Image.Resampling.BILINEAR))


def _side_by_side(left, right):
    """Two pictures on one row, the shorter padded with the grid's background."""
    import numpy as np

    height = max(left.shape[0], right.shape[0])
    row = np.full((height, left.shape[1] + 8 + right.shape[1], 3), 30, np.uint8)
    row[:left.shape[0], :left.shape[1]] = left
    row[:right.shape[0], left.shape[1] + 8:] = right
    return row


def view_renderer(loaded, view: str, layer: str | None, unit: int):
    """A function frame RGB -> the picture `view` shows for it (the model runs inside)."""
    import numpy as np

    from dlviz.cli.explain import overlay
    from dlviz.core import attribution
    from dlviz.core.activations import run
    from dlviz.core.mosaic import mosaic, upsample, upscale_nearest

    if view == "cam":
        hookable(loaded)
        layer = layer or attribution.default_cam_layer(loaded)
        check_layer(loaded, layer, maps_only=True)
    else:
        layer = layer or loaded.start_layer
        check_layer(loaded, layer, maps_only=True)
        channels = loaded.layer(layer).shape[0]
        if view == "unit" and not 0 <= unit < channels:
            raise DlvizError(f"--unit {unit} is outside layer '{layer}' (units 0 to {channels - 1})")

    def render(rgb):
        crop = loaded.preprocess.crop_rgb(rgb)
        x = loaded.preprocess.normalise(crop)
        if view == "cam":
            probs = run(loaded, x, layers=[]).probs
            heat = attribution.cam(loaded.model, x, layer, int(np.argmax(probs)), "gradcam")
            return overlay(_crop_big(crop), upsample(heat, SIDE))
        act = run(loaded, x, layers=[layer]).activations[layer]
        if view == "unit":
            channel = act[unit]
            lo, hi = float(channel.min()), float(channel.max())
            heat = (channel - lo) / (hi - lo) if hi > lo else np.zeros_like(channel)
            return overlay(_crop_big(crop), upsample(heat, SIDE))
        grid, _ = mosaic(act)
        factor = max(1, SIDE // grid.shape[0])
        return _side_by_side(_crop_big(crop), upscale_nearest(grid, factor))

    return render


def cmd_video(args) -> int:
    from dlviz.cli.shot import window_size
    from dlviz.core.frames import open_source
    from dlviz.core.recording import GIF_FRAMES, VideoWriter

    out = out_path(args.out, (".mp4", ".gif"))
    size = window_size(args.size) if args.view == "window" else None
    source = open_source(args.video, args.slide_seconds)  # a bad video is reported before the model loads
    if args.view == "window" and args.window is None:
        raise DlvizError("this build has no window to draw")
    total = source.count
    if out.suffix.lower() == ".gif" and total > GIF_FRAMES:
        raise DlvizError(f"{source.name} has about {total} frames, more than the {GIF_FRAMES} a GIF holds here; "
                         "write an .mp4, or cut the video first")
    label = f"{source.name} → {out.name}"
    with VideoWriter(out, source.rate) as writer, StderrProgress(label) as progress:
        def step(done):
            progress.report(min(done / max(total, 1), 0.999), f"frame {done} of about {total}")

        if args.view == "window":
            problem = args.window().render_video(source, writer.write, size, args.model, args.weights, args.labels,
                                                 args.layer, progress=step)
            if problem:
                raise DlvizError(problem)
        else:
            render = view_renderer(load_model(args), args.view, args.layer, args.unit)
            done = 0
            while (frame := source.read()) is not None:
                writer.write(render(frame.rgb))
                done += 1
                step(done)
        written = writer.count
        width, height = writer.size or (0, 0)
    source.close()
    if not written:
        raise DlvizError(f"{source.name} gave no frames")
    print(f"saved {out}: {written} frames at {source.rate:.3g} a second, {width}×{height}, {args.view} view")
    return 0


HANDLERS = {"video": cmd_video}
