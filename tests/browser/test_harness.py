"""The harness itself, on a generated notebook: every helper the widget tests rely on does what it says."""
from __future__ import annotations

import pytest
from jupyter_ui import (assert_no_traceback, img_hash, move_slider, open_and_run_all, set_slider, settle, type_into,
                        wait_for_new_image, widget_cell)
from make_harness_notebook import HARNESS_NOTEBOOK
from playwright.sync_api import expect


def test_harness_drives_a_widget_and_catches_a_traceback(server, page, shots):
    log_from = server.log_size()
    open_and_run_all(page, server, HARNESS_NOTEBOOK)
    cell = widget_cell(page, "cnn-demo-slider")
    out = cell.locator(".jp-Cell-outputArea")
    slider, entry, status, img = (cell.locator(f".{c}") for c in ("cnn-demo-slider", "cnn-demo-entry", "cnn-status",
                                                                   "cnn-output"))
    expect(status).to_have_text("freq = 1")
    before = img_hash(img)
    shots(out, "ran-all")

    move_slider(slider, 4)  # dragged with the mouse
    expect(status).to_have_text("freq = 4")
    moved = wait_for_new_image(img, before)
    shots(out, "slider-moved")

    type_into(entry, "7")
    expect(status).to_have_text("freq = 7")
    expect(slider.locator(".widget-readout")).to_have_text("7")
    typed = wait_for_new_image(img, {before, moved})

    set_slider(slider, 12)  # typed into the slider's readout
    expect(status).to_have_text("freq = 12")
    wait_for_new_image(img, {before, moved, typed})

    type_into(entry, "x")  # invalid entry: the widget's own message, the picture stays
    expect(status).to_have_text("'x' is not a whole number")
    settle(page)
    shown = img_hash(img)
    shots(out, "invalid-entry")

    outputs = cell.locator(".jp-OutputArea-output").count()
    for value in range(13, 23):  # ten quick changes leave one picture, not ten
        move_slider(slider, value)
    expect(status).to_have_text("freq = 22")
    wait_for_new_image(img, shown)
    settle(page)
    expect(cell.locator("img")).to_have_count(1)
    assert cell.locator(".jp-OutputArea-output").count() == outputs
    assert_no_traceback(page, server, log_from)

    cell.locator(".cnn-demo-crash input").check()  # an observer that raises: the detector must see it
    settle(page)
    with pytest.raises(AssertionError, match="ZeroDivisionError"):
        assert_no_traceback(page, server, log_from)
    page.kernel_watch.clear()

    cell.locator(".cnn-demo-boom").click()  # a button callback that raises (ipywidgets shows its traceback)
    settle(page)
    shots(out, "callback-raised")
    with pytest.raises(AssertionError, match="RuntimeError"):
        assert_no_traceback(page, server, log_from)
