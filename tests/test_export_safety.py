"""``labor export`` never reads, writes or removes anything outside its folder, never
writes over a person's own files without being asked, and fails in one line
(issue 21: cases 4-6, 10 and the full disk's stray ``libpng error``)."""

import os
import resource
import signal
import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest

from labor_desktop.cli import main
from labor_desktop.engine.projects.export import ExportError, export_project
from labor_desktop.store import ImageEntry, Project, ProjectSettings

ROOT = Path(__file__).resolve().parents[1]


def _project(tmp_path, n=2, size=4):
    images = [ImageEntry(f"leftImg8bit/train/c/c_{k}_leftImg8bit.png", size, size) for k in range(n)]
    p = Project.create(tmp_path / "e.labor.h5", ProjectSettings(classes=[str(i) for i in range(19)]), images)
    rng = np.random.default_rng(0)
    for i in range(n):
        p.save_labels(i, rng.integers(0, 19, (size, size)).astype(np.uint8), 1)
    return p


def test_a_linked_gtfine_folder_loses_nothing_to_the_clean_up(tmp_path):
    """Case 6: the previous export's files, reached through a link, are never removed."""
    p = _project(tmp_path)
    out = tmp_path / "out"
    export_project(p.path, out)
    elsewhere = tmp_path / "elsewhere"
    os.rename(out / "gtFine", elsewhere)  # the same names, now outside the export folder
    os.symlink(elsewhere, out / "gtFine")
    for i in range(2):
        p.save_labels(i, np.full((4, 4), 255, np.uint8), 1)  # nothing labelled: all are stale
    p.close()
    result = export_project(tmp_path / "e.labor.h5", out)
    assert result["removed"] == 0
    assert sorted(f.name for f in elsewhere.rglob("*.png")) == [
        "c_0_gtFine_color.png",
        "c_0_gtFine_labelTrainIds.png",
        "c_1_gtFine_color.png",
        "c_1_gtFine_labelTrainIds.png",
    ]


def test_the_clean_up_removes_regular_files_only(tmp_path):
    p = _project(tmp_path, n=1)
    out = tmp_path / "out"
    export_project(p.path, out)
    label = out / "gtFine/train/c/c_0_gtFine_labelTrainIds.png"
    outside = tmp_path / "precious.png"
    outside.write_bytes(b"mine")
    label.unlink()
    os.symlink(outside, label)  # a link at a listed name: neither it nor its target goes
    p.save_labels(0, np.full((4, 4), 255, np.uint8), 1)
    p.close()
    result = export_project(tmp_path / "e.labor.h5", out)
    assert result["removed"] == 1  # the colour PNG, a regular file
    assert os.path.islink(label) and outside.read_bytes() == b"mine"
    assert not (out / "gtFine/train/c/c_0_gtFine_color.png").exists()


def test_a_link_inside_the_export_tree_is_refused_not_written_through(tmp_path):
    p = _project(tmp_path, n=1)
    p.close()
    out, elsewhere = tmp_path / "out", tmp_path / "elsewhere"
    out.mkdir()
    elsewhere.mkdir()
    os.symlink(elsewhere, out / "gtFine")
    with pytest.raises(ExportError, match="gtFine: is a link or a file, not a folder, inside the export folder"):
        export_project(tmp_path / "e.labor.h5", out, replace=True)
    assert list(elsewhere.iterdir()) == []


