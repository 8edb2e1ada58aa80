"""Live input in the toolbox window: a video, a folder played as a slideshow, or the camera feeds
every pane, as fast as the model allows.

The newest frame wins. A frame that arrives while the model is busy waits in one slot, and a newer
one takes its place (the older is counted as dropped); nothing queues, so what is on screen is at
most about two frame times behind the source. Each frame goes through the model on the worker and
lands in the session together with its forward pass, so every pane shows the same frame.

Work that takes seconds (the job-kind table's long snapshot kinds: glimpses, the sensitivity
map, a top-images scan, feature vis) freezes the input first and runs on the frozen frame; `F`
goes live again.
"""

from __future__ import annotations

import os
import statistics
import threading
import time
from collections import deque
from pathlib import Path

from PySide6.QtCore import QObject, QSettings, QTimer, Signal
from PySide6.QtWidgets import QFileDialog, QInputDialog

from dlviz import runtime
from dlviz.core.errors import DlvizError
from dlviz.core.frames import VIDEO_FILTER, Frame, Player
from dlviz.gui.lanes import Lane, Rate, default_lanes, leave_a_core, newest_frame
from dlviz.gui.widgets.saving import write_for_user
from dlviz.session import InputSource
from dlviz.work import kinds
from dlviz.work import toolbox as jobs


SPEEDS = (0.25, 0.5, 1.0, 1.5, 2.0, 4.0)


