"""Notebooks 06-09: the feature-map browser (image index typed, layer picked) on each trained network.

Notebook 7 is tested on 06 as well. Its model takes a minute or two to train even in quick mode, so the Notebook 7
page does not train it again: it opens the same notebook on the same server, attaches to the kernel that JupyterLab's
Run All left (as reopening a notebook in another UI does) and runs the widget's cell and all below from its Run menu,
so the widget is built and rendered by Notebook 7 itself.

Classic Notebook 6.5 (the Colab-like environment, CNNLIB_ENV=colab, with ipywidgets 7) runs all of 06 itself, training
included: that environment has no JupyterLab to borrow a trained kernel from.
"""
from __future__ import annotations

import re

import pytest
from jupyter_ui import (KernelWatch, WidgetView, assert_no_traceback, open_and_run_all, open_notebook, pick,
                        run_from_cell, ten_changes, trace, type_into)
from playwright.sync_api import Page, expect

CASES = [pytest.param("06", marks=pytest.mark.nb("06"), id="06"),  # literal marks: test_setup.py reads them
         pytest.param("07", marks=pytest.mark.nb("07"), id="07"),
         pytest.param("08", marks=pytest.mark.nb("08"), id="08"),
         pytest.param("09", marks=pytest.mark.nb("09"), id="09")]
WIDGET_CALL = "feature_map_browser("


def layer_name(label: str) -> str:
    """'conv 1 · 6x28x28 (net.0)' (the menu's label) -> 'conv 1' (the name the status line uses).

    The browser shows the label's spaces as no-break spaces (ipywidgets keeps a label's spacing that way)."""
    return label.replace("\xa0", " ").split("·")[0].strip()


def exercise_browser(page: Page, shots, ui: str) -> None:
    w = WidgetView(page, "cnn-fmb-layer", shots, output="cnn-fmb-output", status="cnn-fmb-status")
    layers = w("cnn-fmb-layer").locator("option")
    n_layers = layers.count()
    assert n_layers >= 2, "the browser should offer at least two layers"
    first = layer_name(layers.first.inner_text())
    w.says(re.compile(rf"image 0 of (\d+), layer {re.escape(first)}$"))
    n_images = int(re.search(r"of (\d+)", w.status.inner_text()).group(1))
    w.shot(f"{ui}-first-layer")

    last = layer_name(pick(w("cnn-fmb-layer"), index=n_layers - 1))  # pick a layer
    w.says(f"image 0 of {n_images}, layer {last}")
    w.picture_changed()
    w.shot(f"{ui}-last-layer")
    type_into(w("cnn-fmb-image"), "3")  # type an image index
    w.says(f"image 3 of {n_images}, layer {last}")
    w.picture_changed()
    w.shot(f"{ui}-image-3")
    type_into(w("cnn-fmb-image"), str(n_images + 50))  # past the end: the box keeps it in range (no bad index)
    w.says(f"image {n_images - 1} of {n_images}, layer {last}")
    expect(w("cnn-fmb-image").locator("input")).to_have_value(str(n_images - 1))
    w.picture_changed()
    w.shot(f"{ui}-past-the-end-kept-in-range")

    ten_changes(w, lambda i: type_into(w("cnn-fmb-image"), str(i)), final=f"image 9 of {n_images}, layer {last}")


@pytest.mark.parametrize("prefix", CASES)
def test_feature_map_browser(prefix, notebook, server, page, shots):
    log_from = server.log_size()
    open_and_run_all(page, server, notebook)
    exercise_browser(page, shots, "lab")
    assert_no_traceback(page, server, log_from)
    if prefix != "06":
        return

    page.close()  # JupyterLab's tab goes; its kernel, with the trained model, stays
    nb7 = page.context.new_page()
    nb7.kernel_watch = KernelWatch(nb7)
    try:
        open_notebook(nb7, server, notebook, ui="notebook")
        assert "/notebooks/" in nb7.url, f"not Notebook 7's page: {nb7.url}"
        trace(f"{notebook} open in Notebook 7 on the same kernel")
        run_from_cell(nb7, server, notebook, WIDGET_CALL)
        exercise_browser(nb7, shots, "notebook7")
        assert_no_traceback(nb7, server, log_from)
    except BaseException:
        shots(nb7, "notebook7-FAILED")
        raise
    finally:
        nb7.close()


@pytest.mark.nb("06")
@pytest.mark.parametrize("server", ["classic"], indirect=True)
def test_feature_map_browser_classic(notebook, server, page, shots):
    log_from = server.log_size()
    open_and_run_all(page, server, notebook)
    exercise_browser(page, shots, "classic")
    assert_no_traceback(page, server, log_from)
