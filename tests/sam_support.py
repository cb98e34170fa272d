"""A tiny random SAM checkpoint in Hugging Face's layout, made with ``transformers`` itself
(``save_pretrained``): the real load, embed and click path runs on it in a second, without
the real weights (375 MB and more) that a person places in models/sam."""

from pathlib import Path

import torch

IMAGE_SIZE = 64  # the model's input side (SAM's is 1024): embeddings 4x4, low-res masks 16x16


def save_tiny_sam(folder: Path, seed: int = 0) -> Path:
    """Write a randomly initialised SamModel (2 encoder layers, 16-32 wide) and its
    processor's config to ``folder``."""
    from transformers import SamConfig, SamImageProcessor, SamModel

    config = SamConfig(
        vision_config={
            "hidden_size": 32,
            "output_channels": 16,
            "num_hidden_layers": 2,
            "num_attention_heads": 2,
            "image_size": IMAGE_SIZE,
            "patch_size": 16,
            "window_size": 2,
            "global_attn_indexes": [1],
            "num_pos_feats": 8,
            "mlp_dim": 64,
        },
        prompt_encoder_config={"hidden_size": 16, "image_size": IMAGE_SIZE, "patch_size": 16, "mask_input_channels": 4},
        mask_decoder_config={
            "hidden_size": 16,
            "mlp_dim": 32,
            "num_hidden_layers": 2,
            "num_attention_heads": 2,
            "iou_head_hidden_dim": 16,
        },
    )
    torch.manual_seed(seed)
    SamModel(config).save_pretrained(folder)
    SamImageProcessor(
        size={"longest_edge": IMAGE_SIZE},
        pad_size={"height": IMAGE_SIZE, "width": IMAGE_SIZE},
        mask_size={"longest_edge": IMAGE_SIZE // 4},
        mask_pad_size={"height": IMAGE_SIZE // 4, "width": IMAGE_SIZE // 4},
    ).save_pretrained(folder)
    return folder
