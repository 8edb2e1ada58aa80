"""Make assets/video/tour.mp4, the sample video `dlviz --video` plays offline: a slow pan and zoom
over each bundled photo in turn (every one of them CC0, CC BY 2.0 or public domain; see
assets/LICENSES.md), encoded as H.264 by PyAV.

    .venv/bin/python tools/make_sample_video.py
"""

from __future__ import annotations

from pathlib import Path

import av
import numpy as np
from PIL import Image

ROOT = Path(__file__).resolve().parent.parent
PHOTOS = ["chelsea.png", "coffee.png", "astronaut.png", "rocket.jpg", "china.jpg", "flower.jpg"]
SIZE = (480, 360)  # width, height
RATE = 20
SECONDS_EACH = 1.5


def shots(photo: Image.Image, frames: int):
    """A crop that starts on the whole photo (at the video's aspect) and closes in on its middle."""
    width, height = photo.size
    aspect = SIZE[0] / SIZE[1]
    full_w = min(width, height * aspect)
    full_h = full_w / aspect
    for k in range(frames):
        t = k / max(frames - 1, 1)
        zoom = 1.0 - 0.35 * t
        w, h = full_w * zoom, full_h * zoom
        cx = width / 2 + (width - w) * 0.15 * (t - 0.5)
        cy = height / 2
        box = (cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2)
        yield photo.resize(SIZE, Image.Resampling.BICUBIC, box=box)


def main() -> int:
    out = ROOT / "assets" / "video" / "tour.mp4"
    out.parent.mkdir(parents=True, exist_ok=True)
    with av.open(str(out), "w") as container:
        stream = container.add_stream("libx264", rate=RATE)
        stream.width, stream.height, stream.pix_fmt = SIZE[0], SIZE[1], "yuv420p"
        stream.options = {"crf": "26", "preset": "slow"}
        for name in PHOTOS:
            photo = Image.open(ROOT / "assets" / "samples" / name).convert("RGB")
            for shot in shots(photo, round(RATE * SECONDS_EACH)):
                frame = av.VideoFrame.from_ndarray(np.asarray(shot), format="rgb24")
                container.mux(stream.encode(frame))
        container.mux(stream.encode())
    print(f"{out.relative_to(ROOT)}: {out.stat().st_size / 1024:.0f} KB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