def test_links_at_the_temporary_names_are_never_written_through(tmp_path):
    """Cases 4-5: ``.budget_per_image.tmp.csv`` and ``.<name>.tmp.png`` as links."""
    p = _project(tmp_path, n=1)
    out = tmp_path / "out"
    export_project(p.path, out)
    targets = {}
    for name in (".budget_per_image.tmp.csv", "gtFine/train/c/.c_0_gtFine_labelTrainIds.tmp.png"):
        target = tmp_path / f"target{len(targets)}"
        target.write_bytes(b"untouched")
        os.symlink(target, out / name)
        targets[name] = target
    p.close()
    export_project(tmp_path / "e.labor.h5", out)
    assert [t.read_bytes() for t in targets.values()] == [b"untouched", b"untouched"]
    for name in ("budget_per_image.csv", "gtFine/train/c/c_0_gtFine_labelTrainIds.png"):
        assert not os.path.islink(out / name)
    assert (out / "budget_per_image.csv").read_text().startswith("image,path,label_file,")
    with Project.open(tmp_path / "e.labor.h5", read_only=True) as q:
        labels = q.labels(0)[0]
    got = cv2.imread(str(out / "gtFine/train/c/c_0_gtFine_labelTrainIds.png"), cv2.IMREAD_UNCHANGED)
    assert np.array_equal(got, labels)
    assert sorted(f.name for f in out.rglob(".*") if not f.is_symlink()) == []  # no temporaries left


def test_a_folder_with_a_persons_own_files_is_refused_unless_asked(tmp_path, capsys):
    """Case 10: no manifest, a ``budget_per_image.csv`` of the person's own."""
    _project(tmp_path, n=1).close()
    out = tmp_path / "out"
    out.mkdir()
    (out / "budget_per_image.csv").write_text("my own budget\n")
    assert main(["export", str(tmp_path / "e.labor.h5"), "--out", str(out)]) == 1
    err = capsys.readouterr().err
    assert err == (
        f"error: {out}: the folder is not empty and is not an earlier export of this project; "
        "choose an empty folder, or export with --replace to write over files of the same names in it\n"
    )
    assert sorted(f.name for f in out.iterdir()) == ["budget_per_image.csv"]
    assert (out / "budget_per_image.csv").read_text() == "my own budget\n"
    assert main(["export", str(tmp_path / "e.labor.h5"), "--out", str(out), "--replace"]) == 0
    assert (out / "budget_per_image.csv").read_text().startswith("image,path,")
    assert main(["export", str(tmp_path / "e.labor.h5"), "--out", str(out)]) == 0  # now an earlier export


def test_an_export_of_another_project_is_refused_unless_asked(tmp_path):
    _project(tmp_path, n=1).close()
    other = tmp_path / "other"
    other.mkdir()
    _project(other, n=1).close()
    out = tmp_path / "out"
    export_project(other / "e.labor.h5", out)
    with pytest.raises(ExportError, match="the folder is not empty and is an export of another project"):
        export_project(tmp_path / "e.labor.h5", out)
    export_project(tmp_path / "e.labor.h5", out, replace=True)


def test_an_empty_existing_folder_is_accepted(tmp_path):
    _project(tmp_path, n=1).close()
    (tmp_path / "out").mkdir()
    assert export_project(tmp_path / "e.labor.h5", tmp_path / "out")["labeled_images"] == 1


def _small_files_only():
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit fails with EFBIG
    resource.setrlimit(resource.RLIMIT_FSIZE, (300, 300))


@pytest.mark.slow  # a child process importing torch: 16 s under load
def test_a_full_disk_during_export_is_one_line_naming_the_file(tmp_path):
    """Unclear before: libpng's own ``libpng error`` line, then a vague one."""
    _project(tmp_path, n=1, size=64).close()  # a 64x64 random label PNG is over 300 bytes
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    cmd = [sys.executable, "-m", "labor_desktop.cli", "export", str(tmp_path / "e.labor.h5"), "--out", "out"]
    done = subprocess.run(cmd, cwd=tmp_path, env=env, capture_output=True, text=True, preexec_fn=_small_files_only)
    assert done.returncode == 1
    assert done.stderr == (
        "error: out/gtFine/train/c/c_0_gtFine_labelTrainIds.png: could not be written (File too large); "
        "free space on the disk or choose another folder\n"
    )
    assert sorted(str(f.relative_to(tmp_path / "out")) for f in (tmp_path / "out").rglob("*")) == [
        "gtFine",
        "gtFine/train",
        "gtFine/train/c",
    ]
