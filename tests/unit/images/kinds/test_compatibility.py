"""Binary-compatibility pins on the pip route: an older pinned scikit-learn gets a numpy it was built for."""

from __future__ import annotations

from localep.images.kinds.compatibility import binary_constraints, pinned_version


def test_unpinned_numpy_next_to_an_old_scikit_learn_gets_numpy_below_2():
    found = binary_constraints(["scikit-learn==1.2.2", "numpy", "azureml-inference-server-http"])
    assert found.added == ["numpy<2"]
    assert found.notes == ["added numpy<2: scikit-learn==1.2.2 was built for numpy 1 (as conda's solver would choose)"]
    assert binary_constraints(["pandas==1.5.*", "scikit-learn==1.1.3"]).added == ["numpy<2"]


def test_a_conflicting_numpy_pin_says_which_package_to_pin():
    found = binary_constraints(["scikit-learn==1.2.2", "numpy==2.1.0"])
    assert found.added == []
    assert found.notes == ["scikit-learn==1.2.2 was built for numpy 1 but the conda file asks for numpy==2.1.0: "
                           "pin numpy<2 or scikit-learn>=1.4.2"]


def test_new_or_unpinned_packages_and_numpy_1_pins_need_nothing():
    for requirements in (["scikit-learn==1.5.0"], ["scikit-learn>=1.0"], ["scikit-learn==1.2.2", "numpy==1.26.4"],
                         ["scikit-learn==1.2.2", "numpy<2"]):
        assert binary_constraints(requirements).added == [] and binary_constraints(requirements).notes == []


def test_pinned_version_reads_exact_and_prefix_pins():
    assert pinned_version(["Scikit_Learn[alldeps]==1.2.*; python_version>'3'"], "scikit-learn") == (1, 2)
    assert pinned_version(["scikit-learn>=1.2"], "scikit-learn") is None
