"""Notebook 10: the gradient-flow widget (operation buttons; window, stride, padding and output pixel as typed numbers)."""
from __future__ import annotations

import pytest
from jupyter_ui import WidgetView, assert_no_traceback, click_option, open_and_run_all, ten_changes, type_into


@pytest.mark.nb("10")
def test_10_gradient_flow_widget(notebook, server, page, shots):
    log_from = server.log_size()
    open_and_run_all(page, server, notebook)
    w = WidgetView(page, "cnn-gradient-flow", shots)
    w.says("Y[2, 3] of 10×10: its gradient reaches 9 input pixels (convolution 3×3, stride 1, padding 0)")
    w.shot("default")

    click_option(w("cnn-operation"), "max pooling")
    w.says("its gradient reaches 1 input pixel (max pooling 3×3")
    w.picture_changed()
    w.shot("max-pooling")
    click_option(w("cnn-operation"), "avg pooling")
    w.says("reaches 9 input pixels (avg pooling 3×3")
    w.picture_changed()
    click_option(w("cnn-operation"), "convolution")
    type_into(w("cnn-padding"), "1")
    type_into(w("cnn-row"), "0")
    type_into(w("cnn-col"), "0")
    w.says("Y[0, 0] of 12×12: its gradient reaches 4 input pixels (convolution 3×3, stride 1, padding 1)")
    w.picture_changed()
    w.shot("corner-padding-1")
    type_into(w("cnn-stride"), "2")
    w.says("Y[0, 0] of 6×6")
    w.picture_changed()

    type_into(w("cnn-row"), "9")  # outside the 6x6 output: the widget's own message, the last picture stays
    w.says("row i must be at most 5, got 9 (the output is 6×6)")
    w.picture_kept()
    w.shot("row-9-message")
    type_into(w("cnn-row"), "5")
    w.says("Y[5, 0] of 6×6")
    w.picture_changed()
    type_into(w("cnn-size"), "15")
    w.says("larger than the padded input")
    w.picture_kept()
    type_into(w("cnn-size"), "3")
    w.says("Y[5, 0] of 6×6")

    ten_changes(w, lambda i: type_into(w("cnn-col"), str(i % 6)),  # 0, 1, ..., 5, 0, ..., 3
                final="Y[5, 3] of 6×6: its gradient reaches")
    assert_no_traceback(page, server, log_from)
