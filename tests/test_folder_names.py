"""A file name that is not UTF-8 (issue 21, unclear): ``labor new`` accepted it in the
scan, then creation failed blaming the disk and left the lock file behind.  The scan now
names the image and refuses it (or leaves it out when asked), and nothing is written."""

import os
import shutil

from folder_support import make_all

from labor_desktop.cli import main
from labor_desktop.data.folders import scan_images
from labor_desktop.engine.projects.new_project import plan_project
from labor_desktop.store import Project

BAD = b"\xff\xfe.jpg"


def _with_a_bad_name(tmp_path):
    d = make_all(tmp_path)
    shutil.copy(d["images"] / "city" / "day" / "turned.jpg", os.path.join(os.fsencode(d["images"]), BAD))
    return d


def test_the_scan_names_an_image_whose_name_is_not_utf8(tmp_path):
    d = _with_a_bad_name(tmp_path)
    scan = scan_images(d["images"])
    assert [os.fsencode(u.path.name) for u in scan.unreadable] == [BAD]
    assert scan.unreadable[0].reason == (
        f"the file name is not UTF-8 text ({d['images']}/\\xff\\xfe.jpg), which a project cannot hold; rename the file"
    )
    assert len(scan.samples) == 5


def test_labor_new_refuses_it_and_writes_nothing(tmp_path, capsys):
    d = _with_a_bad_name(tmp_path)
    before = sorted(os.listdir(tmp_path))
    args = ["new", str(tmp_path / "mine.labor.h5"), "--images", str(d["images"]), "--classes", str(d["table"])]
    assert main([*args, "--checkpoint", str(d["checkpoint"]), "--preset", "smoke"]) == 1
    err = capsys.readouterr().err
    assert "error (--images):" in err and "1 of 6 images cannot be used:" in err
    assert "the file name is not UTF-8 text (" in err and "\\xff\\xfe.jpg), which a project cannot hold" in err
    assert sorted(os.listdir(tmp_path)) == before  # no project, no journal, no lock


def test_left_out_when_asked_and_the_project_is_made(tmp_path):
    d = _with_a_bad_name(tmp_path)
    plan = plan_project(
        images=str(d["images"]),
        classes=str(d["table"]),
        checkpoint=str(d["checkpoint"]),
        preset_name="smoke",
        skip_unreadable=True,
        file=str(tmp_path / "s.labor.h5"),
    )
    assert len(plan.data.target) == 5 and plan.spec["skipped"] == ["\\xff\\xfe.jpg"]  # printable
    plan.create()
    with Project.open(tmp_path / "s.labor.h5", read_only=True) as p:
        assert len(p.images) == 5
