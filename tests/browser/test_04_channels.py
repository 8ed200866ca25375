"""Notebook 04: the multi-channel convolution widget (number of output channels, one kernel preset per channel)."""
from __future__ import annotations

import pytest
from jupyter_ui import WidgetView, assert_no_traceback, move_slider, open_and_run_all, pick, ten_changes
from playwright.sync_api import expect

PRESETS = ["vertical edges", "horizontal edges", "blur (3x3 mean)", "grey (luminance)", "red only", "red - green",
           "blue - yellow", "red-green edges"]


@pytest.mark.nb("04")
def test_04_channels_widget(notebook, server, page, shots):
    log_from = server.log_size()
    open_and_run_all(page, server, notebook)
    w = WidgetView(page, "cnn-channels", shots)
    w.says("input X (3, 64, 64) → kernel K (3, 3, 3, 3) → output Y (3, 62, 62)")
    w.shot("default")

    move_slider(w("cnn-cout"), 4)
    w.says("kernel K (4, 3, 3, 3) → output Y (4, 62, 62); parameters c_o·c_i·k_h·k_w + c_o = 4·3·3·3 + 4 = 112")
    w.picture_changed()
    w.shot("four-channels")
    pick(w("cnn-preset-0"), "horizontal edges")
    w.picture_changed()
    w.says("output Y (4, 62, 62)")
    w.shot("horizontal-edges")
    move_slider(w("cnn-cout"), 1)  # one output channel: the other kernels' menus are switched off
    w.says("kernel K (1, 3, 3, 3) → output Y (1, 62, 62); parameters c_o·c_i·k_h·k_w + c_o = 1·3·3·3 + 1 = 28")
    w.picture_changed()
    expect(w("cnn-preset-1").locator("select")).to_be_disabled()
    w.shot("one-channel")

    # (no invalid setting can be made here: every menu entry and slider position is a valid kernel)
    ten_changes(w, lambda i: pick(w("cnn-preset-0"), PRESETS[i % 8] if i < 8 else PRESETS[i - 6]))
    assert_no_traceback(page, server, log_from)
