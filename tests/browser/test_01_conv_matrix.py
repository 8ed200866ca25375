"""Notebook 01: the convolution-as-a-matrix widget (sliders for input size, kernel size, padding, stride)."""
from __future__ import annotations

import pytest
from jupyter_ui import WidgetView, assert_no_traceback, move_slider, open_and_run_all, ten_changes


@pytest.mark.nb("01")
def test_01_conv_matrix_widget(notebook, server, page, shots):
    log_from = server.log_size()
    open_and_run_all(page, server, notebook)
    w = WidgetView(page, "cnn-input-size", shots)
    w.says("Y is 3×3, so W is 9×25 = 225 weights")  # defaults: n=5, k=3, p=0, s=1
    w.shot("default")

    move_slider(w("cnn-input-size"), 8)
    w.says("Y is 6×6, so W is 36×64")
    w.picture_changed()
    w.shot("input-8")
    move_slider(w("cnn-padding"), 1)
    w.says("Y is 8×8, so W is 64×64")
    w.picture_changed()
    w.shot("padding-1")

    move_slider(w("cnn-stride"), 0)  # impossible: the widget's own message, the last picture stays
    w.says("stride must be at least 1, got 0; a stride of 0 would never move the window")
    w.picture_kept()
    w.shot("stride-0-message")
    move_slider(w("cnn-stride"), 2)  # ⌊(8 + 2 - 3) / 2⌋ + 1 = 4
    w.says("Y is 4×4, so W is 16×64")
    w.picture_changed()
    w.shot("stride-2")

    ten_changes(w, lambda i: move_slider(w("cnn-input-size"), 12 - i),  # 12, 11, ..., 3
                final="Y is 2×2, so W is 4×9")  # n=3, p=1, s=2: ⌊(3 + 2 - 3) / 2⌋ + 1 = 2
    assert_no_traceback(page, server, log_from)
