"""Property-based fuzzing of the journal (issue 12): random flips, truncations, garbage and
crafted frames.  Invariants: opening raises nothing but ProjectError; a failed open changes
no file; every intact record before the first damage is readable (read-only at least); no
record edits an image out of range."""

import os
import shutil
import tempfile
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from labor_desktop.store import ImageEntry, Project, ProjectError, ProjectSettings, SaveError, codec
from labor_desktop.store.journal import HEADER, frame, scan, scan_bytes

N, H, W = 6, 12, 16


def labels_of(i):
    lab = np.full((H, W), 255, np.uint8)
    lab[i : i + 3, i : i + 4] = i + 1
    return lab


@pytest.fixture(scope="module")
def original(tmp_path_factory):
    """A project whose journal holds, per image, one labels record then one effort record."""
    folder = tmp_path_factory.mktemp("fuzz")
    p = Project.create(
        folder / "p.labor.h5",
        ProjectSettings(classes=[str(c) for c in range(8)]),
        [ImageEntry(f"{i}.png", H, W) for i in range(N)],
    )
    for i in range(N):
        p.save_labels(i, labels_of(i), 1)
        p.add_effort(i, clicks=i + 1)
    p.close(compact=False)
    journal = (folder / "p.labor.h5.journal").read_bytes()
    ends = [off + n for off, n in scan(folder / "p.labor.h5.journal").offsets]
    assert len(ends) == 2 * N
    return (folder / "p.labor.h5").read_bytes(), journal, ends


def crafted(kind: str, image: int) -> bytes:
    if kind == "effort":
        h = {"kind": "effort", "image": image, "active_seconds": 1.0, "clicks": 99, "brush_strokes": 0}
        h["points_labeled"] = 0
        return frame(codec.encode(h))
    if kind == "labels":
        return frame(codec.encode({"kind": "labels", "image": image, "shape": [H, W + 1], "bbox": None}))
    if kind == "json":
        return frame(b"\x40\x00\x00\x00{broken")
    return frame(codec.encode({"kind": kind, "image": image}))


damage = st.one_of(
    st.tuples(st.just("flip"), st.integers(0, 10**6), st.integers(0, 7)),
    st.tuples(st.just("truncate"), st.integers(0, 10**6)),
    st.tuples(st.just("garbage"), st.integers(0, 10**6), st.binary(min_size=1, max_size=40)),
    st.tuples(  # mostly the last record's: a complete record whose length runs past the end
        st.just("length"),
        st.one_of(st.just(2 * N - 1), st.integers(0, 2 * N - 1)),
        st.sampled_from([1, 1000, 0xFFFFFFFF, -1]),
    ),
    st.tuples(
        st.just("craft"),
        st.integers(0, 10**6),
        st.sampled_from(["effort", "labels", "json", "history", "nonsense"]),
        st.integers(-3, N + 3),
    ),
)


def mutate(data: bytes, ops) -> tuple[bytes, set[int]]:
    """The damaged journal and the in-range images a crafted effort record may legitimately edit."""
    out, touched = bytearray(data), set()
    starts = [off - HEADER.size for off, _ in scan_bytes(data).offsets]
    for op in ops:
        pos = op[1] % (len(out) + 1)
        if op[0] == "length":  # a record's length field (where the original put it) changed by op[2]
            at = starts[op[1]] + 4
            if at + 4 <= len(out):
                out[at : at + 4] = ((int.from_bytes(out[at : at + 4], "little") + op[2]) % (1 << 32)).to_bytes(
                    4, "little"
                )
        elif op[0] == "flip" and out:
            out[pos % len(out)] ^= 1 << op[2]
        elif op[0] == "truncate":
            del out[pos:]
        elif op[0] == "garbage":
            out[pos:pos] = op[2]
        elif op[0] == "craft":
            out[pos:pos] = crafted(op[2], op[3])
            if op[2] == "effort" and 0 <= op[3] < N:
                touched.add(op[3])
    return bytes(out), touched


def payloads(journal: bytes) -> list[bytes]:
    return [journal[off : off + n] for off, n in scan_bytes(journal).offsets]


