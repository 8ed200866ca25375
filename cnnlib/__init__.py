"""cnnlib: the helper package of the CNN teaching series (from-scratch ops, models, data, training, plots, widgets, checks)."""
from cnnlib.utils import device, mode_banner, quick_mode, set_seed

__version__ = "0.1.0"
