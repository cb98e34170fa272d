import pytest
import torch
import torchvision

from labor_desktop.core.model import DeepLabV2, FrozenBatchNorm2d, ModelConfig, PixelSelector


def _randomize_bn(model, seed=0):
    g = torch.Generator().manual_seed(seed)
    for m in model.modules():
        if isinstance(m, (FrozenBatchNorm2d, torch.nn.BatchNorm2d)):
            n = m.running_mean.numel()
            m.running_mean.copy_(torch.randn(n, generator=g) * 0.1)
            m.running_var.copy_(torch.rand(n, generator=g) + 0.5)
            with torch.no_grad():
                m.weight.copy_(torch.rand(n, generator=g) + 0.5)
                m.bias.copy_(torch.randn(n, generator=g) * 0.1)


@pytest.mark.parametrize("backbone", ["resnet18", "resnet50", "resnet101"])
@pytest.mark.parametrize("style", ["torchvision", "caffe"])
def test_output_shape_and_stride(backbone, style):
    model = DeepLabV2(ModelConfig(backbone=backbone, style=style)).eval()
    x = torch.rand(2, 3, 72, 104)
    with torch.no_grad():
        feat = model.extract(x)
        out = model(x)
    assert out.shape == (2, 19, 72, 104)
    assert feat.shape[1] == (512 if backbone == "resnet18" else 2048)
    assert feat.shape[-2:] == tuple(_stride8(n, style) for n in (72, 104))


