"""Build settings: the CA bundle from the first variable that names an existing file."""

from __future__ import annotations

from pathlib import Path

from localep.images.settings import CA_IN_IMAGE, settings_from_environment


def test_ca_bundle_comes_from_the_first_existing_variable(tmp_path: Path):
    bundle = tmp_path / "corp.pem"
    bundle.write_text("-----BEGIN CERTIFICATE-----\n")
    settings = settings_from_environment({"PIP_CERT": str(tmp_path / "missing.pem"), "REQUESTS_CA_BUNDLE": str(bundle),
                                          "PIP_INDEX_URL": "https://mirror.example/simple", "HOME": "/root"})
    assert settings.ca_bundle == bundle
    args = settings.build_args()
    assert args["PIP_CERT"] == args["SSL_CERT_FILE"] == args["CONDA_SSL_VERIFY"] == CA_IN_IMAGE
    assert args["PIP_INDEX_URL"] == "https://mirror.example/simple"
    assert "HOME" not in args


def test_no_ca_bundle_sends_no_cert_variables():
    settings = settings_from_environment({})
    assert settings.ca_bundle is None
    assert settings.build_args() == {}

