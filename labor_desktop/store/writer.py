"""Writing a whole project file: to ``NAME.tmp``, fsync, then an atomic rename over
the old file, so a kill at any moment leaves either the old file or the new one."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import h5py
import numpy as np

from . import codec
from .checks import LABEL_BLOBS, label_group, proposal_group
from .journal import open_nofollow
from .schema import FORMAT, VERSION, ImageEntry, ProjectError, ProjectSettings

# labels/<image>: attribute bbox (y0, y1, x0, x1); each dataset a zlib stream (see codec.encode_labels)
__all__ = ["LABEL_BLOBS", "write_project"]


def write_project(
    path: Path,
    settings: ProjectSettings,
    images: list[ImageEntry],
    effort: np.ndarray,
    history: dict[int, dict[str, Any]],
    labels: dict[int, bytes],
    proposals: dict[tuple[int, int], bytes],
    base: h5py.File | None = None,
    stage_effort: dict[int, list[float]] | None = None,
    unsure: dict[int, dict[int, list[int]]] | None = None,
    generation: int = 0,
) -> None:
    """``labels``: image -> labels payload and ``proposals``: (stage, image) -> proposal
    payload (journal encodings), the newer states; anything else is copied from ``base``,
    each group checked first (``checks.Damaged`` if it is not what the schema says)."""
    tmp = path.with_name(path.name + ".tmp")
    remove_leftover(tmp)  # never write through a link someone left there
    os.close(open_nofollow(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL))
    try:
        with h5py.File(tmp, "w", libver="latest") as f:
            # Strings are fixed-length, never variable-length: those live in HDF5's global heap, the
            # one metadata without a checksum, and a few zero bytes there make HDF5 loop forever.
            f.attrs["format"] = _fixed(FORMAT)
            f.attrs["version"] = VERSION
            f.attrs["generation"] = int(generation)
            f.attrs["settings"] = _fixed(json.dumps(settings.to_dict()))
            f.attrs["history"] = _fixed(json.dumps({str(k): v for k, v in history.items()}))
            f.attrs["stage_effort"] = _fixed(json.dumps({str(k): v for k, v in (stage_effort or {}).items()}))
            f.attrs["unsure"] = _fixed(
                json.dumps({str(s): {str(i): ks for i, ks in per.items() if ks} for s, per in (unsure or {}).items()})
            )
            g = f.create_group("images")
            paths = [e.path.encode() for e in images]
            g.create_dataset("path", data=np.array(paths, dtype=f"S{max([1, *map(len, paths)])}"))
            g.create_dataset("height", data=np.array([e.height for e in images], np.int32))
            g.create_dataset("width", data=np.array([e.width for e in images], np.int32))
            f.create_dataset("effort", data=np.asarray(effort, np.float64))
            lab = f.create_group("labels")
            if base is not None and "labels" in base:
                for key in base["labels"]:
                    if int(key) not in labels:
                        i = int(key)
                        label_group(base, i, (images[i].height, images[i].width))
                        base.copy(base["labels"][key], lab, name=key)
            for i, payload in labels.items():
                header, blobs = codec.decode(payload)
                if header["bbox"] is None:
                    continue  # everything erased: no labels to keep
                gi = lab.create_group(str(i))
                gi.attrs["bbox"] = np.array(header["bbox"], np.int32)
                for name, blob in zip(LABEL_BLOBS, blobs):
                    gi.create_dataset(name, data=np.frombuffer(blob, np.uint8))
            props = f.create_group("proposals")
            if base is not None and "proposals" in base:
                for skey in base["proposals"]:
                    for key in base["proposals"][skey]:
                        if (int(skey), int(key)) not in proposals:
                            proposal_group(base, int(skey), int(key))
                            dst = props.require_group(skey)
                            base.copy(base["proposals"][skey][key], dst, name=key)
            for (stage, i), payload in proposals.items():
                header, blobs = codec.decode(payload)
                gi = props.require_group(str(stage)).create_group(str(i))
                if header["has_mask"]:
                    gi.create_dataset("mask", data=np.frombuffer(blobs[0], np.uint8))
                gi.create_dataset("points", data=np.frombuffer(blobs[1], np.int32).reshape(-1, 3))
                if header.get("region_size") is not None:
                    gi.attrs["region_size"] = np.int32(header["region_size"])
        with open(tmp, "rb+") as fh:
            os.fsync(fh.fileno())
        os.replace(tmp, path)
        _fsync_dir(path.parent)
    except BaseException:
        if os.path.lexists(tmp):
            tmp.unlink()
        raise


def _fixed(text: str) -> np.bytes_:
    return np.bytes_(text.encode())


def remove_leftover(tmp: Path) -> None:
    """Remove a leftover ``NAME.labor.h5.tmp`` (an interrupted compaction, or a link); a folder
    of that name is nobody's compaction: ``ProjectError``, and it is left alone."""
    if os.path.isdir(tmp) and not os.path.islink(tmp):
        raise ProjectError(f"{tmp}: is a folder where the project writes its next snapshot; move it away and try again")
    if os.path.lexists(tmp):
        os.unlink(tmp)


def _fsync_dir(folder: Path) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