class LiveFeed(QObject):
    """Plays a source into the session. `changed` says that the source, play state, freeze or
    figures changed (the status bar and the Input pane's transport listen)."""

    changed = Signal()
    _arrived = Signal()  # a frame is in the slot (sent once until the slot is emptied)
    _ended = Signal(int)  # the source's generation (see `stop`)
    _failed = Signal(int, str)

    def __init__(self, session, runner, say, settings: QSettings | None = None, parent=None):
        super().__init__(parent)
        self.session, self.runner, self.say = session, runner, say
        self.settings = settings or QSettings("dlviz", "dlviz")
        self.source_kind: str | None = None  # "video", "slideshow", "camera", or None: a still image
        self.source_name = ""
        self.source_path: Path | None = None
        self.player: Player | None = None
        self.camera = None  # dlviz.gui.camera.Camera while the camera runs
        self.frozen = False
        self.loop = True
        self.speed = 1.0
        self._slot: Frame | None = None  # the newest frame not yet sent to the model
        self._lock = threading.Lock()  # the slot and the counts: the player fills them from its thread
        # The lanes frames go through: the window's runner, and with `max_lanes` 2 a second worker
        # of the live feed's own, once the model's traced pass is made (docs/decisions/0010, "Two
        # frames in flight").
        self._lanes = [Lane(runner)]
        self.max_lanes = default_lanes()
        self._views_follow = False  # the last frame shown set the window's runner work of its own (see _usable_lanes)
        # While views follow, the next frame's pass runs on the feed's own lane beside them, and
        # waits here, (result, generation), until they are done (see _frame_done).
        self.overlap_views = True
        self._held, self._landing = None, False
        # The views' time after each of the last frames landed, and the last passes', in ms: the
        # pass beside them starts late enough to end with them (medians: a first job tracing).
        self._views_ms, self._pass_ms, self._landed_at = deque(maxlen=8), deque(maxlen=8), None
        self._asked = 0  # requests to the window's runner other than live frames, counted as they come
        self._short_turns = False  # runtime.begin_short_turns while frames play (see _sync_turns)
        self.changed.connect(self._sync_turns)  # every change of play state says so
        self.shown: Frame | None = None  # the frame on screen
        self._step_target: int | None = None  # the frame a step asked for, until it is shown
        self._generation = 0  # goes up when a source stops: what an older one sends is ignored
        self._at_end = False  # the video played to its end: space starts it again
        self.dropped = 0
        self.arrivals, self.processed = Rate(), Rate()
        self.latencies: deque[float] = deque(maxlen=60)  # capture to screen, seconds
        self.last_files: str | None = None  # what `c` goes back to from the camera
        self._arrived.connect(self._frame_arrived)
        self._ended.connect(self._source_ended)
        self._failed.connect(self._source_failed)
        runner.submitted.connect(self._job_submitted)
        runner.failed.connect(self._load_ended)
        runner.cancelled.connect(self._load_ended)
        runner.busy_changed.connect(self._views_done)
        session.model_changed.connect(self._model_changed)

    # ---------------------------------------------------------------- state
    @property
    def in_flight(self) -> Frame | None:
        """The oldest frame the model is working on, or None."""
        frames = [lane.frame for lane in self._lanes if lane.sent and lane.frame is not None]
        return min(frames, key=lambda frame: frame.captured) if frames else None

    @property
    def active(self) -> bool:
        return self.source_kind is not None

    @property
    def playing(self) -> bool:
        if self.camera is not None:
            return not self.frozen
        return self.player is not None and self.player.playing and not self.frozen

    def figures(self) -> dict:
        """What the status bar shows: frames per second processed, the source's rate, drops, latency."""
        latency = sorted(self.latencies)[len(self.latencies) // 2] if self.latencies else 0.0
        with self._lock:
            arriving, dropped = self.arrivals.per_second(), self.dropped
        return {"shown_fps": self.processed.per_second(), "source_fps": arriving, "dropped": dropped,
                "latency_s": latency}

    # ---------------------------------------------------------------- sources
    def open_video(self, path, at: int | None = None) -> None:
        """Play a video file or a folder (as a slideshow); it opens on the worker. With `at`, show
        that frame paused instead (a saved session)."""
        kind = "slideshow" if Path(path).is_dir() else "video"
        self.runner.submit(kinds.VIDEO, jobs.open_video, str(path), self.slide_seconds(),
                           done=lambda source: self.play(source, kind, Path(path), at=at))

    def slide_seconds(self) -> float:
        try:
            return float(self.settings.value("live/slide-seconds", 2.0))
        except (TypeError, ValueError):
            return 2.0

    def play(self, source, kind: str = "video", path: Path | None = None, at: int | None = None) -> None:
        """Play an opened source (core.frames: a video, a slideshow, a test pattern) from its start,
        or show frame `at` paused."""
        self.stop(quietly=True)
        self.source_kind, self.source_name, self.source_path = kind, source.name, path
        if path is not None:
            self.last_files = str(path)
        generation = self._generation
        self.player = Player(source, lambda frame: self.offer(frame, generation), loop=self.loop, speed=self.speed,
                             ended=lambda: self._ended.emit(generation),
                             failed=lambda sentence: self._failed.emit(generation, sentence))
        if at is not None:
            self.player.seek(at)
            self.changed.emit()
            return
        self.player.play()
        rate = f"{source.rate:.3g} frames a second" if kind == "video" else f"one image every {1 / source.rate:g} s"
        self.say(f"Playing {source.name} ({rate}): space pauses, F freezes, comma and full stop step.")
        self.changed.emit()

    def start_camera(self) -> None:
        """The camera; if there is none, one sentence, and whatever plays goes on playing."""
        from dlviz.gui.camera import Camera

        generation = self._generation + 1  # the one `stop` below starts
        camera = Camera(self.settings, lambda frame: self.offer(frame, generation),
                        lambda sentence: self._failed.emit(generation, sentence), parent=self)
        try:
            camera.start()
        except DlvizError as exc:
            camera.stop()
            self.say(str(exc), error=True)
            return
        self.stop(quietly=True)
        self.camera = camera
        self.source_kind, self.source_name, self.source_path = "camera", camera.name, None
        self.say(f"Camera: {self.camera.name}. F freezes; C goes back to files.")
        self.changed.emit()

    def toggle_camera(self) -> None:
        """`c`: the camera, or back from it to the video or slideshow played last."""
        if self.source_kind == "camera":
            self.stop(quietly=True)
            if self.last_files:
                self.open_video(self.last_files)
            else:
                self.say("Camera off; the last frame stays.")
        else:
            self.start_camera()

    def stop(self, quietly: bool = False) -> None:
        """End the live input; the frame on screen stays as a still."""
        was = self.active
        self._generation += 1  # whatever the old source still sends is ignored from here on
        self.source_kind = None
        for lane in self._lanes:
            lane.free()
        self.frozen = False
        self._at_end = False
        self._step_target = None
        self._views_follow, self._held = False, None  # the next source's first frame says again
        with self._lock:
            self._slot = None
            self.dropped = 0
            self.arrivals.clear()
        self.runner.cancel(kinds.VIDEO, kinds.LIVE)  # a video still opening would replace what comes next
        for lane in self._own_lanes():
            lane.runner.cancel(kinds.LIVE)
        if self.player is not None:
            self.player.close()
            self.player = None
        if self.camera is not None:
            self.camera.stop()
            self.camera = None
        self.processed.clear()
        self.latencies.clear()
        if was and not quietly:
            self.say("Live input ended; the last frame stays.")
        self.changed.emit()

    # ---------------------------------------------------------------- asking the user
    def choose_video(self):
        start = str(self.source_path.parent) if self.source_path else str(Path.home())
        path, _ = QFileDialog.getOpenFileName(self.parent(), "Open video", start, VIDEO_FILTER)
        if path:
            self.open_video(path)

    def choose_slideshow(self):
        """A folder, then how long each image stays (remembered for the next slideshow)."""
        folder = QFileDialog.getExistingDirectory(self.parent(), "Play a folder of images as a slideshow", str(Path.home()))
        if not folder:
            return
        seconds, ok = QInputDialog.getDouble(self.parent(), "Slideshow", "Seconds per image:", self.slide_seconds(),
                                             0.1, 600.0, 1)
        if ok:
            self.settings.setValue("live/slide-seconds", seconds)
            self.open_video(folder)

    def save_frame(self):
        """The frame (or image) on screen, as a PNG."""
        if self.session.rgb is None:
            self.say("There is no image to save yet.", error=True)
            return
        name = Path(self.session.image_name or "frame").stem
        if self.session.input is not None and self.session.input.frame is not None:
            name += f"-frame{self.session.input.frame}"
        path, _ = QFileDialog.getSaveFileName(self.parent(), "Save frame", str(Path.home() / f"{name}.png"), "PNG (*.png)")
        if path:
            from PIL import Image

            rgb = self.session.rgb
            write_for_user(path, lambda: Image.fromarray(rgb).save(path, format="PNG"), self.say)

    def fill_cameras(self, menu):
        """Live ▸ Camera Device: the cameras connected now, then the chosen one's resolutions."""
        from dlviz.gui import camera

        try:
            found = camera.cameras()
        except DlvizError as exc:
            menu.addAction(str(exc)).setEnabled(False)
            return
        if not found:
            menu.addAction("(no camera found)").setEnabled(False)
            return
        chosen = self.settings.value("live/camera")
        device = next((d for d in found if camera.device_id(d) == chosen), found[0])
        for other in found:
            ident = camera.device_id(other)
            action = menu.addAction(other.description() or ident, lambda i=ident: self.use_camera(i))
            action.setCheckable(True)
            action.setChecked(other is device)
        menu.addSeparator()
        size = camera.parse_size(self.settings.value("live/camera-size"))
        picked = camera.pick_format(device, size)
        sizes = sorted({(f.resolution().width(), f.resolution().height()) for f in device.videoFormats()}, reverse=True)
        for width, height in sizes:
            action = menu.addAction(f"{width}×{height}", lambda w=width, h=height: self.use_camera(None, f"{w}x{h}"))
            action.setCheckable(True)
            action.setChecked(picked is not None and (picked.resolution().width(), picked.resolution().height()) == (width, height))

    def use_camera(self, ident=None, size=None):
        """Remember the camera (and resolution) picked, and start it."""
        if ident is not None:
            self.settings.setValue("live/camera", ident)
        if size is not None:
            self.settings.setValue("live/camera-size", size)
        self.start_camera()

    def mirrored(self) -> bool:
        from dlviz.gui.camera import mirrored

        return mirrored(self.settings)

    def toggle_mirror(self):
        mirror = not self.mirrored()
        self.settings.setValue("live/mirror", "true" if mirror else "false")
        if self.camera is not None:
            self.camera.mirror = mirror
        self.say("The camera is mirrored, as in a mirror." if mirror else "The camera is shown as it sees.")
        self.changed.emit()

    # ---------------------------------------------------------------- controls
    def toggle_play(self) -> None:
        if self.camera is not None or self.frozen:
            self.toggle_freeze()
        elif self.player is not None:
            self._step_target = None
            if self._at_end:
                self._at_end = False
                self.player.seek(0)
            self.player.toggle()
            self.changed.emit()
        else:
            self.say("Nothing is playing: open a video (Live ▸ Open Video) or press C for the camera.", error=True)

    def toggle_freeze(self, reason: str = "") -> None:
        """`f`: keep the frame on screen as a still (every tab works on it), or go live again."""
        if not self.active:
            self.say("Nothing is live to freeze: open a video or press C for the camera.", error=True)
            return
        self.frozen = not self.frozen
        self._held = None
        with self._lock:
            self._slot = None
        if self.player is not None:
            (self.player.pause if self.frozen else self.player.play)()
        if self.frozen:
            where = f" on frame {self.shown.index}" if self.shown is not None else ""
            self.say(f"Frozen{where}{reason}: every tab works on this frame; F goes live again.")
        else:
            self.say("Live again.")
        self.changed.emit()

    def step(self, frames: int) -> None:
        if self.player is None:
            self.say("Frame steps need a video or a slideshow.", error=True)
            return
        self.frozen, self._held = False, None
        with self._lock:
            self._slot = None
        # From the frame a step already asked for, else the one on screen: two quick presses of
        # `,` go back two frames.
        base = self._step_target if self._step_target is not None else (self.shown.index if self.shown else None)
        self._step_target = None if base is None else max(base + frames, 0)
        self.player.step(frames, base)
        self.changed.emit()

    def seek(self, index: int) -> None:
        """Show frame `index` (the transport's seek bar); a frozen video stays paused there."""
        self._step_target, self._held = None, None
        if self.player is not None:
            if self.frozen:
                self.frozen = False
                self.changed.emit()
            self.player.seek(index)
            self._pump()

    def change_speed(self, step: int) -> None:
        if self.player is None:
            return
        here = min(range(len(SPEEDS)), key=lambda k: abs(SPEEDS[k] - self.speed))
        self.speed = SPEEDS[min(max(here + step, 0), len(SPEEDS) - 1)]
        self.player.set_speed(self.speed)
        self.say(f"Speed ×{self.speed:g}.")
        self.changed.emit()

    def toggle_loop(self) -> None:
        self.loop = not self.loop
        if self.player is not None:
            self.player.loop = self.loop
        self.say("The video loops." if self.loop else "The video stops at its end.")
        self.changed.emit()

    def length(self) -> int:
        return self.player.source.count if self.player is not None else 0

    def rate(self) -> float:
        return self.player.source.rate if self.player is not None else 0.0

    # ---------------------------------------------------------------- frames
    def offer(self, frame: Frame, generation: int | None = None) -> None:
        """A new frame, from any thread: it takes the slot; one it replaces there is dropped. A
        frame of a source that has stopped (an older `generation`) is ignored."""
        if self.frozen and self.player is None:
            return  # a frame the camera sent before it heard the freeze
        with self._lock:
            if generation is not None and generation != self._generation:
                return
            replaced = self._slot is not None
            self._slot = frame
            self.dropped += replaced
            self.arrivals.tick()
        if not replaced:
            self._arrived.emit()

    def _take(self, lane: Lane | None = None) -> Frame | None:
        """The slot's frame, and the slot emptied; with `lane`, the frame is that lane's in the
        same step (so `_pump` never sees the slot empty and the lane still waiting for it)."""
        with self._lock:
            frame, self._slot = self._slot, None
            if lane is not None:
                lane.frame = frame
            return frame

    def _take_for(self, lane: Lane, state, model, not_before: float = 0.0) -> Frame | None:
        """On the lane's worker, as its job starts: the slot's frame is the lane's. None, and the
        frame left for the next job, when the job is no longer wanted or its model is on its way
        out: a frame sent before a model load ran through the old model after it, and was thrown
        away. Not before `not_before` (a frame whose pass would otherwise wait for the views)."""
        while (left := not_before - time.perf_counter()) > 0 and not state.should_stop():
            time.sleep(min(left, 0.01))
        if state.should_stop() or model is not self.session.model or self.runner.waiting(kinds.MODEL_LOAD):
            return None
        return self._take(lane)

    def _waiting(self) -> bool:
        with self._lock:
            return self._slot is not None

    def _frame_arrived(self) -> None:
        if not self.active:
            self._take()
            return
        if self.session.model is None:  # the model is still loading: show the frames as they come
            frame = self._take()
            if frame is not None:
                self.session.set_image(frame.rgb, self._source_of(frame))
                self.shown = frame
            return
        self._pump()

    def _pump(self) -> None:
        model = self.session.model
        if self._held is not None:
            self._views_done()  # it lands first, if the views are done, and sends the next
            return
        if model is None or not self.active or self.runner.waiting(kinds.MODEL_LOAD):
            return  # during a load, frames wait for the new model (_model_changed, _load_ended send them)
        lanes = self._usable_lanes(model)
        if not self._waiting() or any(lane.sent and lane.frame is None and lane.runner.running_kind() in (None, kinds.LIVE)
                                      for lane in lanes):
            return  # no frame, or a lane sent for the one in the slot is about to take it
        # (one sent behind other work on the window's runner does not hold a free lane back)
        lane = next((lane for lane in lanes if not lane.sent), None)
        if lane is None:
            return
        lane.sent, lane.frame = True, None
        generation = self._generation
        beside = self._views_follow and lane is not self._lanes[0]  # the views' jobs share the cores
        if self._short_turns:
            self.runner.threads = leave_a_core(2 if beside else 1)
        wait_s = 0.0
        if beside and self._landed_at and len(self._views_ms) >= 3 and self._pass_ms:
            wait_s = max(0.0, statistics.median(self._views_ms) - statistics.median(self._pass_ms) - 5.0) / 1000
        not_before = time.perf_counter() + wait_s
        lane.runner.submit(kinds.LIVE, newest_frame, lambda state, loaded: self._take_for(lane, state, loaded, not_before), model,
                           leave_a_core(2 if beside else len(lanes)), self.session.layer,
                           done=lambda result: self._frame_done(result, generation, lane),
                           failed=lambda sentence: self._frame_failed(sentence, lane),
                           cancelled=lambda: self._frame_cancelled(lane))

    def _usable_lanes(self, model) -> list[Lane]:
        """The lanes a frame may take now, the feed's own first. Two when `max_lanes` allows, on
        two cores or more, once the model's live pass is traced (two traced passes share
        nothing). While the last frame shown set the window's runner work of its own (views that
        follow), one: the feed's own, its frame held until the views are done (`_frame_done`),
        or with `overlap_views` off the window's runner, taking turns with them. Landed as soon
        as their pass was done, frames came faster than the views could follow (the Backprop tab
        drew 2.2-2.8 pictures a second at 17-18 frames; docs/decisions/0010)."""
        from dlviz.core.activations import traced_ready

        apart = (os.cpu_count() or 1) >= 2 and model.device.type == "cpu" and traced_ready(model)
        if self._views_follow:  # the next frame's pass beside the views' jobs, or turns with them
            return self._own_lanes(create=True) if apart and self.overlap_views else self._lanes[:1]
        if not (apart and self.max_lanes > 1):
            return self._lanes[:1]  # the window's runner: eager passes and the making of a trace stay there
        return self._own_lanes(create=True) + self._lanes[:1]  # the feed's own first

    def _own_lanes(self, create: bool = False) -> list[Lane]:
        if create and len(self._lanes) == 1:
            from dlviz.work.runner import JobRunner

            self._lanes.append(Lane(JobRunner({kinds.LIVE: self.runner.table[kinds.LIVE]}, parent=self)))
        return self._lanes[1:]

    def _source_of(self, frame: Frame) -> InputSource:
        return InputSource(self.source_kind, self.source_path, self.source_name, frame.index)

    def _frame_done(self, result, generation: int, lane: Lane) -> None:
        if generation != self._generation:
            return  # a frame of a source that has stopped since
        lane.free()
        if result is None:  # nothing taken: the slot was emptied (a freeze, a step) or a model is on its way
            self._pump()
            return
        self._pass_ms.append(result.forward.total_ms)
        if self._views_follow:
            if lane is not self._lanes[0] and self._views_awaited():
                self._held = (result, generation)  # the views still draw the frame on screen: see _views_done
                return
            # The views' jobs for this frame go to the window's runner before the next frame does:
            # an idle worker took a frame sent first at once, and the views then followed every
            # other frame only.
            try:
                self._land(result)
            finally:
                self._pump()  # whatever happened to this frame, the next one goes in
        else:
            self._pump()  # the next frame goes to the worker first, and through the model while this one is drawn
            self._land(result)

    def _views_awaited(self) -> bool:
        """An answer to come from the window's runner, but live frames' and the background's."""
        return self.runner.awaited(but=(kinds.LIVE, *kinds.background_kinds(self.runner.table)))

    def _views_done(self, busy: bool = False) -> None:
        """The window's runner has no answer to come but live frames': a frame held while the
        views drew the one before lands, and the next goes in. Not while a frame lands (a pane
        that cancels its job as the frame comes makes the runner say so): it would land inside."""
        if self._landing or self._views_awaited():
            return
        if self._landed_at is not None:
            self._views_ms.append((time.perf_counter() - self._landed_at) * 1000)
            self._landed_at = None
        if self._held is None:
            self._pump()  # (a held frame let go by a seek: the next goes in)
            return
        (result, generation), self._held = self._held, None
        if generation != self._generation:
            return
        try:
            self._land(result)
        finally:
            self._pump()

    def _land(self, result) -> None:
        """A frame's pass is done: the frame goes on screen, unless it is outdated."""
        self._landing = True
        try:
            self._show(result)
        finally:
            self._landing = False

    def _show(self, result) -> None:
        if result.loaded is self.session.model and self.active and not self.frozen:
            frame = result.frame
            if self.shown is not None and frame.captured < self.shown.captured:
                with self._lock:  # the other lane's later frame is on screen already
                    self.dropped += 1
                return
            asked = self._asked
            self.session.set_frame(frame.rgb, self._source_of(frame), result.preview, result.forward)
            # Whether the panes asked the window's runner for work at this frame: work it had
            # before (a job the Backprop tab asked for as it came up) does not make frames wait.
            self._views_follow = self._asked != asked
            self._landed_at = time.perf_counter() if self._views_follow else None
            self.shown = frame
            if frame.index == self._step_target:
                self._step_target = None
            self.processed.tick()
            self.latencies.append(time.perf_counter() - frame.captured)
            self.changed.emit()

    def _frame_failed(self, sentence, lane: Lane) -> None:
        lane.free()
        self.say(sentence, error=True)
        self._pump()

    def _frame_cancelled(self, lane: Lane) -> None:
        lane.free()
        # On the next turn of the event loop: a model load cancels the frames before it asks for
        # itself, and a frame sent in between went through the old model after the load.
        QTimer.singleShot(0, self._pump)

    def _sync_turns(self) -> None:
        """Short turns of the GIL while frames play, not while paused, frozen or ended (stepping
        through layers is slower with them): docs/decisions/0010."""
        on = self.active and self.playing and not self._at_end
        if on != self._short_turns:
            self._short_turns = on
            (runtime.begin_short_turns if on else runtime.end_short_turns)()
            # The views' jobs leave the drawing a core too (see JobRunner.threads); work on a
            # frozen frame gets every core again.
            self.runner.threads = leave_a_core() if on else None

    def _model_changed(self) -> None:
        """Frames going through the old model on the feed's own lane are dropped (the window
        runner's were, when the load was asked for); the next go through the new one."""
        self._held = None
        for lane in self._own_lanes():
            lane.runner.cancel(kinds.LIVE)
        self._pump()

    def _load_ended(self, kind, *_) -> None:
        """A model load failed or was cancelled: the frames go on through the model there is."""
        if kind == kinds.MODEL_LOAD:
            self._pump()

    def _source_ended(self, generation: int) -> None:
        if generation != self._generation or self.player is None:
            return
        self._at_end = True
        self.say(f"{self.source_name} ended; the last frame stays (space plays it again).")
        self.changed.emit()

    def _source_failed(self, generation: int, sentence: str) -> None:
        """The video would not decode further, or the camera went away: the last frame stays."""
        if generation != self._generation:
            return
        self.stop(quietly=True)
        self.say(sentence + " The last frame stays.", error=True)

    def _job_submitted(self, kind) -> None:
        """Seconds of work on a snapshot freezes the input first: it is never restarted by a frame."""
        if kind != kinds.LIVE:
            self._asked += 1
        spec = self.runner.table.get(kind)
        if spec is None or spec.frames != kinds.FROZEN or not spec.long:
            return
        if self.active and not self.frozen:
            self.toggle_freeze(f" for the {spec.title}")

    def close(self) -> None:
        self.stop(quietly=True)
        for lane in self._own_lanes():
            lane.runner.shutdown(15000)  # a trace being made finishes first
