"""The CPU-budget networks of notebooks 06-09: shapes, sizes, and what the plain flag removes."""
import pytest
import torch
from torch import nn

from cnnlib.models import (PlainBlock, ResNet, Residual, VGG, cifar_cnn, count_parameters, materialize,
                           resnet_small, vgg_block, vgg_small)


def _built(model: nn.Module, X_shape: tuple[int, ...]) -> nn.Module:
    torch.manual_seed(0)
    return materialize(model, X_shape)


def test_vgg_small_maps_fashion_mnist_images_to_logits():
    model = _built(vgg_small(), (1, 1, 28, 28))
    assert model(torch.randn(4, 1, 28, 28)).shape == (4, 10)
    assert count_parameters(model) == 276_650


def test_vgg_small_has_a_batch_norm_after_every_conv():
    model = vgg_small()
    convs = [m for m in model.modules() if isinstance(m, nn.LazyConv2d) or isinstance(m, nn.Conv2d)]
    norms = [m for m in model.modules() if isinstance(m, nn.modules.batchnorm._BatchNorm)]
    assert len(convs) == 4 and len(norms) == 4


def test_vgg_block_without_batch_norm_is_the_lecture_block():
    block = vgg_block(2, 8)
    assert [type(m).__name__ for m in block] == ["LazyConv2d", "ReLU", "LazyConv2d", "ReLU", "MaxPool2d"]
    block = vgg_block(2, 8, batch_norm=True)
    assert [type(m).__name__ for m in block][:3] == ["LazyConv2d", "LazyBatchNorm2d", "ReLU"]
    with pytest.raises(TypeError, match="batch_norm must be True or False"):
        vgg_block(1, 8, batch_norm="yes")
    assert isinstance(VGG(((1, 8),), batch_norm=True), VGG)


def test_resnet_small_keeps_a_14_px_map_after_the_stem_and_ends_in_logits():
    model = _built(resnet_small(), (1, 1, 28, 28))
    X = torch.randn(4, 1, 28, 28)
    assert model.net[0](X).shape == (4, 24, 14, 14)          # stride-2 stem, no max-pool
    assert model(X).shape == (4, 10)
    assert count_parameters(model) == 174_058


def test_plain_block_removes_every_shortcut_and_only_the_shortcuts():
    resnet = _built(resnet_small(), (1, 1, 28, 28))
    plain = _built(resnet_small(block=PlainBlock), (1, 1, 28, 28))
    assert plain(torch.randn(4, 1, 28, 28)).shape == (4, 10)
    shortcuts = [b.conv3 for b in resnet.modules() if isinstance(b, Residual) and b.conv3 is not None]
    assert len(shortcuts) == 2                                 # the two stride-2 blocks
    blocks = [b for b in plain.modules() if isinstance(b, Residual)]
    assert len(blocks) == 3 and all(isinstance(b, PlainBlock) and b.conv3 is None for b in blocks)
    assert count_parameters(resnet) - count_parameters(plain) == sum(count_parameters(c) for c in shortcuts)


def test_plain_block_output_does_not_contain_its_input():
    X = torch.rand(2, 3, 6, 6) + 1                           # positive, so relu(X) == X
    for block, expected in [(Residual, X), (PlainBlock, torch.zeros_like(X))]:
        blk = block(3)
        blk(X)                                               # materialise the lazy layers
        nn.init.zeros_(blk.conv2.weight)
        nn.init.zeros_(blk.conv2.bias)
        blk.bn2.reset_running_stats()                        # so the conv branch now outputs 0
        blk.eval()
        with torch.no_grad():
            assert torch.allclose(blk(X), expected)          # Y = relu(0 + X) with the skip, relu(0) without


def test_plain_block_may_change_shape_without_a_1x1_conv():
    blk = PlainBlock(6, strides=2)
    assert blk(torch.randn(4, 3, 6, 6)).shape == (4, 6, 3, 3)
    assert PlainBlock(6, use_1x1conv=True, strides=2).conv3 is None  # no shortcut, so no conv for it
    with pytest.raises(ValueError, match="pass use_1x1conv=True"):
        Residual(6, strides=2)
    with pytest.raises(TypeError, match="block must be Residual or PlainBlock"):
        ResNet(((1, 8),), b1_channels=8, block=nn.Conv2d(1, 1, 1))
    assert isinstance(ResNet(((1, 8),), b1_channels=8, block=PlainBlock), ResNet)


def test_cifar_cnn_maps_cifar_images_to_logits():
    model = _built(cifar_cnn(), (1, 3, 32, 32))
    assert model(torch.randn(4, 3, 32, 32)).shape == (4, 10)
    assert count_parameters(model) == 391_946
    narrow = _built(cifar_cnn(widths=(8, 16)), (1, 3, 32, 32))
    assert narrow(torch.randn(2, 3, 32, 32)).shape == (2, 10)
    with pytest.raises(TypeError, match="widths must be a non-empty sequence"):
        cifar_cnn(widths=())


def test_cpu_models_train_in_channels_last_memory_format():
    model = _built(cifar_cnn(), (1, 3, 32, 32)).to(memory_format=torch.channels_last)
    loss = model(torch.randn(4, 3, 32, 32)).sum()             # the input stays (N, C, H, W) contiguous
    loss.backward()
    assert all(p.grad is not None for p in model.parameters())
