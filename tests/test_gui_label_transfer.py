"""The window's Export and Import dialogs, driven by keys and clicks: a new folder's name
offered, the format chosen, what was written said in a dialog with "Open folder"; an
import checked (dry run) before it is offered, and its labels shown as prior (stage 0)."""

import json

import numpy as np
import pytest
from folder_support import make_all
from gui_support import key, open_window, stored
from PyQt6.QtCore import Qt

from labor_desktop.cli import main
from labor_desktop.gui.inspect import label_dialogs

pytestmark = [pytest.mark.timeout(600), pytest.mark.slow]


@pytest.fixture
def window(tmp_path, qtbot):
    """A window on a ``labor new`` project over a plain folder (five classes, no training)."""
    d = make_all(tmp_path / "data")
    path = tmp_path / "demo.labor.h5"
    args = ["new", str(path), "--images", str(d["images"]), "--classes", str(d["table"])]
    assert main([*args, "--checkpoint", str(d["checkpoint"]), "--preset", "smoke"]) == 0
    win, project = open_window(path, qtbot)
    yield win
    win.close()
    project.close()


def click(qtbot, button):
    assert button.isEnabled() and button.isVisible()
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)


def type_into(qtbot, edit, text):
    edit.selectAll()
    qtbot.keyClick(edit, Qt.Key.Key_Delete)
    qtbot.keyClicks(edit, text)


def test_export_dialog_makes_a_new_folder_and_says_what_it_wrote(window, qtbot, tmp_path, monkeypatch):
    opened = []
    monkeypatch.setattr(label_dialogs.QDesktopServices, "openUrl", lambda url: opened.append(url.toLocalFile()))
    key(qtbot, window, Qt.Key.Key_E, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: isinstance(window.inspect.last_dialog, label_dialogs.ExportDialog))
    dialog = window.inspect.last_dialog
    qtbot.waitUntil(dialog.isVisible)
    assert dialog.new_name.text() == "demo-export"  # a new folder's name is offered
    type_into(qtbot, dialog.folder, str(tmp_path))
    type_into(qtbot, dialog.new_name, "for-cvat")
    assert dialog.target.text() == f"Writes into {tmp_path / 'for-cvat'} (made now)"
    dialog.format.setFocus()
    qtbot.keyClick(dialog.format, Qt.Key.Key_Down)  # cityscapes -> mask-png
    assert dialog.format.currentData() == "mask-png"
    click(qtbot, dialog.export_button)
    qtbot.waitUntil(lambda: window.inspect.last_done is not None and window.inspect.last_done.isVisible())
    done = window.inspect.last_done
    out = tmp_path / "for-cvat"
    assert done.text() == f"Exported 0 labelled of {len(window.project.images)} images as mask-png into\n{out}"
    assert (out / "labelmap.txt").is_file() and (out / "ImageSets" / "Segmentation" / "default.txt").is_file()
    assert done.detailedText().splitlines()[:2] == ["labelmap.txt", "ImageSets/Segmentation/default.txt"]
    assert ("model.pt" in done.detailedText()) == (out / "model.pt").is_file()
    written = done.detailedText().splitlines()  # with the CSVs and labor-export.json (listed, once not counted)
    assert done.informativeText().startswith(f"{len(written)} file(s): {written[0]}, ")
    click(qtbot, done.open_button)
    assert opened == [str(out)]


def test_open_folder_without_a_program_for_folders_says_where_the_files_are(window, qtbot, tmp_path, monkeypatch):
    """Under Xvfb (no xdg-open) "Open folder" closed the dialog and nothing happened."""
    monkeypatch.setattr(label_dialogs.QDesktopServices, "openUrl", lambda url: False)
    key(qtbot, window, Qt.Key.Key_E, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: isinstance(window.inspect.last_dialog, label_dialogs.ExportDialog))
    dialog = window.inspect.last_dialog
    type_into(qtbot, dialog.folder, str(tmp_path))
    click(qtbot, dialog.export_button)
    qtbot.waitUntil(lambda: window.inspect.last_done is not None and window.inspect.last_done.isVisible())
    done = window.inspect.last_done
    click(qtbot, done.open_button)
    qtbot.waitUntil(lambda: done.where is not None and done.where.isVisible())
    out = tmp_path / "demo-export"
    assert done.where.text() == f"No program to open folders was found here. The files are in\n{out}"


