"""Where the bundled schemas and generator data live, installed or in a source checkout."""

from __future__ import annotations

from pathlib import Path


def bundled_schemas_dir() -> Path:
    """The schemas shipped with the package (``kanta_archive/_schemas`` when installed)."""
    here = Path(__file__).resolve().parent
    installed = here / "_schemas"
    if installed.is_dir():
        return installed
    return here.parent / "schemas"


def bundled_samples_dir() -> Path:
    """The sample data the generator needs (``orgs.csv``, the TEST-ONLY ``keys/``):
    ``kanta_archive/_samples`` when installed, else the checkout's ``samples/``."""
    here = Path(__file__).resolve().parent
    installed = here / "_samples"
    if installed.is_dir():
        return installed
    return here.parent / "samples"
