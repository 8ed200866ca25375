"""Notebook 02: the kernel editor (preset buttons, typed kernel entries, 3×3/5×5, image source) in JupyterLab and
Notebook 7, and in classic Notebook 6.5 with ipywidgets 7 (the Colab-like environment, CNNLIB_ENV=colab)."""
from __future__ import annotations

import pytest
from jupyter_ui import (WidgetView, assert_no_traceback, click_option, open_and_run_all, pick, settle, ten_changes,
                        type_into)
from playwright.sync_api import expect


@pytest.mark.nb("02")
@pytest.mark.parametrize("server", ["lab", "notebook", "classic"], indirect=True)
def test_02_kernel_editor(notebook, server, page, shots):
    log_from = server.log_size()
    open_and_run_all(page, server, notebook)
    w = WidgetView(page, "cnn-kernel-grid", shots)
    w.says("kernel 3×3 (identity), sum of entries 1.000")
    w.shot("identity")

    w("cnn-preset-sobel-x").click()  # a preset button
    w.says("kernel 3×3 (Sobel x), sum of entries 0.000")
    w.picture_changed()
    w.shot("sobel-x")
    type_into(w("cnn-k11"), "8")  # a typed kernel entry (the centre)
    w.says("kernel 3×3 (edited), sum of entries 8.000")
    w.picture_changed()
    w.shot("centre-8")
    click_option(w("cnn-kernel-size"), "5×5")  # the kernel grows, its values stay in the middle
    w.says("kernel 5×5 (edited), sum of entries 8.000")
    w.picture_changed()
    expect(w("cnn-k44")).to_be_visible()
    w.shot("5x5")

    pick(w("cnn-image-source"), "Fashion-MNIST test image")
    settle(page)
    if "showing the photo instead" in w.status.inner_text():  # no dataset on this machine: the widget says so
        w.picture_kept()
    else:
        w.picture_changed()
    w.shot("fashion-mnist")

    type_into(w("cnn-k00"), "a")  # a letter in a kernel cell: the widget's own message, the last picture stays
    w.says("kernel cell (row 1, column 1) holds 'a', which is not a number")
    w.picture_kept()
    w.shot("letter-message")

    ten_changes(w, lambda i: type_into(w("cnn-k00"), str(i + 1)),  # 1, 2, ..., 10 in the top-left cell
                final="kernel 5×5 (edited), sum of entries 18.000")  # the centre's 8 + 10
    assert_no_traceback(page, server, log_from)
