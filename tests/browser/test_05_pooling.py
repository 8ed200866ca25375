"""Notebook 05: the pooling widget (pool size, stride, padding as typed numbers; max/avg; image size)."""
from __future__ import annotations

import pytest
from jupyter_ui import WidgetView, assert_no_traceback, click_option, open_and_run_all, pick, ten_changes, type_into


@pytest.mark.nb("05")
def test_05_pooling_widget(notebook, server, page, shots):
    log_from = server.log_size()
    open_and_run_all(page, server, notebook)
    w = WidgetView(page, "cnn-pooling", shots)
    w.says("input (64, 64) → output (32, 32): max pooling 2×2, stride 2, padding 0")
    w.shot("default")

    type_into(w("cnn-pool-size"), "4")  # ⌊(64 - 4) / 2⌋ + 1 = 31
    w.says("input (64, 64) → output (31, 31): max pooling 4×4, stride 2, padding 0")
    w.picture_changed()
    w.shot("pool-4")
    type_into(w("cnn-stride"), "4")
    w.says("output (16, 16): max pooling 4×4, stride 4")
    w.picture_changed()
    w.shot("stride-4")
    click_option(w("cnn-mode"), "avg")
    w.says("output (16, 16): avg pooling 4×4, stride 4")
    w.picture_changed()
    w.shot("avg")
    pick(w("cnn-image-size"), "16")
    w.says("input (16, 16) → output (4, 4): avg pooling 4×4, stride 4")
    w.picture_changed()
    w.shot("image-16")

    type_into(w("cnn-stride"), "0")  # impossible settings: the widget's own message, the last picture stays
    w.says("stride must be at least 1, got 0")
    w.picture_kept()
    w.shot("stride-0-message")
    type_into(w("cnn-stride"), "4")
    w.says("output (4, 4)")
    type_into(w("cnn-pool-size"), "65")
    w.says("pooling window 65x65 is larger than the padded input 16x16")
    w.picture_kept()
    w.shot("pool-65-message")

    ten_changes(w, lambda i: type_into(w("cnn-pool-size"), str(2 + i % 5)),  # 2, 3, 4, 5, 6, 2, ..., 6
                final="input (16, 16) → output (3, 3): avg pooling 6×6, stride 4, padding 0")
    assert_no_traceback(page, server, log_from)
