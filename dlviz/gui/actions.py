"""Every command of the toolbox window, in one table: the menus, the keyboard shortcuts and the
key-help overlay are all made from it (and a test holds the README's key table to it).

An action's `run` takes the main window. Menus whose items change (recent files, samples, the
model zoo, the docks) are built by the functions named in `SUBMENUS`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from dlviz import paths

MENUS = ("&File", "L&ive", "&Model", "&Layer", "E&xplain", "&View", "&Tour", "&Help")

@dataclass(frozen=True)
class Action:
    name: str
    menu: str
    text: str
    run: Callable
    keys: tuple[str, ...] = ()
    tip: str = ""
    grid_only: bool = False  # the arrows: only while the grid has the focus (lists and sliders keep theirs)
    separator: bool = False  # a line above it in the menu


ACTIONS = (
    Action("open", "&File", "&Open Image…", lambda w: w.loader.choose_image(), ("Ctrl+O",)),
    Action("paste", "&File", "&Paste Image", lambda w: w.loader.paste(), ("Ctrl+V",)),
    Action("next-image", "&File", "&Next Image in Folder", lambda w: w.loader.step_image(1), ("N",)),
    Action("previous-image", "&File", "Pre&vious Image in Folder", lambda w: w.loader.step_image(-1), ("P",)),
    Action("open-session", "&File", "Open Sess&ion…", lambda w: w.open_session(), ("Ctrl+Shift+O",), separator=True,
           tip="Everything a saved session had on screen: model, image, layer, unit, view and every pane's options"),
    Action("save-session", "&File", "Sa&ve Session", lambda w: w.save_session_here(), ("Ctrl+S",),
           tip="Into the session file it came from (the first time: where you choose), with the tour"),
    Action("save-session-as", "&File", "Save Session &As…", lambda w: w.save_session(), ("Ctrl+Shift+S",)),
    Action("export-grid", "&File", "&Export Grid as PNG…", lambda w: w.grid.choose_export(), ("Ctrl+E",), separator=True,
           tip="For slides: at least 1920 px wide, with the layer's name and each unit's number"),
    Action("export-grid-shown", "&File", "Export Grid as &Shown…", lambda w: w.grid.choose_export(labelled=False),
           tip="The grid exactly as it is on screen"),
    Action("export-picture", "&File", "Export P&icture…", lambda w: w.export_picture(), ("Ctrl+Shift+P",),
           tip="A pane or the whole window: PNG at 1, 2 or 4 times the pixels, SVG, or the clipboard"),
    Action("export-slide", "&File", "Export a Sli&de…", lambda w: w.export_picture(slide=True),
           tip="The panes you choose on a 1920×1080 page, with a caption"),
    Action("quit", "&File", "&Quit", lambda w: w.close(), ("Ctrl+Q",), separator=True),
    Action("open-video", "L&ive", "Open &Video…", lambda w: w.live.choose_video(), ("Ctrl+Shift+V",),
           tip="mp4, webm, mkv, avi, mov or an animated GIF: every pane follows the frames"),
    Action("sample-video", "L&ive", "Play the Sa&mple Video", lambda w: w.live.open_video(paths.sample_video())),
    Action("slideshow", "L&ive", "Play a Folder as a &Slideshow…", lambda w: w.live.choose_slideshow()),
    Action("camera", "L&ive", "&Camera ↔ Files", lambda w: w.live.toggle_camera(), ("C",), separator=True),
    Action("mirror", "L&ive", "&Mirror the Camera", lambda w: w.live.toggle_mirror()),
    Action("play", "L&ive", "&Play / Pause", lambda w: w.tour.step(1) if w.tour.playing else w.live.toggle_play(),
           ("Space",), separator=True, tip="While a tour plays: its next step"),
    Action("live-freeze", "L&ive", "&Freeze / Go Live", lambda w: w.live.toggle_freeze(), ("F",),
           tip="Keep the frame on screen as a still: every tab works on it"),
    Action("step-back", "L&ive", "Step &Back a Frame", lambda w: w.live.step(-1), (",",)),
    Action("step-forward", "L&ive", "Step Fo&rward a Frame", lambda w: w.live.step(1), (".",)),
    Action("slower", "L&ive", "Slo&wer", lambda w: w.live.change_speed(-1), ("[",)),
    Action("faster", "L&ive", "Fas&ter", lambda w: w.live.change_speed(1), ("]",)),
    Action("loop", "L&ive", "&Loop the Video", lambda w: w.live.toggle_loop()),
    Action("save-frame", "L&ive", "Save the Frame as an &Image…", lambda w: w.live.save_frame(), ("Ctrl+Shift+F",),
           separator=True),
    Action("record", "L&ive", "&Record the Window… / Stop Recording", lambda w: w.recorder.choose_and_start(w, "window"),
           ("Ctrl+R",), separator=True, tip="MP4 or GIF for slides, up to a minute (a GIF 20 s)"),
    Action("stop-live", "L&ive", "St&op Live Input", lambda w: w.live.stop(), separator=True),
    Action("bundled", "&Model", "Bundled EfficientNet-Lite0 (offline)", lambda w: w.loader.load_model(None)),
    Action("weights", "&Model", "Open &Weights File…", lambda w: w.loader.choose_weights(), separator=True),
    Action("labels", "&Model", "Class &Names File…", lambda w: w.loader.choose_labels(),
           tip="One class name per line, in output order"),
    # A presenter remote sends PgDn and PgUp (and Space): while a tour plays they step the tour.
    Action("next-layer", "&Layer", "&Next Layer", lambda w: w.tour.step(1) if w.tour.playing else w.session.step_layer(1),
           ("PgDown",), tip="While a tour plays: its next step"),
    Action("previous-layer", "&Layer", "&Previous Layer",
           lambda w: w.tour.step(-1) if w.tour.playing else w.session.step_layer(-1), ("PgUp",),
           tip="While a tour plays: its previous step"),
    Action("filter-layers", "&Layer", "&Filter Layers", lambda w: w.layers.focus_filter(), ("Ctrl+L",)),
    Action("unit-left", "&Layer", "Unit Left", lambda w: w.grid.move_unit(0, -1), ("Left",), grid_only=True, separator=True),
    Action("unit-right", "&Layer", "Unit Right", lambda w: w.grid.move_unit(0, 1), ("Right",), grid_only=True),
    Action("unit-up", "&Layer", "Unit Up", lambda w: w.grid.move_unit(-1, 0), ("Up",), grid_only=True),
    Action("unit-down", "&Layer", "Unit Down", lambda w: w.grid.move_unit(1, 0), ("Down",), grid_only=True),
    Action("backprop-method", "E&xplain", "Cycle &Backprop Method", lambda w: w.backprop.cycle_method(), ("B",)),
    Action("backprop-filter", "E&xplain", "Cycle Backprop &Filter", lambda w: w.backprop.cycle_filter(), ("M",)),
    Action("freeze", "E&xplain", "&Freeze Backprop Source", lambda w: w.backprop.toggle_freeze(), ("D",)),
    Action("patterns", "E&xplain", "&Pattern Mode: Top Crops, Feature Images, Off", lambda w: w.toggle_patterns(), ("S",)),
    Action("scan-folder", "E&xplain", "Scan &Folder for Top Images…", lambda w: w.top_images.choose_folder()),
    # Ctrl+E already exports the grid, so the explorer takes Ctrl+Shift+E.
    Action("explorer", "E&xplain", "&Embedding Explorer…", lambda w: w.open_explorer(), ("Ctrl+Shift+E",),
           tip="t-SNE, UMAP and PCA of the model's classes, an image folder, words or any vectors", separator=True),
    Action("gamma", "&View", "Cycle &Gamma Boost", lambda w: w.session.cycle_gamma(), ("T",)),
    Action("contrast", "&View", "Cycle Per-Channel &Contrast", lambda w: w.session.cycle_contrast(), ("Shift+T",)),
    Action("fit", "&View", "Crop ↔ Stretch to a Square", lambda w: w.toggle_fit(), ("0",),
           tip="The model sees the photo's centre square, or the whole photo squeezed to a square"),
    Action("view-activations", "&View", "&Activations", lambda w: w.show_view(0), ("Ctrl+1",), separator=True),
    Action("view-attention-crop", "&View", "Attention C&rop", lambda w: w.show_view(1), ("Ctrl+2",)),
    Action("view-perturb", "&View", "&Perturb", lambda w: w.show_view(2), ("Ctrl+3",)),
    Action("zoom", "&View", "&Zoom a Pane to Fill the Window", lambda w: w.zoom.toggle(), ("Z",), separator=True,
           tip="The pane under the mouse, or else the unit; z or Esc puts it back"),
    Action("reset-layout", "&View", "&Reset Layout", lambda w: w.reset_layout(), separator=True),
    Action("presenter-larger", "&View", "Presenter Scale &Larger", lambda w: w.presenter.step(1), ("Ctrl+=", "Ctrl++"),
           tip="Every font, tick label, outline and cursor 1.5 or 2 times its size, to be read from the back of a room",
           separator=True),
    Action("presenter-smaller", "&View", "Presenter Scale &Smaller", lambda w: w.presenter.step(-1), ("Ctrl+-",)),
    Action("presenter-normal", "&View", "Presenter Scale ×&1", lambda w: w.presenter.set_scale(1.0), ("Ctrl+0",)),
    Action("theme", "&View", "&High-Contrast ↔ Dark Theme", lambda w: w.presenter.toggle_theme(), ("Ctrl+Shift+T",),
           tip="Black and white with strong accents, for projectors"),
    Action("full-screen", "&View", "F&ull Screen", lambda w: w.presenter.toggle_full_screen(), ("F11",)),
    Action("hide-chrome", "&View", "Hide &Menus and Status Bar", lambda w: w.presenter.toggle_chrome(), ("Ctrl+Shift+M",),
           tip="Every key still works; the same key brings them back"),
    Action("escape", "&View", "Back from a Zoom, the Tour or Full Screen", lambda w: w.escape(), ("Esc",)),
    Action("add-step", "&Tour", "&Add the View as a Step", lambda w: w.tour.add_step(), ("Ctrl+T",),
           tip="Everything on screen (input, model, layer, unit, tab and options) as the tour's next step"),
    Action("replace-step", "&Tour", "&Replace the Step with the View", lambda w: w.tour.update_step(), ("Ctrl+Shift+U",)),
    Action("play-tour", "&Tour", "&Play the Tour / End It", lambda w: w.tour.toggle(), ("F5",), separator=True,
           tip="From the first step: PgDn, PgUp and Space (a presenter remote) step it, Esc ends it"),
    Action("play-tour-here", "&Tour", "Play from the &Chosen Step", lambda w: w.tour.toggle(here=True), ("Shift+F5",),
           tip="From the step chosen in the Tour pane"),
    Action("next-step", "&Tour", "&Next Step", lambda w: w.tour.step(1)),
    Action("previous-step", "&Tour", "P&revious Step", lambda w: w.tour.step(-1)),
    Action("edit-tour", "&Tour", "&Edit the Tour…", lambda w: w.show_tour_panel(), separator=True,
           tip="The steps in a list: go to one, caption, reorder or delete it"),
    Action("keys", "&Help", "&Keys", lambda w: w.help.toggle(), ("H", "F1")),
    Action("sample-tour", "&Help", "&Sample Tour", lambda w: w.open_sample_tour(),
           tip="A ready-made tour of the bundled photos, from the first layers to the classes"),
)

# Where the changing submenus go: (menu, text, the action it comes before (None: the end, after a
# line), builder, and, for a submenu filled only when opened, True: looking for cameras loads
# QtMultimedia, the devices torch).
SUBMENUS = (
    ("&File", "Open &Recent", "paste", lambda w, menu: w.fill_recent(menu)),
    ("&File", "Recen&t Sessions", "save-session", lambda w, menu: w.fill_recent_sessions(menu)),
    ("&File", "&Samples", "paste", lambda w, menu: w.fill_samples(menu)),
    ("&Model", "torchvision (downloads weights once)", "weights", lambda w, menu: w.fill_zoo(menu)),
    ("&Model", "&Device", None, lambda w, menu: w.loader.fill_devices(menu), True),
    ("L&ive", "Camera &Device", "mirror", lambda w, menu: w.live.fill_cameras(menu), True),
    ("L&ive", "Record a &Pane", "stop-live", lambda w, menu: w.fill_record(menu), True),
    ("&View", "Panes", "reset-layout", lambda w, menu: w.fill_docks(menu)),
)

# The key-help overlay and the README's key table, row by row: the actions, how their keys are
# joined, and what they do.
KEY_HELP = (
    (("unit-left", "unit-right", "unit-up", "unit-down"), " ", "move the unit cursor in the grid"),
    (("previous-layer", "next-layer"), " / ", "previous / next layer"),
    (("next-image", "previous-image"), " / ", "next / previous image in the same folder"),
    (("gamma",), "", "cycle the gamma boost (1, 0.7, 0.5, 0.3)"),
    (("contrast",), "", "cycle the per-channel contrast (per layer … per channel)"),
    (("fit",), "", "the model sees the centre square, or the whole photo squeezed"),
    (("backprop-method", "backprop-filter"), " / ", "cycle the backprop method / its filter"),
    (("freeze",), "", "freeze the backprop source while the cursor moves"),
    (("patterns",), "", "pattern mode: each unit's best Top images crop, then its feature image, then off"),
    (("view-activations", "view-attention-crop", "view-perturb"), " / ",
     "show the activations / attention crop / perturbation lab"),
    (("open", "paste"), " / ", "open / paste an image"),
    (("open-video",), "", "open a video: every pane follows its frames"),
    (("camera",), "", "switch the camera on, or back to the video or slideshow"),
    (("play",), "", "play / pause the video"),
    (("live-freeze",), "", "freeze the live frame as a still, or go live again"),
    (("step-back", "step-forward"), " / ", "step back / forward a frame"),
    (("slower", "faster"), " / ", "play slower / faster"),
    (("save-frame",), "", "save the frame on screen as an image"),
    (("record",), "", "record the window (MP4 or GIF), or stop recording"),
    (("open-session", "save-session", "save-session-as"), " / ", "open / save / save as: everything on screen, the tour"),
    (("filter-layers",), "", "filter the layer list"),
    (("export-grid",), "", "export the grid as a labelled PNG, 1920 px wide or more"),
    (("export-picture",), "", "export a pane or the window: PNG ×1, ×2, ×4, SVG, clipboard"),
    (("explorer",), "", "open the embedding explorer (t-SNE, UMAP, PCA)"),
    (("presenter-larger",), " or ", "presenter scale larger (×1.5, ×2): every font, line and cursor"),
    (("presenter-smaller", "presenter-normal"), " / ", "presenter scale smaller / back to ×1"),
    (("theme",), "", "high-contrast theme for projectors, or back to dark"),
    (("full-screen",), "", "full screen"),
    (("hide-chrome",), "", "hide or show the menus and status bar (keys still work)"),
    (("add-step", "replace-step"), " / ", "add the view to the tour / put it in the chosen step"),
    (("play-tour", "play-tour-here"), " / ", "play the tour from the start / the chosen step"),
    (("zoom",), "", "zoom the pane under the mouse (else the unit) to fill the window"),
    (("escape",), "", "close this help, go back from a zoom, end the tour, or leave full screen"),
    (("quit",), "", "quit"),
    (("keys",), " or ", "show every key"),
)

_SHOWN = {"Left": "←", "Right": "→", "Up": "↑", "Down": "↓", "PgDown": "PgDn"}


def key_text(key: str) -> str:
    """A shortcut as the help shows it: arrows as arrows, a plain letter in lower case, Shift+T as T."""
    if key in _SHOWN:
        return _SHOWN[key]
    if len(key) == 1:
        return key.lower()
    if key.startswith("Shift+") and len(key) == 7:
        return key[-1].upper()
    return key


def by_name() -> dict[str, Action]:
    return {action.name: action for action in ACTIONS}


def key_rows() -> list[tuple[str, str]]:
    """(keys, what they do) for every row of the key help."""
    actions = by_name()
    rows = []
    for names, joiner, text in KEY_HELP:
        keys = [key_text(k) for name in names for k in actions[name].keys]
        rows.append(((joiner or " / ").join(keys), text))
    return rows


def build_menus(window) -> dict:
    """The window's menus and shortcuts from the table; returns the QActions by name."""
    from PySide6.QtCore import Qt
    from PySide6.QtGui import QAction, QKeySequence

    bar = window.menuBar()
    menus = {title: bar.addMenu(title) for title in MENUS}
    made = {}

    def submenus(menu, before):
        for title, text, where, build, *lazy in SUBMENUS:
            if where == before and (before is not None or menus[title] is menu):
                if before is None:
                    menu.addSeparator()
                sub = menu.addMenu(text)
                sub.aboutToShow.connect(lambda sub=sub, build=build: (sub.clear(), build(window, sub)))
                if not lazy:
                    build(window, sub)

    for action in ACTIONS:
        menu = menus[action.menu]
        submenus(menu, action.name)
        if action.separator:
            menu.addSeparator()
        qaction = QAction(action.text, window)
        if action.keys:
            qaction.setShortcuts([QKeySequence(k) for k in action.keys])
        if action.tip:
            qaction.setStatusTip(action.tip)
        qaction.triggered.connect(lambda checked=False, run=action.run: run(window))
        if action.grid_only:
            qaction.setShortcutContext(Qt.WidgetWithChildrenShortcut)
            window.grid.addAction(qaction)
        else:
            window.addAction(qaction)  # its key works with the menu bar hidden too (presenter view)
        menu.addAction(qaction)
        made[action.name] = qaction
    for menu in menus.values():
        submenus(menu, None)
    return made
