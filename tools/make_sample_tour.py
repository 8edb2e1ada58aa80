"""Make assets/tours/first-lecture.dlviz, the tour Help ▸ Sample Tour opens: the bundled photos
through early, middle and late layers, one unit and why it fires, Grad-CAM on the class, the
attention crop, and the classes laid out in the embedding explorer, each step with a caption.

It drives the real window offscreen, as a lecturer would with the mouse, and saves the session:

    QT_QPA_PLATFORM=offscreen .venv/bin/python tools/make_sample_tour.py
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "assets" / "samples"
OUT = ROOT / "assets" / "tours" / "first-lecture.dlviz"


def main() -> int:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    os.environ.setdefault("DLVIZ_WARM_UP", "0")
    import tempfile

    from PySide6.QtCore import QSettings

    from dlviz.gui.launch import application
    from dlviz.gui.main_window import MainWindow
    from dlviz.gui.offscreen import run_until

    application()
    settings = QSettings(str(Path(tempfile.mkdtemp()) / "tour.ini"), QSettings.IniFormat)
    window = MainWindow(SAMPLES / "chelsea.png", settings=settings)
    window.resize(1600, 1000)
    window.show()
    s = window.session

    def settle():
        if not run_until(lambda: s.result is not None and not window.runner.is_busy(), 120):
            raise SystemExit("the window did not settle within 120 s")
        run_until(lambda: False, 0.3)

    def open_image(name):
        window.loader.open_image(SAMPLES / name)
        run_until(lambda: s.image_name == name, 60)
        settle()

    def front(dock_name):
        next(d for d in window.explain if d.objectName() == f"dock-{dock_name}").raise_()

    def step(caption):
        settle()
        window.tour.add_step()
        window.tour.set_caption(window.tour.index, caption)

    settle()
    window.show_view(0)
    front("backprop")
    s.set_layer("conv_stem")
    step("The first layer: 32 filters, each looking for one edge or colour at every place in the photo. "
         "Bright means it found it there.")
    s.set_layer("blocks.1")
    step("Two blocks on, units combine edges into textures: fur, stripes, the rims of the eyes.")
    s.set_layer("blocks.5")
    busiest = int(np.argmax(s.activation().reshape(s.unit_count(), -1).max(axis=1)))
    s.set_unit(busiest)
    step(f"Late layers see parts of things over large areas: the map is only 7×7. Unit {busiest} fires hardest here.")
    window.backprop.method.setCurrentIndex(window.backprop.method.findData("guided"))
    step(f"Why does unit {busiest} fire? Guided backprop sends its activation back to the pixels that raised it.")
    s.show_class(int(np.argmax(s.result.forward.probs)))
    front("attention")
    step("The output layer: one unit per class. Grad-CAM shows where the evidence for the top class lies.")
    open_image("coffee.png")
    s.show_class(int(np.argmax(s.result.forward.probs)))
    window.show_view(1)
    step("Where does the network look? The attention crop cuts out that place and looks again, "
         "like an eye moving its fovea.")
    window.show_view(0)
    explorer = window.open_explorer()
    explorer.load_classes()
    if not run_until(lambda: explorer.current is not None, 120):
        raise SystemExit("the classes were not read within 120 s")
    explorer.method.setCurrentIndex(explorer.method.findData("tsne"))
    explorer.run()
    if not run_until(lambda: explorer.coords is not None and not explorer._running, 600):
        raise SystemExit("the layout did not finish within 600 s")
    step("The model's 1,000 classes, laid out by what its last layer makes of them: "
         "similar classes sit together, dogs with dogs, vehicles with vehicles.")
    OUT.parent.mkdir(exist_ok=True)
    if not window.save_session(OUT):
        raise SystemExit(f"could not write {OUT}")
    explorer.shutdown()
    window.close()
    print(f"saved {OUT.relative_to(ROOT)}: {len(window.tour.steps)} steps")
    return 0


if __name__ == "__main__":
    sys.exit(main())