def first_difference(a: bytes, b: bytes) -> int:
    n = min(len(a), len(b))
    diff = np.flatnonzero(np.frombuffer(a[:n], np.uint8) != np.frombuffer(b[:n], np.uint8))
    return int(diff[0]) if diff.size else n


def check_state(project: Project, intact: int, touched: set[int]) -> None:
    """Records 0..intact-1 (labels of image k at 2k, its effort at 2k+1) must all show."""
    for r in range(intact):
        i = r // 2
        if r % 2 == 0:
            assert i in project.labeled_images()
            assert np.array_equal(project.labels(i)[0], labels_of(i))
        elif i not in touched:
            assert project.effort(i).clicks == i + 1
    for i in range(N):  # nothing out of range: untouched images have their own counters or none
        assert project.effort(i).clicks in ({i + 1, 0} | ({99} if i in touched else set()))


@pytest.mark.heavy
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ops=st.lists(damage, min_size=1, max_size=3))
@example(ops=[("garbage", 63166, b"\x00")])  # found in CI: a byte inside the last header hid a whole payload
def test_damaged_journal_invariants(original, ops):
    snapshot, journal, ends = original
    bad, touched = mutate(journal, ops)
    intact = sum(1 for e in ends if e <= first_difference(journal, bad))
    with tempfile.TemporaryDirectory() as tmp:
        path, jpath = Path(tmp) / "p.labor.h5", Path(tmp) / "p.labor.h5.journal"
        path.write_bytes(snapshot)
        jpath.write_bytes(bad)
        for read_only in (True, False):
            try:
                project = Project.open(path, read_only=read_only)
            except ProjectError:
                assert not read_only, "read-only opening must always work while the snapshot is intact"
                assert jpath.read_bytes() == bad and path.read_bytes() == snapshot  # a failed open changes nothing
                continue
            try:
                check_state(project, intact, touched)
            finally:
                project.close(compact=False)
            if read_only:
                assert jpath.read_bytes() == bad and path.read_bytes() == snapshot
            else:  # a write-open may cut a torn tail, nothing else
                assert bad.startswith(jpath.read_bytes()) and len(jpath.read_bytes()) >= (
                    ends[intact - 1] if intact else 0
                )
                kept = jpath.read_bytes()  # an acknowledged payload still whole is never cut
                assert [p for p in payloads(journal) if p in bad and p not in kept] == []
                with Project.open(path) as again:
                    check_state(again, intact, touched)
                with Project.open(path) as after_compaction:
                    check_state(after_compaction, intact, touched)
        shutil.rmtree(tmp, ignore_errors=True)


@settings(max_examples=20, deadline=None)
@given(before=st.integers(0, 4), after=st.integers(1, 3), how=st.sampled_from(["delete", "replace", "fifo"]))
def test_journal_removed_or_replaced_under_the_writer_loses_nothing(before, after, how):
    """Whatever takes the journal's name away (removed, another file, a named pipe): every later
    save is refused, every acknowledged one is written back, and no open waits on a pipe."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "p.labor.h5"
        jpath = path.with_name(path.name + ".journal")
        p = Project.create(path, ProjectSettings(classes=[str(c) for c in range(8)]), [ImageEntry("0.png", H, W)] * N)
        for i in range(before):
            p.save_labels(i, labels_of(i), 1)
        jpath.unlink()
        if how == "replace":
            jpath.write_bytes(b"")
        elif how == "fifo":
            os.mkfifo(jpath)
        for i in range(before, before + after):
            with pytest.raises(SaveError, match="was removed or replaced while the project was open"):
                p.save_labels(i % N, labels_of(i % N), 1)
        p.close()
        if how != "delete":
            if how == "fifo":
                with pytest.raises(ProjectError, match="is not a regular file"):
                    Project.open(path, read_only=True)
            os.replace(jpath.with_name(jpath.name + ".rescued-1"), jpath)
        with Project.open(path) as q:
            assert q.labeled_images() == list(range(before))
            for i in range(before):
                assert np.array_equal(q.labels(i)[0], labels_of(i))
