"""The optional SAM click-to-mask assist (issue 24): a click on an image gives a bool mask
at the image's full size, which the window labels with one class like a region.

The model code is Hugging Face ``transformers``' ``SamModel`` (the ``[sam]`` extra); the
weights are a folder a person places, in Hugging Face's layout (``config.json``,
``model.safetensors``, ``preprocessor_config.json``: a copy of ``facebook/sam-vit-base``,
``-large``, ``-huge`` or a SlimSAM), at ``models/sam/`` or where ``LABOR_SAM_DIR`` says.
Nothing is ever downloaded: the folder is read with ``local_files_only`` under
``HF_HUB_OFFLINE=1``, and only safetensors weights are read (a ``.bin`` is a pickle, and a
checkpoint is untrusted input).  The model loads once, on the first use (CUDA when there
is one); an image is embedded once (the slow part: the ViT encoder) and kept for later
clicks; a click runs only the small prompt encoder and mask decoder.  Every way it can
fail is a ``SamUnavailable`` of one line that names the folder and what to put there.
"""

from __future__ import annotations

import importlib.util
import json
import os
import threading
from collections import OrderedDict
from collections.abc import Hashable, Mapping
from pathlib import Path
from typing import Any

import numpy as np
import torch

FOLDER_VARIABLE = "LABOR_SAM_DIR"
CHECKOUT_MODELS = Path(__file__).resolve().parents[2] / "models"  # the source checkout's models/
FILES = ("config.json", "model.safetensors", "preprocessor_config.json")
WHAT = "a SAM checkpoint in Hugging Face format (config.json, model.safetensors, preprocessor_config.json, e.g. a copy of facebook/sam-vit-base)"
INSTALL = "pip install 'labor-desktop[sam]' (or: pip install transformers)"
KEEP_EMBEDDINGS = 4  # images whose embedding is kept (4 MB each at SAM's 64x64x256)


class SamUnavailable(RuntimeError):
    """The assist cannot run; the message (one line) says where the weights go or what to install."""


def sam_folder(environ: Mapping[str, str] = os.environ, cwd: Path | None = None) -> Path:
    """Where the weights are looked for: ``$LABOR_SAM_DIR``, else ``models/sam`` in the
    current folder when it has one, else the source checkout's ``models/sam``."""
    if environ.get(FOLDER_VARIABLE):
        return Path(environ[FOLDER_VARIABLE]).expanduser().resolve()
    here = (cwd or Path.cwd()) / "models" / "sam"
    return here.resolve() if here.is_dir() else CHECKOUT_MODELS / "sam"


def check_folder(folder: Path) -> None:
    """Refuse a folder that cannot hold a SAM checkpoint, without importing ``transformers``
    (the window asks this to enable the tool)."""
    if not folder.is_dir():
        raise SamUnavailable(f"no SAM weights: {folder} does not exist; place {WHAT} there")
    missing = [f for f in FILES if not (folder / f).is_file()]
    if missing:
        raise SamUnavailable(f"no SAM weights: {folder} lacks {', '.join(missing)}; place {WHAT} there")
    try:
        kind = json.loads((folder / "config.json").read_text()).get("model_type")
    except (OSError, ValueError, AttributeError) as e:
        raise SamUnavailable(
            f"damaged SAM checkpoint in {folder}: config.json is not a JSON object ({e}); place {WHAT} there"
        ) from None
    if kind != "sam":
        raise SamUnavailable(
            f"not a SAM checkpoint in {folder}: config.json says model_type {kind!r}, not 'sam'; place {WHAT} there"
        )


def sam_available(folder: Path) -> str | None:
    """Why the assist cannot run from ``folder`` (one line), or None when it may: the
    folder's files are there and ``transformers`` is installed.  Cheap: nothing is imported
    or loaded; a damaged checkpoint shows itself on the first load."""
    try:
        check_folder(folder)
    except SamUnavailable as e:
        return str(e)
    if importlib.util.find_spec("transformers") is None:
        return f"the SAM assist needs the transformers package: {INSTALL}"
    return None


def _transformers():
    os.environ["HF_HUB_OFFLINE"] = "1"  # read before huggingface_hub's first import: never a download
    os.environ["TRANSFORMERS_OFFLINE"] = "1"
    try:
        import transformers
    except ImportError:
        raise SamUnavailable(f"the SAM assist needs the transformers package: {INSTALL}") from None
    transformers.utils.logging.disable_progress_bar()  # no "Loading weights" bars on the terminal
    return transformers


def pick_device() -> torch.device:
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


