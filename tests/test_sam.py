"""The SAM assist's Qt-free core (issue 24): where the weights are looked for, the one-line
refusal of every bad folder, and the real load -> embed -> click -> mask path on a tiny
random SamModel saved with ``transformers`` (the same code path real weights take)."""

import json
import sys

import numpy as np
import pytest
import torch
from sam_support import save_tiny_sam

from labor_desktop.core import sam
from labor_desktop.core.sam import SamAssist, SamUnavailable, check_folder, sam_available, sam_folder


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    return save_tiny_sam(tmp_path_factory.mktemp("models") / "sam")


def an_image(h=48, w=80, seed=0):
    rng = np.random.default_rng(seed)
    image = np.zeros((h, w, 3), np.uint8)
    image[:, : w // 2] = (200, 40, 40)
    image[h // 3 :, w // 2 :] = (30, 160, 60)
    return np.clip(image + rng.integers(0, 20, image.shape), 0, 255).astype(np.uint8)


# ---- where -----------------------------------------------------------------------------------
def test_the_folder_is_the_variable_s_else_models_sam_here_else_the_checkout_s(tmp_path):
    assert sam_folder({"LABOR_SAM_DIR": str(tmp_path / "w")}, tmp_path) == (tmp_path / "w").resolve()
    assert sam_folder({}, tmp_path) == sam.CHECKOUT_MODELS / "sam"  # no models/sam here
    (tmp_path / "models" / "sam").mkdir(parents=True)
    assert sam_folder({}, tmp_path) == (tmp_path / "models" / "sam").resolve()
    assert sam_folder({"LABOR_SAM_DIR": ""}, tmp_path) == (tmp_path / "models" / "sam").resolve()


# ---- refusals: one line naming the folder and what to place there -----------------------------
def refusal(folder) -> str:
    with pytest.raises(SamUnavailable) as e:
        SamAssist(folder).load()
    text = str(e.value)
    assert "\n" not in text and str(folder) in text
    assert sam_available(folder) in (None, text)  # the cheap check says the same, where it can tell
    return text


def test_no_folder(tmp_path):
    text = refusal(tmp_path / "sam")
    assert text == (
        f"no SAM weights: {tmp_path / 'sam'} does not exist; place a SAM checkpoint in Hugging Face format "
        "(config.json, model.safetensors, preprocessor_config.json, e.g. a copy of facebook/sam-vit-base) there"
    )


def test_a_folder_without_config_or_weights(tmp_path, tiny):
    (tmp_path / "sam").mkdir()
    assert "lacks config.json, model.safetensors, preprocessor_config.json; place a SAM checkpoint" in refusal(
        tmp_path / "sam"
    )
    (tmp_path / "sam" / "config.json").write_text((tiny / "config.json").read_text())
    assert "lacks model.safetensors, preprocessor_config.json; place" in refusal(tmp_path / "sam")


def copy(tiny, dest):
    dest.mkdir()
    for f in sam.FILES:
        (dest / f).write_bytes((tiny / f).read_bytes())
    return dest


def test_a_damaged_checkpoint(tmp_path, tiny):
    folder = copy(tiny, tmp_path / "sam")
    data = (folder / "model.safetensors").read_bytes()
    (folder / "model.safetensors").write_bytes(data[: len(data) // 2])  # a copy cut short
    assert refusal(folder).startswith(f"damaged SAM checkpoint in {folder}: ")
    (folder / "config.json").write_text("{not json")
    assert refusal(folder).startswith(f"damaged SAM checkpoint in {folder}: config.json is not a JSON object")


def test_a_foreign_checkpoint(tmp_path, tiny):
    folder = copy(tiny, tmp_path / "sam")
    config = json.loads((folder / "config.json").read_text())
    (folder / "config.json").write_text(json.dumps(config | {"model_type": "bert"}))
    assert "config.json says model_type 'bert', not 'sam'" in refusal(folder)
    (folder / "config.json").write_text(json.dumps(config))
    from safetensors.torch import save_file

    save_file({"encoder.weight": torch.zeros(2, 2)}, str(folder / "model.safetensors"))  # another model's weights
    text = refusal(folder)
    assert text.startswith(f"foreign or damaged SAM checkpoint in {folder}: ") and "weights missing" in text


def test_transformers_not_installed(tmp_path, tiny, monkeypatch):
    monkeypatch.setitem(sys.modules, "transformers", None)  # import fails as when it is absent
    expected = (
        "the SAM assist needs the transformers package: pip install 'labor-desktop[sam]' (or: pip install transformers)"
    )
    assert sam_available(tiny) == expected
    with pytest.raises(SamUnavailable, match=r"^the SAM assist needs the transformers package: pip install"):
        SamAssist(tiny).load()


# ---- the real path on a tiny model -----------------------------------------------------------------
def test_click_to_mask_full_size_bool_deterministic_and_embedded_once(tiny):
    check_folder(tiny)
    assert sam_available(tiny) is None
    assist = SamAssist(tiny)
    assert not assist.loaded
    image = an_image()
    mask = assist.mask(7, image, 30, 60)
    assert assist.loaded and assist.device == torch.device("cpu") and sam.os.environ["HF_HUB_OFFLINE"] == "1"
    assert mask.shape == (48, 80) and mask.dtype == np.bool_
    assert assist.embedded == 1 and assist.has_embedding(7)
    again = assist.mask(7, image, 30, 60)
    other = assist.mask(7, image, 5, 10)
    assert assist.embedded == 1  # a cache hit: the encoder ran once for three clicks
    assert np.array_equal(again, mask)
    assert not assist.embed(7, image)  # kept
    fresh = SamAssist(tiny)
    assert np.array_equal(fresh.mask(7, image, 30, 60), mask) and np.array_equal(fresh.mask(7, image, 5, 10), other)


def test_the_mask_is_the_reference_pipeline_s(tiny):
    """What transformers' own processor and model give for the click (its coordinates, its
    post-processing), the mask SAM scores best."""
    from transformers import SamModel, SamProcessor

    image = an_image(60, 100, seed=3)
    y, x = 41, 17
    model = SamModel.from_pretrained(str(tiny), local_files_only=True).eval()
    processor = SamProcessor.from_pretrained(str(tiny), local_files_only=True)
    inputs = processor(images=image, input_points=[[[x + 0.5, y + 0.5]]], return_tensors="pt")
    with torch.inference_mode():
        out = model(**inputs)
    masks = processor.post_process_masks(out.pred_masks, inputs["original_sizes"], inputs["reshaped_input_sizes"])[0]
    best = int(out.iou_scores[0, 0].argmax())
    assert np.array_equal(SamAssist(tiny).mask(0, image, y, x), masks[0, best].numpy())


def test_the_last_few_images_are_kept(tiny):
    assist = SamAssist(tiny)
    for key in range(sam.KEEP_EMBEDDINGS + 1):
        assert assist.embed(key, an_image(seed=key))
    assert not assist.has_embedding(0) and assist.has_embedding(sam.KEEP_EMBEDDINGS)
    assert assist.embedded == sam.KEEP_EMBEDDINGS + 1


def test_a_click_outside_or_a_grey_image_is_refused(tiny):
    assist = SamAssist(tiny)
    with pytest.raises(ValueError, match="outside the 48x80 image"):
        assist.mask(0, an_image(), 48, 3)
    with pytest.raises(ValueError, match="RGB uint8"):
        assist.embed(1, np.zeros((8, 8), np.uint8))
