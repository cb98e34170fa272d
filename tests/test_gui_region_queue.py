"""Proposed regions in the real window (issue 24): a stage whose proposals are regions (the
store keeps their superpixel size) draws them outlined, the queue (Q) steps through them
with its heads-up line, a class key or Enter labels the whole region as one undo step,
other classes inside stay unless confirmed; the chooser lists the model's classes over a
region with their mean probabilities.  Driven with real keys and clicks."""

import numpy as np
import pytest
from gui_support import LAST_RESORT_MS, copy_of, key, open_window, stored, template, widget_pos  # noqa: F401
from PyQt6.QtCore import QEvent, QRectF, Qt
from PyQt6.QtWidgets import QApplication

from labor_desktop.engine.workflow import ProjectWorkflow
from labor_desktop.labeling import UNLABELED, Tool, region_top_classes
from labor_desktop.store import Project

pytestmark = pytest.mark.timeout(900)  # the bootstrapped template takes minutes on a busy machine
SIZE = 16  # the proposals' region size; the project's setting stays 32: the stored size must be used
ASKED = 3  # regions per image


def seed_of(sp, rid):
    ys, xs = np.nonzero(sp == rid)
    k = int(np.argmin((ys - ys.mean()) ** 2 + (xs - xs.mean()) ** 2))
    return int(ys[k]), int(xs[k])


@pytest.fixture
def regions_window(template, tmp_path_factory, qtbot):  # noqa: F811
    """The PPL template with its stage-1 proposals replaced by region proposals: the three
    largest 16-px superpixels of each image, a point each (its pixel nearest the centroid)."""
    path = copy_of(template, tmp_path_factory)
    with Project.open(path) as p:
        flow = ProjectWorkflow(p)
        for i in range(len(p.images)):
            sp = flow.superpixels(i, SIZE)
            ids = np.argsort(-np.bincount(sp.ravel()), kind="stable")[:ASKED]
            seeds = np.array([[*seed_of(sp, rid), 0] for rid in ids], np.int32)
            p.save_proposal(1, i, np.isin(sp, ids), seeds, region_size=SIZE)
    win, project = open_window(path, qtbot)
    yield win
    win.close()
    project.close()


def region_at_point(win, i, k):
    sp = win.workflow.superpixels(i, SIZE)
    y, x, _ = win.project.proposal(1, i)[1][k]
    return sp == sp[y, x]


def test_proposed_regions_are_outlined_and_turn_labelled_after_the_queue_labels_one(regions_window, qtbot):
    win = regions_window
    assert win.points.region_size() == SIZE
    assert set(win.canvas.region_marks) == {"asked"}  # every region still to label, none labelled
    asked = win.canvas.region_marks["asked"][0]
    assert asked.toSubpathPolygons() and len(asked.toSubpathPolygons()) >= ASKED  # one outline at least per region
    key(qtbot, win, Qt.Key.Key_Q)
    assert "current" in win.canvas.region_marks  # the queue's region on top
    key(qtbot, win, Qt.Key.Key_3)  # class 2 for the whole first region
    assert set(win.canvas.region_marks) >= {"asked", "labelled", "current"}


def test_q_steps_through_regions_a_class_key_labels_the_whole_region_as_one_undo_step(regions_window, qtbot):
    win = regions_window
    key(qtbot, win, Qt.Key.Key_Q)
    n = len(win.points.queue)
    assert n == ASKED * len(win.project.images)
    line = win.canvas.headsup
    assert line.startswith(f"region 1/{n} · image ") and "Esc stop" in line
    i, k = win.points.queue.current
    region = region_at_point(win, i, k)
    before = stored(win, i).copy()
    key(qtbot, win, Qt.Key.Key_3)
    labels = stored(win, i)
    assert (labels[region] == 2).all() and np.array_equal(labels[~region], before[~region])
    assert win.canvas.headsup.startswith(f"region 2/{n}")
    assert win.project.effort(i).clicks == 0  # a queue key is no click (issue 22, stumble 10), for points and regions
    win.points.stop()
    qtbot.keyClick(win.canvas, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)  # one step undoes it all
    assert np.array_equal(stored(win, i), before)