def labelme_file(folder, image_path, h, w, label="road", box=((0, 0), (4, 2))):
    folder.mkdir(exist_ok=True)
    name = image_path.split("/")[-1].rsplit(".", 1)[0]
    shape = {"label": label, "points": [list(box[0]), list(box[1])], "shape_type": "rectangle"}
    doc = {"imagePath": name + ".png", "imageHeight": h, "imageWidth": w, "shapes": [shape]}
    (folder / f"{name}.json").write_text(json.dumps(doc))


def open_import(qtbot, window):
    key(qtbot, window, Qt.Key.Key_I, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    qtbot.waitUntil(lambda: isinstance(window.inspect.last_dialog, label_dialogs.ImportDialog))
    dialog = window.inspect.last_dialog
    qtbot.waitUntil(dialog.isVisible)
    return dialog


def test_import_dialog_checks_first_then_imports_as_prior(window, qtbot, tmp_path):
    i = window.document.index
    entry = window.project.images[i]
    before = stored(window, i).copy()
    labelme_file(tmp_path / "lm", entry.path, entry.height, entry.width)
    dialog = open_import(qtbot, window)
    assert not dialog.import_button.isEnabled()  # offered only after a check
    type_into(qtbot, dialog.folder, str(tmp_path / "lm"))
    dialog.format.setFocus()
    for _ in range(3):
        qtbot.keyClick(dialog.format, Qt.Key.Key_Down)  # cityscapes, mask-png, coco -> labelme
    assert dialog.format.currentData() == "labelme" and dialog.stage.value() == 0
    click(qtbot, dialog.check_button)
    report = dialog.report.toPlainText().splitlines()
    assert report[0] == "matched: 1" and report[1].endswith(f" -> {entry.path}")
    assert stored(window, i).tolist() == before.tolist()  # the check wrote nothing
    click(qtbot, dialog.import_button)
    qtbot.waitUntil(lambda: not dialog.isVisible())
    labels, stage = window.project.labels(i)
    new = (before == 255) & (np.arange(entry.width)[None, :] < 4) & (np.arange(entry.height)[:, None] < 2)
    assert (labels[new] == 0).all() and (stage[new] == 0).all()  # road, prior
    assert np.array_equal(window.document.editor.labels, labels)  # the shown image shows them
    assert window.document.status(i).labeled_pixels == int((labels != 255).sum())


def test_import_dialog_shows_bad_input_and_offers_no_import(window, qtbot, tmp_path):
    i = window.document.index
    entry = window.project.images[i]
    labelme_file(tmp_path / "lm", entry.path, entry.height, entry.width, label="unicorn")
    dialog = open_import(qtbot, window)
    type_into(qtbot, dialog.folder, str(tmp_path / "lm"))
    dialog.format.setCurrentIndex(dialog.format.findData("labelme"))
    click(qtbot, dialog.check_button)
    text = dialog.report.toPlainText()
    assert "unknown classes: 1\n  unicorn" in text
    assert "problem: " + str(tmp_path / "lm") + ": the class 'unicorn' is used there" in text
    assert not dialog.import_button.isEnabled()
    assert window.project.labeled_images() == []


def test_imported_labels_are_drawn_striped_and_counted_apart_until_labelled_over(window, qtbot, tmp_path):
    from gui_support import widget_pos
    from PyQt6.QtGui import QColor

    from labor_desktop.gui.overlays import PRIOR_ALPHA

    i = window.document.index
    entry = window.project.images[i]
    labelme_file(tmp_path / "lm", entry.path, entry.height, entry.width, box=((0, 0), (8, 8)))
    dialog = open_import(qtbot, window)
    type_into(qtbot, dialog.folder, str(tmp_path / "lm"))
    dialog.format.setCurrentIndex(dialog.format.findData("labelme"))
    click(qtbot, dialog.check_button)
    click(qtbot, dialog.import_button)
    qtbot.waitUntil(lambda: not dialog.isVisible())
    window.activateWindow()  # the offscreen platform hands activation back to no window by itself
    qtbot.waitUntil(window.isActiveWindow)
    doc = window.document
    alpha = doc.labels_overlay.buffer[..., 3]
    # stripes of 4 px along the diagonals: (y + x) // 4 even is solid, odd is faint
    assert alpha[0, 0] == alpha[1, 2] == alpha[4, 4] == 255 and alpha[0, 4] == alpha[3, 1] == PRIOR_ALPHA
    assert alpha[0, 9] == 0  # outside the imported box: nothing
    st = doc.status(i)
    assert st.prior_pixels == st.labeled_pixels == 64
    item = window.image_list.list.item(i)
    assert item.text().endswith(f" · prior {100 * 64 / (entry.height * entry.width):.1f}%")
    assert "imported (prior, stage 0; drawn striped)" in item.toolTip()

    def shown(y, x):
        p = widget_pos(window, y, x)
        return QColor(window.canvas.grab().toImage().pixelColor(p.x(), p.y())).getRgb()

    assert shown(0, 4) != shown(0, 3)  # a faint stripe beside a solid one, the same class
    # the person labels over the stripes with the brush: those pixels are theirs now
    key(qtbot, window, Qt.Key.Key_B)
    key(qtbot, window, Qt.Key.Key_2)
    qtbot.mousePress(window.canvas, Qt.MouseButton.LeftButton, pos=widget_pos(window, 1, 5))
    qtbot.mouseRelease(window.canvas, Qt.MouseButton.LeftButton, pos=widget_pos(window, 1, 5))
    ed = doc.editor
    assert ed.labels[1, 5] == ed.active_class != 0 and ed.stage[1, 5] >= 1 and alpha[1, 5] == 255
    mine = (ed.labels != 255) & (ed.stage != 0)
    prior = (ed.labels != 255) & (ed.stage == 0)
    assert 0 < mine.sum() and prior.sum() < 64
    assert (alpha[mine] == 255).all()
    qtbot.waitUntil(lambda: doc.status(i).prior_pixels == int(prior.sum()))
    assert doc.status(i).labeled_pixels == int((ed.labels != 255).sum())
    labels, stage = stored(window, i), window.project.labels(i)[1]
    assert int(((labels != 255) & (stage == 0)).sum()) == int(prior.sum())
    key(qtbot, window, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)  # undo: imported again
    assert ed.labels[1, 5] == 0 and ed.stage[1, 5] == 0 and alpha[1, 5] == PRIOR_ALPHA
    qtbot.waitUntil(lambda: doc.status(i).prior_pixels == 64)
    # the cursor's readout says which labels were imported
    qtbot.mouseMove(window.canvas, widget_pos(window, 2, 2))
    qtbot.waitUntil(lambda: "label: road (imported) · " in window.cursor_label.text())
    qtbot.mouseMove(window.canvas, widget_pos(window, 9, 9))
    qtbot.waitUntil(lambda: "label: unlabeled · " in window.cursor_label.text())
    key(qtbot, window, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    assert ed.labels[1, 5] == ed.active_class  # redone: the person's own label again
    qtbot.mouseMove(window.canvas, widget_pos(window, 1, 5))
    qtbot.waitUntil(lambda: f"label: {window.names[ed.active_class]} · " in window.cursor_label.text())