def _stride8(n, style):
    """Feature size at output stride 8: conv1 /2, max-pool /2 (ceil_mode in Caffe style), layer2 /2."""
    n = -(-n // 2)
    n = n // 2 + 1 if style == "caffe" else -(-n // 2)
    return -(-n // 2)


def test_caffe_and_torchvision_styles_differ_where_the_family_says():
    caffe = DeepLabV2(ModelConfig(backbone="resnet50", style="caffe"))
    tv = DeepLabV2(ModelConfig(backbone="resnet50", style="torchvision"))
    # Caffe: stride on the 1x1 conv1; torchvision: on the 3x3 conv2.
    assert caffe.layer2[0].conv1.stride == (2, 2) and caffe.layer2[0].conv2.stride == (1, 1)
    assert tv.layer2[0].conv1.stride == (1, 1) and tv.layer2[0].conv2.stride == (2, 2)
    # Caffe: every block of a dilated layer uses its dilation; torchvision: block 0 keeps the previous one.
    assert [b.conv2.dilation[0] for b in caffe.layer3][:2] == [2, 2]
    assert [b.conv2.dilation[0] for b in tv.layer3][:2] == [1, 2]
    assert [b.conv2.dilation[0] for b in caffe.layer4] == [4, 4, 4]
    assert [b.conv2.dilation[0] for b in tv.layer4] == [2, 4, 4]
    assert caffe.maxpool.ceil_mode and not tv.maxpool.ceil_mode
    # ceil_mode is why AdaptSegNet's 512x1024 input gives 65x129 features: 64x128 gives 9x17 vs 8x16.
    x = torch.rand(1, 3, 64, 128)
    with torch.no_grad():
        assert DeepLabV2(ModelConfig(backbone="resnet18", style="caffe")).extract(x).shape[-2:] == (9, 17)
        assert DeepLabV2(ModelConfig(backbone="resnet18", style="torchvision")).extract(x).shape[-2:] == (8, 16)


def test_torchvision_style_matches_torchvision_resnet_exactly():
    tv = torchvision.models.resnet50(replace_stride_with_dilation=[False, True, True]).eval()
    _randomize_bn(tv)
    model = DeepLabV2(ModelConfig(backbone="resnet50", style="torchvision", input_norm="imagenet_rgb")).eval()
    missing, unexpected = model.load_state_dict(
        {k: v for k, v in tv.state_dict().items() if not k.startswith("fc.")}, strict=False
    )
    assert unexpected == [] and all(k.startswith("layer5.") for k in missing)
    x = torch.rand(1, 3, 64, 80)
    with torch.no_grad():
        ref = torchvision.transforms.functional.normalize(x, (0.485, 0.456, 0.406), (0.229, 0.224, 0.225))
        ref = tv.layer4(tv.layer3(tv.layer2(tv.layer1(tv.maxpool(tv.relu(tv.bn1(tv.conv1(ref))))))))
        ours = model.extract(x)
    # BN folded into one multiply-add rounds differently from torchvision's BN: compare at float32 scale.
    assert (ours - ref).abs().max() <= 1e-5 * ref.abs().max()


def test_caffe_input_normalisation_is_bgr_minus_mean_on_0_255():
    model = DeepLabV2(ModelConfig(backbone="resnet18", input_norm="caffe_bgr"))
    x = torch.zeros(1, 3, 2, 2)
    x[:, 0] = 1.0  # pure red in RGB
    y = model.normalize(x)
    assert torch.allclose(y[0, :, 0, 0], torch.tensor([-104.00698793, -116.66876762, 255 - 122.67891434]))


def test_frozen_batchnorm_has_no_trainable_state_and_ignores_mode():
    model = DeepLabV2(ModelConfig(backbone="resnet18"))
    _randomize_bn(model)
    names = [n for n, _ in model.named_parameters()]
    assert not any(".bn" in n or "downsample.1" in n or n.startswith("bn1") for n in names)
    before = {k: v.clone() for k, v in model.state_dict().items() if "running" in k}
    x = torch.rand(2, 3, 48, 48)
    model.train()
    out_train = model(x)
    out_train.sum().backward()
    model.eval()
    with torch.no_grad():
        out_eval = model(x)
    torch.testing.assert_close(out_train.detach(), out_eval)
    after = model.state_dict()
    assert all(torch.equal(before[k], after[k]) for k in before)


def test_unfrozen_batchnorm_option_trains_statistics():
    model = DeepLabV2(ModelConfig(backbone="resnet18", freeze_bn=False)).train()
    before = model.bn1.running_mean.clone()
    model(torch.rand(2, 3, 32, 32))
    assert not torch.equal(before, model.bn1.running_mean)


def test_aspp_sums_four_branches_or_two_for_adaptsegnet():
    x = torch.rand(1, 512, 5, 6)
    full = DeepLabV2(ModelConfig(backbone="resnet18")).layer5
    quirk = DeepLabV2(ModelConfig(backbone="resnet18", aspp_branches=2)).layer5
    quirk.load_state_dict(full.state_dict())
    with torch.no_grad():
        branches = [c(x) for c in full.conv2d_list]
        torch.testing.assert_close(full(x), sum(branches))
        torch.testing.assert_close(quirk(x), branches[0] + branches[1])
    assert [c.dilation[0] for c in full.conv2d_list] == [6, 12, 18, 24]
    assert [c.padding[0] for c in full.conv2d_list] == [6, 12, 18, 24]


def test_state_dict_names_are_the_deeplab_family_names():
    keys = set(DeepLabV2(ModelConfig(backbone="resnet101")).state_dict())
    for k in [
        "conv1.weight",
        "bn1.running_var",
        "layer1.0.downsample.0.weight",
        "layer1.0.downsample.1.weight",
        "layer3.22.conv3.weight",
        "layer4.2.bn3.bias",
        "layer5.conv2d_list.3.weight",
        "layer5.conv2d_list.0.bias",
    ]:
        assert k in keys
    assert not any("num_batches_tracked" in k for k in keys)


def test_config_roundtrip_and_validation():
    cfg = ModelConfig.preset("adaptsegnet")
    assert cfg.aspp_branches == 2 and cfg.style == "caffe" and cfg.input_norm == "caffe_bgr"
    assert ModelConfig.from_dict(cfg.to_dict()) == cfg
    with pytest.raises(ValueError, match="unknown backbone"):
        ModelConfig(backbone="vgg16")
    with pytest.raises(ValueError, match="unknown model config keys"):
        ModelConfig.from_dict({"backbone": "resnet18", "colour": "red"})


def test_selector_is_a_deep_copy_with_two_heads():
    model = DeepLabV2(ModelConfig(backbone="resnet18")).eval()
    sel = PixelSelector(model, dropout=0.1).eval()
    x = torch.rand(1, 3, 40, 56)
    with torch.no_grad():
        h1, h2 = sel(x)
        ref = model(x)
    torch.testing.assert_close(h1, ref)
    torch.testing.assert_close(h2, ref)
    with torch.no_grad():
        sel.head1.conv2d_list[0].weight.add_(1.0)
        sel.body.conv1.weight.add_(1.0)
    assert not torch.equal(sel.head1.conv2d_list[0].weight, model.layer5.conv2d_list[0].weight)
    assert not torch.equal(sel.body.conv1.weight, model.conv1.weight)
    assert torch.equal(sel.head2.conv2d_list[0].weight, model.layer5.conv2d_list[0].weight)
