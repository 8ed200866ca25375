"""Notebook 03: the sliding-window explorer (input, kernel, padding, stride and dilation sliders, height and width)."""
from __future__ import annotations

import pytest
from jupyter_ui import WidgetView, assert_no_traceback, move_slider, open_and_run_all, ten_changes


@pytest.mark.nb("03")
def test_03_window_explorer(notebook, server, page, shots):
    log_from = server.log_size()
    open_and_run_all(page, server, notebook)
    w = WidgetView(page, "cnn-stride-h", shots)
    w.says("output 8×8: height ⌊(8 + 2·1 − 3) / 1⌋ + 1 = 8, "  # defaults: 8×8 input, 3×3 kernel, padding 1
           "width ⌊(8 + 2·1 − 3) / 1⌋ + 1 = 8; 64 windows")
    w.shot("default")

    move_slider(w("cnn-stride-h"), 0)  # impossible: the widget's own message, the last picture stays
    w.says("stride (height) must be at least 1, got 0")
    w.picture_kept()
    w.shot("stride-0-message")
    move_slider(w("cnn-stride-h"), 2)
    w.says("output 4×8: height ⌊(8 + 2·1 − 3) / 2⌋ + 1 = 4")
    w.picture_changed()
    w.shot("stride-h-2")
    move_slider(w("cnn-kernel-w"), 5)
    w.says("output 4×6: height ⌊(8 + 2·1 − 3) / 2⌋ + 1 = 4, width ⌊(8 + 2·1 − 5) / 1⌋ + 1 = 6")
    w.picture_changed()
    w.shot("kernel-w-5")
    move_slider(w("cnn-stride-h"), 4)  # windows at rows 0 and 4 of the padded input: some rows are skipped
    w.says("input pixels are never read")
    w.picture_changed()
    w.shot("stride-h-4")

    move_slider(w("cnn-dilation-w"), 2)  # the 5 weights of a row spread over 9 columns
    w.says("width ⌊(8 + 2·1 − 2·(5 − 1) − 1) / 1⌋ + 1 = 2")
    w.picture_changed()
    w.shot("dilation-w-2")
    move_slider(w("cnn-dilation-w"), 1)
    w.says("width ⌊(8 + 2·1 − 5) / 1⌋ + 1 = 6")

    ten_changes(w, lambda i: move_slider(w("cnn-input-w"), 12 - i),  # 12, 11, ..., 3
                final="width ⌊(3 + 2·1 − 5) / 1⌋ + 1 = 1")
    assert_no_traceback(page, server, log_from)
