"""az's command-line contract without Docker: parsing, usage errors (exit 2), not found (exit 3), notices."""

from __future__ import annotations

import io
import json

import pytest

from localep.az.cli import main, parse
from localep.az.errors import AzExit
from localep.az.notices import notices_file


def run(*argv: str):
    out = io.StringIO()
    code = main(list(argv), stdout=out)
    return code, out.getvalue()


def test_az_flag_spellings_parse_to_the_same_values():
    for argv in (
        ["ml", "online-deployment", "create", "-n", "blue", "-e", "ep", "-f", "d.yml", "--all-traffic"],
        ["ml", "online-deployment", "create", "--name", "blue", "--endpoint", "ep", "--file", "d.yml", "--all-traffic"],
        ["ml", "online-deployment", "create", "--name=blue", "--endpoint-name=ep", "-f", "d.yml", "--all-traffic"],
    ):
        args = parse(argv)
        assert (args.name, args.endpoint_name, args.file, args.all_traffic) == ("blue", "ep", "d.yml", True)


def test_set_takes_several_values_and_repeats():
    args = parse(["ml", "online-deployment", "update", "-n", "b", "-e", "ep", "--set", "instance_count=2",
                  "tags.a=1", "--set", "environment_variables.X=1"])
    assert args.set == ["instance_count=2", "tags.a=1", "environment_variables.X=1"]


def test_global_flags_are_accepted_on_every_verb():
    args = parse(["ml", "model", "list", "-g", "rg", "-w", "ws", "--subscription", "s", "-o", "TSV",
                  "--query", "[].name"])
    assert (args.resource_group, args.workspace_name, args.output, args.query) == ("rg", "ws", "tsv", "[].name")


def test_unknown_flag_is_a_usage_error(capsys):
    code, out = run("ml", "online-endpoint", "show", "-n", "x", "--bogus")
    assert code == AzExit.USAGE and out == ""
    assert "ERROR: unrecognized arguments: --bogus" in capsys.readouterr().err


def test_missing_required_flag_is_a_usage_error(capsys):
    code, _ = run("ml", "online-deployment", "show", "-n", "blue")
    assert code == AzExit.USAGE
    assert "--endpoint-name" in capsys.readouterr().err


def test_unknown_group_is_a_usage_error(capsys):
    code, _ = run("ml", "compute", "list")
    assert code == AzExit.USAGE
    assert "invalid choice: 'compute'" in capsys.readouterr().err


def test_missing_resources_exit_3_with_az_error_shape(capsys):
    code, out = run("ml", "model", "show", "--name", "nope", "--version", "1")
    assert code == AzExit.NOT_FOUND and out == ""
    err = capsys.readouterr().err
    assert err.startswith("ERROR: (ResourceNotFound) ") and "Code: ResourceNotFound" in err


def test_no_local_effect_notice_is_shown_once(capsys, tmp_path):
    (tmp_path / "m").mkdir()
    assert run("ml", "model", "list", "-g", "rg", "-w", "ws")[0] == 0
    first = capsys.readouterr().err
    assert "--resource-group has no local effect" in first and "--workspace-name has no local effect" in first
    assert run("ml", "model", "list", "-g", "rg", "-w", "ws")[0] == 0
    assert capsys.readouterr().err == ""
    assert set(json.loads(notices_file().read_text())) == {"--resource-group", "--workspace-name"}


def test_only_show_errors_silences_notices(capsys):
    assert run("ml", "model", "list", "--subscription", "s", "--only-show-errors")[0] == 0
    assert capsys.readouterr().err == ""
    assert not notices_file().exists()


def test_help_names_an_example(capsys):
    with pytest.raises(SystemExit) as caught:
        parse(["ml", "online-endpoint", "create", "--help"])
    assert caught.value.code == 0
    assert "Example:\n  localep az ml online-endpoint create --local" in capsys.readouterr().out


def test_delete_without_yes_and_without_a_terminal_refuses(capsys, monkeypatch, tmp_path):
    from localep.az import store

    store.save_endpoint(store.EndpointRecord(name="ep"))
    monkeypatch.setattr("sys.stdin", io.StringIO(""))
    monkeypatch.setattr("localep.az.online.docker_client", lambda: None)
    monkeypatch.setattr("localep.az.online.containers.find", lambda client, *names: [])
    monkeypatch.setattr("localep.az.online.running_gateway", lambda name: None)
    code, _ = run("ml", "online-endpoint", "delete", "-n", "ep")
    assert code == AzExit.ERROR
    assert "Use --yes" in capsys.readouterr().err
    assert store.load_endpoint("ep") is not None


def test_docker_down_is_an_az_error_naming_the_engine(capsys, monkeypatch, tmp_path):
    from localep.dockerclient import docker_client

    monkeypatch.setenv("DOCKER_HOST", f"unix://{tmp_path}/no-engine.sock")
    docker_client.cache_clear()
    try:
        code, out = run("ml", "online-endpoint", "create", "--local", "-n", "ep")
    finally:
        docker_client.cache_clear()
    assert (code, out) == (AzExit.ERROR, "")
    assert "ERROR: " in capsys.readouterr().err


def test_localep_az_passes_az_arguments_through_click():
    from tests.click_runner import cli_runner

    from localep.cli import cli

    result = cli_runner().invoke(cli, ["az", "ml", "model", "list", "-o", "json", "--query", "length(@)"])
    assert (result.exit_code, result.stdout) == (0, "0\n")
    result = cli_runner().invoke(cli, ["az", "ml", "model", "show", "-n", "m", "-v", "1"])
    assert result.exit_code == 3
