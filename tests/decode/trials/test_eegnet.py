"""EEGNet: the published layer sizes for any channel count and trial length."""

from __future__ import annotations

import pytest

from cortexlink.core.errors import InvalidDataError

torch = pytest.importorskip("torch")

from cortexlink.decode.trials.eegnet import build_eegnet, kernel_lengths  # noqa: E402


@pytest.mark.parametrize(
    "channels, samples, rate", [(64, 481, 160.0), (8, 128, 128.0), (3, 33, 250.0), (22, 1001, 250.0)]
)
def test_output_shape_for_any_channels_and_samples(channels, samples, rate):
    net = build_eegnet(channels, samples, 4, rate).eval()
    with torch.no_grad():
        out = net(torch.zeros(2, 1, channels, samples))
    assert out.shape == (2, 4)
    assert net.dense.in_features == 16 * (samples // 32)
    assert net.temporal.kernel_size == (1, kernel_lengths(rate)[0])
    assert kernel_lengths(128.0) == (64, 16)  # the paper's kernels at its rate


def test_too_short_trials_are_refused():
    with pytest.raises(InvalidDataError, match="at least 32 samples"):
        build_eegnet(8, 31, 2, 128.0)
