"""One place per fact: the action table is what the README's key table says, every job kind is in
the kind table and owned by one pane, and the catalogue's names are what the algorithms take."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def readme_keys() -> list[tuple[str, str]]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    table = text.split("| key | what it does |", 1)[1].split("\n\n", 1)[0]
    rows = [line.strip().strip("|").split("|") for line in table.strip().splitlines()[1:]]
    return [(key.strip(), what.strip()) for key, what in rows]


def test_the_readme_key_table_is_the_action_table():
    from dlviz.gui import actions

    assert readme_keys() == actions.key_rows()


def test_every_shortcut_is_in_the_key_help_once_and_no_two_actions_share_one():
    from dlviz.gui import actions

    helped = [name for names, _, _ in actions.KEY_HELP for name in names]
    keyed = [action.name for action in actions.ACTIONS if action.keys]
    assert sorted(helped) == sorted(keyed)
    keys = [key for action in actions.ACTIONS for key in action.keys]
    assert len(keys) == len(set(keys))


def test_each_job_kind_has_one_owner_in_the_table():
    from dlviz.gui.panes import attention, backprop, featurevis, glimpse, grid, perturb, top_images
    from dlviz.work import kinds

    owned = [kind for module, name in ((attention, "AttentionPane"), (backprop, "BackpropPane"),
                                       (featurevis, "FeatureVisPane"), (glimpse, "GlimpsePane"), (grid, "GridPane"),
                                       (perturb, "PerturbPane"), (top_images, "TopImagesPane"))
             for kind in getattr(module, name).kinds]
    pipeline = [kinds.MODEL_LOAD, kinds.LABELS, kinds.IMAGE, kinds.FORWARD, kinds.SESSION, kinds.VIDEO, kinds.LIVE]
    assert sorted(owned + pipeline) == sorted(kinds.TOOLBOX)
    assert len(owned) == len(set(owned))
    # A new image makes every kind about the image stale; a new model also those about the model.
    assert set(kinds.stale_after_input(kinds.TOOLBOX)) < set(kinds.stale_after_model(kinds.TOOLBOX))
    assert kinds.SCAN in kinds.stale_after_model(kinds.TOOLBOX) and kinds.SCAN not in kinds.stale_after_input(kinds.TOOLBOX)


def test_the_catalogue_names_what_the_algorithms_take():
    from dlviz.core import attribution, catalogue, embedding, featurevis

    assert attribution.METHODS == tuple(catalogue.BACKPROP_METHODS)
    assert attribution.CAM_METHODS == tuple(catalogue.CAM_METHODS)
    assert attribution.FILTERS == tuple(catalogue.FILTERS)
    assert embedding.METHODS == tuple(catalogue.EMBED_METHODS)
    assert featurevis.KINDS == tuple(catalogue.FEATUREVIS_OBJECTIVES)
    source = (ROOT / "dlviz" / "core" / "catalogue.py").read_text(encoding="utf-8")
    assert not re.search(r"^\s*(import|from)\s+torch", source, re.M)