class SamAssist:
    """One SAM checkpoint, loaded on first use, with the embeddings of the last few images.
    Thread-safe (one lock): the window calls it from its background jobs."""

    def __init__(self, folder: Path, device: torch.device | None = None) -> None:
        self.folder = Path(folder)
        self.device = device
        self._lock = threading.Lock()
        self._model: Any = None
        self._processor: Any = None
        self._embeddings: OrderedDict[Hashable, tuple[torch.Tensor, tuple[int, int], tuple[int, int]]] = OrderedDict()
        self.embedded = 0  # images embedded so far (the cache's misses)

    @property
    def loaded(self) -> bool:
        return self._model is not None

    def has_embedding(self, key: Hashable) -> bool:
        return key in self._embeddings

    def _load(self) -> None:
        if self._model is not None:
            return
        check_folder(self.folder)
        tf = _transformers()
        try:
            model, info = tf.SamModel.from_pretrained(
                str(self.folder), local_files_only=True, use_safetensors=True, output_loading_info=True
            )
            processor = tf.SamImageProcessor.from_pretrained(str(self.folder), local_files_only=True)
        except Exception as e:  # noqa: BLE001 - safetensors, JSON and shape errors alike: one line
            first = (str(e).strip().splitlines() or [type(e).__name__])[0][:200]
            raise SamUnavailable(f"damaged SAM checkpoint in {self.folder}: {first}; place {WHAT} there") from None
        missing = sorted(str(k) for k in info.get("missing_keys", ()))
        if missing or info.get("mismatched_keys"):
            what = f"{len(missing)} weights missing (e.g. {missing[0]})" if missing else "weights of the wrong shape"
            raise SamUnavailable(f"foreign or damaged SAM checkpoint in {self.folder}: {what}; place {WHAT} there")
        self.device = self.device or pick_device()
        self._model, self._processor = model.to(self.device).eval(), processor

    def load(self) -> None:
        """Load the model now (it loads by itself on first use)."""
        with self._lock:
            self._load()

    def embed(self, key: Hashable, image: np.ndarray) -> bool:
        """Embed ``image`` (RGB uint8 ``[H, W, 3]``) under ``key`` unless it is kept already;
        True when it was computed now."""
        with self._lock:
            return self._embed(key, image)

    def _embed(self, key: Hashable, image: np.ndarray) -> bool:
        if key in self._embeddings:
            self._embeddings.move_to_end(key)
            return False
        self._load()
        if image.ndim != 3 or image.shape[2] != 3 or image.dtype != np.uint8:
            raise ValueError(f"SAM needs an RGB uint8 image [H, W, 3], not {image.dtype} {image.shape}")
        batch = self._processor(images=image, return_tensors="pt")
        with torch.inference_mode():
            emb = self._model.get_image_embeddings(batch["pixel_values"].to(self.device))
        (h, w), (rh, rw) = ([int(v) for v in batch[k][0]] for k in ("original_sizes", "reshaped_input_sizes"))
        self._embeddings[key] = (emb, (h, w), (rh, rw))
        while len(self._embeddings) > KEEP_EMBEDDINGS:
            self._embeddings.popitem(last=False)
        self.embedded += 1
        return True

    def mask(self, key: Hashable, image: np.ndarray, y: float, x: float) -> np.ndarray:
        """The mask of the object at pixel (y, x): bool ``[H, W]``.  Of SAM's three masks
        for one click (part, object, whole) the one it scores best, as SAM's own predictor
        advises for a single point.  Embeds ``image`` first unless ``key``'s is kept."""
        with self._lock:
            self._embed(key, image)
            emb, (h, w), (rh, rw) = self._embeddings[key]
            if not (0 <= y < h and 0 <= x < w):
                raise ValueError(f"({y}, {x}) is outside the {h}x{w} image")
            # the processor's coordinate rule: the pixel's centre in the resized image
            point = torch.tensor([[[[(x + 0.5) * rw / w, (y + 0.5) * rh / h]]]], dtype=torch.float32)
            with torch.inference_mode():
                out = self._model(
                    image_embeddings=emb,
                    input_points=point.to(self.device),
                    input_labels=torch.ones((1, 1, 1), dtype=torch.long, device=self.device),
                    multimask_output=True,
                )
                best = int(out.iou_scores[0, 0].argmax())
                low = out.pred_masks[:, 0, best : best + 1].float().cpu()  # [1, 1, 256, 256]
                full = self._processor.post_process_masks([low], [(h, w)], [(rh, rw)])[0]
            return full[0, 0].numpy().astype(bool, copy=False)
