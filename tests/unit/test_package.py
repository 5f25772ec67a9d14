"""The package's public API, as ``from kanta_archive import ...`` users see it."""

from __future__ import annotations

import pytest

import kanta_archive


def test_the_package_exports_its_api_on_first_use() -> None:
    assert kanta_archive.Validator.__name__ == "Validator"
    assert callable(kanta_archive.read_path)
    assert kanta_archive.__version__
    assert set(kanta_archive.__all__) <= set(dir(kanta_archive))
    with pytest.raises(AttributeError):
        _ = kanta_archive.no_such_name  # type: ignore[attr-defined]
