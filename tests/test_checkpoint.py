import pytest
import torch
import torchvision

from labor_desktop.core.checkpoint import (
    CheckpointError,
    load_backbone_weights,
    load_model,
    read_checkpoint,
    save_checkpoint,
)
from labor_desktop.core.model import DeepLabV2, ModelConfig


class Gadget:  # a pickled object a malicious checkpoint might carry
    def __reduce__(self):
        return (print, ("this ran while loading",))


@pytest.fixture(scope="module")
def r101_state():
    return DeepLabV2(ModelConfig.preset("advent")).state_dict()


def test_roundtrip_restores_config_and_outputs(tmp_path):
    cfg = ModelConfig(backbone="resnet18", num_classes=7, style="caffe")
    model = DeepLabV2(cfg).eval()
    digest = save_checkpoint(tmp_path / "m.pt", model, extra={"stage": 2})
    assert len(digest) == 64
    loaded = load_model(tmp_path / "m.pt").eval()
    assert loaded.cfg == cfg
    x = torch.rand(1, 3, 32, 48)
    with torch.no_grad():
        torch.testing.assert_close(loaded(x), model(x))
    assert read_checkpoint(tmp_path / "m.pt")["extra"] == {"stage": 2}
    assert not (tmp_path / "m.pt.tmp").exists()


def test_advent_single_level_keys_load(tmp_path, r101_state):
    # ADVENT single-level names its head layer6; DataParallel adds "module.".
    sd = {("module." + k.replace("layer5.", "layer6.")): v for k, v in r101_state.items()}
    sd["module.bn1.num_batches_tracked"] = torch.tensor(0)
    torch.save(sd, tmp_path / "advent.pth")
    model = load_model(tmp_path / "advent.pth", ModelConfig.preset("advent"))
    torch.testing.assert_close(model.layer5.conv2d_list[2].weight, r101_state["layer5.conv2d_list.2.weight"])


def test_adaptsegnet_multi_level_keys_load_main_head(tmp_path, r101_state):
    # Multi-level: layer5 = auxiliary head on layer3 (1024 ch), layer6 = main head on layer4.
    sd = {k.replace("layer5.", "layer6."): v for k, v in r101_state.items()}
    for i in range(4):
        sd[f"layer5.conv2d_list.{i}.weight"] = torch.zeros(19, 1024, 3, 3)
        sd[f"layer5.conv2d_list.{i}.bias"] = torch.zeros(19)
    torch.save({"state_dict": sd}, tmp_path / "adaptsegnet.pth")
    model = load_model(tmp_path / "adaptsegnet.pth", ModelConfig.preset("adaptsegnet"))
    assert model.cfg.aspp_branches == 2
    torch.testing.assert_close(model.layer5.conv2d_list[0].weight, r101_state["layer5.conv2d_list.0.weight"])


def test_foreign_checkpoint_architecture_is_inferred(tmp_path):
    sd = DeepLabV2(ModelConfig(backbone="resnet50", num_classes=16)).state_dict()
    torch.save(sd, tmp_path / "w.pth")
    model = load_model(tmp_path / "w.pth")
    assert model.cfg.backbone == "resnet50" and model.cfg.num_classes == 16


def test_pickled_object_is_refused(tmp_path, capsys):
    sd = DeepLabV2(ModelConfig(backbone="resnet18")).state_dict()
    torch.save({"state_dict": sd, "gadget": Gadget()}, tmp_path / "evil.pth")
    with pytest.raises(CheckpointError, match=r"evil\.pth.*pickled Python objects"):
        load_model(tmp_path / "evil.pth", ModelConfig(backbone="resnet18"))
    assert "this ran" not in capsys.readouterr().out


def test_other_class_count_is_refused_with_reason(tmp_path):
    sd = DeepLabV2(ModelConfig(backbone="resnet18", num_classes=21)).state_dict()
    torch.save(sd, tmp_path / "voc.pth")
    with pytest.raises(CheckpointError, match=r"voc\.pth.*21 classes but the project has 19"):
        load_model(tmp_path / "voc.pth", ModelConfig(backbone="resnet18"))


def test_other_backbone_is_refused_with_reason(tmp_path):
    torch.save(DeepLabV2(ModelConfig(backbone="resnet50")).state_dict(), tmp_path / "r50.pth")
    with pytest.raises(CheckpointError, match=r"it is a resnet50 but the model is configured as resnet101"):
        load_model(tmp_path / "r50.pth", ModelConfig(backbone="resnet101"))


def test_truncated_and_missing_files(tmp_path):
    save_checkpoint(tmp_path / "m.pt", DeepLabV2(ModelConfig(backbone="resnet18")))
    data = (tmp_path / "m.pt").read_bytes()
    (tmp_path / "cut.pt").write_bytes(data[: len(data) // 2])
    with pytest.raises(CheckpointError, match=r"cut\.pt: not a readable PyTorch checkpoint"):
        load_model(tmp_path / "cut.pt")
    with pytest.raises(CheckpointError, match=r"nope\.pt: no such checkpoint file"):
        load_model(tmp_path / "nope.pt")


def test_newer_format_is_refused(tmp_path):
    model = DeepLabV2(ModelConfig(backbone="resnet18"))
    save_checkpoint(tmp_path / "m.pt", model)
    obj = torch.load(tmp_path / "m.pt", weights_only=True)
    obj["format_version"] = 99
    torch.save(obj, tmp_path / "future.pt")
    with pytest.raises(CheckpointError, match="newer LabOR Desktop"):
        load_model(tmp_path / "future.pt")


def test_imagenet_weights_load_into_backbone_only(tmp_path):
    tv = torchvision.models.resnet18()
    torch.save(tv.state_dict(), tmp_path / "resnet18-imagenet.pth")
    model = DeepLabV2(ModelConfig(backbone="resnet18"))
    head = model.layer5.conv2d_list[0].weight.clone()
    load_backbone_weights(model, tmp_path / "resnet18-imagenet.pth")
    torch.testing.assert_close(model.layer3[1].conv2.weight, tv.layer3[1].conv2.weight)
    torch.testing.assert_close(model.bn1.running_var, tv.bn1.running_var)
    assert torch.equal(model.layer5.conv2d_list[0].weight, head)
    with pytest.raises(CheckpointError, match="resnet18 but the model is configured as resnet50"):
        load_backbone_weights(DeepLabV2(ModelConfig(backbone="resnet50")), tmp_path / "resnet18-imagenet.pth")


def test_deeplab_init_checkpoint_skips_old_21_class_head(tmp_path, r101_state):
    sd = {"Scale." + k: v for k, v in r101_state.items() if not k.startswith("layer5.")}
    for i in range(4):
        sd[f"Scale.layer5.conv2d_list.{i}.weight"] = torch.zeros(21, 2048, 3, 3)
        sd[f"Scale.layer5.conv2d_list.{i}.bias"] = torch.zeros(21)
    torch.save(sd, tmp_path / "DeepLab_resnet_pretrained_init.pth")
    model = DeepLabV2(ModelConfig.preset("advent"))
    load_backbone_weights(model, tmp_path / "DeepLab_resnet_pretrained_init.pth")
    torch.testing.assert_close(model.layer4[2].conv3.weight, r101_state["layer4.2.conv3.weight"])
    assert model.layer5.conv2d_list[0].weight.shape[0] == 19
