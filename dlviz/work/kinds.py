"""Every kind of background job, in one table: the order they run in when several wait, what makes
one worthless, what it does under live input, and whether it is long enough to show its progress
and a Cancel button in the status bar.

A job kind is a plain string; the runner refuses a kind that is not in its table.
"""

from __future__ import annotations

from dataclasses import dataclass

# What a new thing makes a job worthless: a new image (or frame) or model, only a new model, or neither.
INPUT, MODEL, NOTHING = "input", "model", "nothing"
# Under live input: follow every new frame, or work on a snapshot frozen when it was asked for.
FOLLOW, FROZEN = "follow", "frozen"


@dataclass(frozen=True)
class Kind:
    name: str
    stale_after: str  # INPUT, MODEL or NOTHING
    frames: str  # FOLLOW or FROZEN
    long: bool  # seconds of work: the status bar shows its progress and its Cancel stops it
    title: str  # how the status bar names it
    background: bool = False  # makes way for every other job, and never keeps the window from being ready


def _table(*kinds: Kind) -> dict[str, Kind]:
    return {kind.name: kind for kind in kinds}


def plain(*names: str) -> dict[str, Kind]:
    """A table of short, frame-following kinds that nothing makes stale, in this order (for
    scripts and tests)."""
    return _table(*(Kind(name, NOTHING, FOLLOW, False, name) for name in names))


# The toolbox window's jobs, first served first. The image (a fraction of a second) comes before
# the model (seconds: torch loads), so the photo is on screen while the model loads; both before
# everything that uses them, and a live probe before the seconds of work a click asked for.
MODEL_LOAD, LABELS, IMAGE, FORWARD, SESSION = "model", "labels", "image", "forward", "session"
VIDEO, LIVE = "video", "live"
PROBE, STRIP, FOVEA, BACKPROP, CAM = "perturb", "perturb-strip", "fovea", "backprop", "cam"
SCORE_CAM = "scorecam"
GLIMPSE, SCAN, TOP_VIEWS, FEATURE_VIS, OCCLUSION = "glimpse", "scan", "topviews", "featurevis", "occlusion"
FEATURE_IMAGES = "featureimages"

TOOLBOX = _table(
    Kind(IMAGE, NOTHING, FOLLOW, False, "opening the image"),  # first: the photo shows while the model loads
    Kind(VIDEO, NOTHING, FOLLOW, False, "opening the video"),
    Kind(MODEL_LOAD, NOTHING, FOLLOW, True, "loading the model"),
    Kind(LABELS, NOTHING, FOLLOW, False, "reading class names"),
    Kind(SESSION, NOTHING, FOLLOW, False, "reading a session"),
    Kind(FORWARD, NOTHING, FOLLOW, False, "forward pass"),
    Kind(PROBE, INPUT, FOLLOW, False, "perturbed forward pass"),
    Kind(STRIP, INPUT, FROZEN, False, "augmentation strip"),
    Kind(FOVEA, INPUT, FOLLOW, False, "fovea"),
    Kind(BACKPROP, INPUT, FOLLOW, False, "backprop view"),
    Kind(CAM, INPUT, FOLLOW, True, "attention map"),
    Kind(SCORE_CAM, INPUT, FROZEN, True, "Score-CAM"),  # seconds of masked passes: on a snapshot
    # A live frame waits for the panes that follow the frame on screen, so each pane shows the
    # same frame; the long snapshot work below freezes the live input before it starts.
    Kind(LIVE, MODEL, FOLLOW, False, "live frame"),
    Kind(GLIMPSE, INPUT, FROZEN, True, "glimpses"),
    Kind(SCAN, MODEL, FROZEN, True, "top-images scan"),
    Kind(TOP_VIEWS, MODEL, FROZEN, False, "top images' backprop views"),
    Kind(FEATURE_VIS, MODEL, FROZEN, True, "feature visualisation"),
    Kind(OCCLUSION, INPUT, FROZEN, True, "occlusion map"),
    # Last: pattern mode's feature images pause whenever anything else waits, and go on after it.
    Kind(FEATURE_IMAGES, MODEL, FROZEN, True, "feature images", background=True),
)

# The embedding explorer's own worker.
SOURCE, EMBED, WARM_UP = "source", "embed", "warmup"

EXPLORER = _table(
    Kind(SOURCE, NOTHING, FROZEN, True, "reading the points"),
    Kind(EMBED, NOTHING, FROZEN, True, "layout"),
    Kind(WARM_UP, NOTHING, FROZEN, False, "warming up the layout kernels"),
)


def stale_after_input(table: dict[str, Kind]) -> list[str]:
    """The kinds a new image or frame makes worthless."""
    return [name for name, kind in table.items() if kind.stale_after == INPUT]


def stale_after_model(table: dict[str, Kind]) -> list[str]:
    """The kinds a new model makes worthless."""
    return [name for name, kind in table.items() if kind.stale_after in (INPUT, MODEL)]


def background_kinds(table: dict[str, Kind]) -> list[str]:
    """The kinds that work whenever nothing else waits (pattern mode's feature images)."""
    return [name for name, kind in table.items() if kind.background]


def long_kinds(table: dict[str, Kind]) -> list[str]:
    return [name for name, kind in table.items() if kind.long]