def test_enter_accepts_the_models_class_over_the_region_with_its_mean_probability(regions_window, qtbot):
    win = regions_window
    key(qtbot, win, Qt.Key.Key_Q)
    i, k = win.points.queue.current
    qtbot.waitUntil(lambda: i in win.predictions.probs, timeout=LAST_RESORT_MS)
    region = region_at_point(win, i, k)
    ys, xs = np.nonzero(region)
    want_k, want_p = region_top_classes(win.predictions.probs[i], ys, xs, 1)[0]
    qtbot.waitUntil(lambda: f"suggestion: {win.names[want_k]} {want_p:.2f}" in win.canvas.headsup)
    key(qtbot, win, Qt.Key.Key_Return)
    assert (stored(win, i)[region] == want_k).all()


def test_the_queue_keeps_other_classes_inside_a_region_unless_confirmed_and_esc_stops(regions_window, qtbot):
    win = regions_window
    i = win.document.index
    region = region_at_point(win, i, 0)
    ys, xs = np.nonzero(region)
    ed = win.document.current_editor()
    one = np.zeros_like(region)
    one[ys[0], xs[0]] = True
    win.document.act(lambda: ed.label_region(one, 4))  # one pixel labelled "4" before, as a brush would
    assert stored(win, i)[ys[0], xs[0]] == 4
    asked: list[str] = []
    win.confirm = lambda text: asked.append(text) or False  # the person says no
    key(qtbot, win, Qt.Key.Key_Q)
    assert win.points.queue.current == (i, 0)
    key(qtbot, win, Qt.Key.Key_3)
    labels = stored(win, i)
    assert asked and "keep" in asked[0]
    assert labels[ys[0], xs[0]] == 4 and (np.delete(labels[region], 0) == 2).all()  # kept; the rest labelled
    before = labels.copy()
    key(qtbot, win, Qt.Key.Key_Escape)  # leaves the queue, labels nothing
    assert not win.points.active and win.canvas.headsup == "" and "current" not in win.canvas.region_marks
    assert np.array_equal(stored(win, i), before)


def test_the_region_chooser_lists_the_models_classes_over_the_region_with_probabilities(regions_window, qtbot):
    win = regions_window
    i = win.document.index
    key(qtbot, win, Qt.Key.Key_G)
    assert win.session.tool is Tool.REGION
    sp = win.workflow.superpixels(i)  # the Region tool's regions: the project's setting
    rid = int(np.bincount(sp.ravel()).argmax())
    y, x = seed_of(sp, rid)
    qtbot.mouseClick(win.canvas, Qt.MouseButton.LeftButton, pos=widget_pos(win, y, x))
    qtbot.waitUntil(win.regions.chooser.isVisible)
    qtbot.waitUntil(lambda: i in win.predictions.probs, timeout=LAST_RESORT_MS)  # asked for by the click
    ys, xs = np.nonzero(sp == rid)
    top = region_top_classes(win.predictions.probs[i], ys, xs, 3)
    first = f"model: {win.names[top[0][0]]}  {top[0][1]:.2f}"
    qtbot.waitUntil(lambda: win.regions.chooser.list.item(0).text().startswith(first))  # listed once known
    assert win.regions.chooser.isVisible()
    rows = [win.regions.chooser.list.item(r).text() for r in range(len(top))]
    for row, (k, p) in zip(rows, top):
        assert row.startswith(f"model: {win.names[k]}  {p:.2f}")
    assert win.regions.chooser.suggestion_row == rows[0]  # the best class highlighted
    qtbot.keyClick(win.regions.chooser.list, Qt.Key.Key_Escape)
    assert not win.regions.chooser.isVisible() and (stored(win, i)[sp == rid] == UNLABELED).all()


def test_region_outlines_are_one_per_region_even_for_diagonal_and_side_neighbours():
    from labor_desktop.gui.canvas.region_flow import region_outlines

    sp = np.zeros((8, 8), np.int32)
    sp[:4, 4:] = 1  # side neighbour of 0
    sp[4:, 4:] = 2  # diagonal neighbour of 0
    sp[4:, :4] = 3
    paths = region_outlines(sp, np.array([0, 1, 2]))
    assert sorted(paths) == [0, 1, 2]  # region 3 not asked: no outline
    assert all(len(paths[r].toSubpathPolygons()) == 1 for r in (0, 1, 2))
    assert paths[0].boundingRect().right() < paths[1].boundingRect().left()  # apart


class PaintSpy:
    """The canvas's painted rectangles (widget coordinates), with the pending ones flushed."""

    def __init__(self, canvas):
        from PyQt6.QtCore import QObject

        rects = self.rects = []

        class Filter(QObject):
            def eventFilter(self, obj, ev):
                if obj is canvas and ev.type() == QEvent.Type.Paint:
                    rects.append(ev.rect())
                return False

        self.filter, self.canvas = Filter(), canvas
        canvas.installEventFilter(self.filter)

    def painted_after(self, act):
        self.canvas.repaint()  # nothing pending before
        self.rects.clear()
        act()
        QApplication.processEvents()  # the repaint the act asked for
        assert len(self.rects) == 1
        return self.rects[0]  # one paint: the union of the dirty rectangles


