from __future__ import annotations

import pytest

from localep.images.conda_to_pip import conda_spec_to_pip, translate


@pytest.mark.parametrize("spec, requirement", [
    ("numpy", "numpy"),
    ("numpy=1.26.4", "numpy==1.26.4"),
    ("numpy=1.26.4=py311h64a7726_0", "numpy==1.26.4"),
    ("numpy=1.26", "numpy==1.26.*"),
    ("numpy==1.26.4", "numpy==1.26.4"),
    ("numpy>=1.20", "numpy>=1.20"),
    ("pandas>=1.0,<2", "pandas>=1.0,<2"),
    ("numpy 1.26.4 py311_0", "numpy==1.26.4"),
    ("conda-forge::scikit-learn=1.3.0", "scikit-learn==1.3.0"),
    ("pytorch", "torch"),
    ("py-xgboost=1.7", "xgboost==1.7.*"),
    ("mkl", None),
    ("cudatoolkit=11.8", None),
    ("libgcc-ng", None),
])
def test_conda_spec_to_pip(spec, requirement):
    assert conda_spec_to_pip(spec) == requirement


def test_translate_keeps_pip_section_after_conda_packages():
    result = translate(["numpy=1.26", "openssl"], ["azureml-inference-server-http", "-r extra.txt"])
    assert result.requirements == ["numpy==1.26.*", "azureml-inference-server-http", "-r extra.txt"]
    assert result.translated == [("numpy=1.26", "numpy==1.26.*")]
    assert result.skipped == ["openssl"]