def test_a_label_repaints_only_the_changed_part_of_the_canvas_not_the_whole_image(regions_window, qtbot):
    """Issue 24: labelling a region repainted the whole canvas (the outlines were redrawn at
    every label): most of the 25 ms from a label to its repaint on a 1024x2048 image."""
    win = regions_window
    qtbot.waitUntil(lambda: 0 in win.predictions.probs and not win.predictions.jobs, timeout=LAST_RESORT_MS)
    QApplication.processEvents()  # the prediction's own repaint (the whole image) before the spy
    spy = PaintSpy(win.canvas)
    whole = win.canvas.rect()
    sp = win.workflow.superpixels(0, SIZE)
    asked = set(sp[tuple(win.project.proposal(1, 0)[1][:, :2].T)].tolist())
    other = next(r for r in np.argsort(np.bincount(sp.ravel()))[::-1].tolist() if r not in asked)
    region = sp == other
    ys, xs = np.nonzero(region)
    box = win.canvas.image_rect_to_widget((ys.min(), ys.max() + 1, xs.min(), xs.max() + 1)).toAlignedRect()
    ed = win.document.current_editor()
    painted = spy.painted_after(lambda: win.document.act(lambda: ed.label_region(region, 2)))
    assert box.adjusted(-1, -1, 1, 1).contains(painted) and painted != whole  # not a proposed region: its box only
    assert painted.width() * painted.height() < whole.width() * whole.height() / 4

    assert "labelled" not in win.canvas.region_marks
    first = region_at_point(win, 0, 0)  # a proposed region turns from asked to labelled: its outline's box
    c = win.canvas
    r = c.region_marks["asked"][0].boundingRect()  # the asked outlines, image coordinates
    outlines = QRectF(
        c.offset.x() + r.left() * c.scale, c.offset.y() + r.top() * c.scale, r.width() * c.scale, r.height() * c.scale
    )
    painted = spy.painted_after(lambda: win.document.act(lambda: ed.label_region(first, 3)))
    r = c.region_marks["labelled"][0].boundingRect()  # the one labelled: white now, with its 3-px pen
    now = QRectF(
        c.offset.x() + r.left() * c.scale, c.offset.y() + r.top() * c.scale, r.width() * c.scale, r.height() * c.scale
    )
    assert painted.contains(now.toAlignedRect().adjusted(-2, -2, 2, 2).intersected(whole))
    assert not painted.contains(outlines.toAlignedRect().intersected(whole))  # not every outline
    assert painted.width() * painted.height() < whole.width() * whole.height() / 4


def test_hovering_from_region_to_region_repaints_the_two_outlines_not_the_image(regions_window, qtbot):
    win = regions_window
    qtbot.waitUntil(lambda: 0 in win.predictions.probs and not win.predictions.jobs, timeout=LAST_RESORT_MS)
    QApplication.processEvents()
    key(qtbot, win, Qt.Key.Key_G)  # the Region tool
    sp = win.workflow.superpixels(0)
    sizes = np.bincount(sp.ravel())
    a, b = (int(r) for r in np.argsort(-sizes, kind="stable")[:2])
    spy, whole = PaintSpy(win.canvas), win.canvas.rect()

    def widget_box(rid):
        ys, xs = np.nonzero(sp == rid)
        return win.canvas.image_rect_to_widget((ys.min(), ys.max() + 1, xs.min(), xs.max() + 1)).toAlignedRect()

    painted = spy.painted_after(lambda: qtbot.mouseMove(win.canvas, widget_pos(win, *seed_of(sp, a))))
    assert win.regions.hovered == a and painted.contains(widget_box(a).intersected(whole))
    assert painted.width() * painted.height() < whole.width() * whole.height() / 2
    painted = spy.painted_after(lambda: qtbot.mouseMove(win.canvas, widget_pos(win, *seed_of(sp, b))))
    assert win.regions.hovered == b
    assert painted.contains(widget_box(a).united(widget_box(b)).intersected(whole))  # the old outline goes too
    assert painted != whole
    painted = spy.painted_after(lambda: QApplication.sendEvent(win.canvas, QEvent(QEvent.Type.Leave)))
    assert win.canvas.region_outline is None and painted.contains(widget_box(b).intersected(whole))
