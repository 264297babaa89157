"""Nothing silently ignored: every field the schemas accept is emulated, listed as not emulated, or read-only."""

from __future__ import annotations

from typing import Iterator

import pytest

from localep.yamlspec import batch_schema, schema
from localep.yamlspec.emulation import (
    BATCH_DEPLOYMENT,
    BATCH_ENDPOINT,
    EMULATED,
    NOT_EMULATED,
    ONLINE_DEPLOYMENT,
    ONLINE_ENDPOINT,
    classify,
    notice,
    read_only_fields,
    unemulated_fields,
)

SCHEMAS = [
    (ONLINE_DEPLOYMENT, schema.MANAGED_DEPLOYMENT),
    (ONLINE_DEPLOYMENT, schema.KUBERNETES_DEPLOYMENT),
    (ONLINE_ENDPOINT, schema.ONLINE_ENDPOINT),
    (BATCH_DEPLOYMENT, batch_schema.MODEL_BATCH_DEPLOYMENT),
    (BATCH_DEPLOYMENT, batch_schema.FLAT_BATCH_DEPLOYMENT),
    (BATCH_ENDPOINT, batch_schema.BATCH_ENDPOINT),
]


def field_paths(spec: schema.Field, prefix: str = "") -> Iterator[str]:
    """Every declared key, nested mappings included (free-key maps such as tags are one field; a map of mappings,
    such as data_collector.collections, has its mapping's keys under `*`)."""
    for name, child in spec.fields.items():
        path = f"{prefix}.{name}" if prefix else name
        yield path
        if child.kind == schema.MAPPING:
            yield from field_paths(child, path)
        if child.kind == schema.MAP and child.values is not None and child.values.kind == schema.MAPPING:
            yield from field_paths(child.values, f"{path}.*")


@pytest.mark.parametrize("kind, spec", SCHEMAS, ids=[f"{kind}-{index}" for index, (kind, _) in enumerate(SCHEMAS)])
def test_every_schema_field_is_classified(kind, spec):
    unclassified = [path for path in field_paths(spec) if classify(kind, path) is None]
    assert not unclassified, f"{kind}: neither emulated nor listed as not emulated: {unclassified}"


def test_no_field_is_in_both_tables():
    for kind in EMULATED:
        assert not set(EMULATED[kind]) & set(NOT_EMULATED[kind]), kind


def test_tables_name_only_fields_the_schemas_accept():
    for kind in EMULATED:
        accepted = {path for name, spec in SCHEMAS if name == kind for path in field_paths(spec)}
        listed = set(EMULATED[kind]) | set(NOT_EMULATED[kind])
        assert listed <= accepted, f"{kind}: listed but not in the schema: {listed - accepted}"


def test_the_line_names_each_unemulated_field_once():
    written = ["name", "app_insights_enabled", "resources.requests", "resources.requests.cpu", "resources.limits.cpu",
               "id", "provisioning_state"]
    fields = unemulated_fields(ONLINE_DEPLOYMENT, written)
    assert fields == ["app_insights_enabled", "resources.requests"]
    assert notice([*fields, "identity"], read_only_fields(written)) == [
        "not emulated locally: app_insights_enabled, resources.requests, identity",
        "read-only fields ignored (output of az ml ... show): id, provisioning_state",
    ]
    assert notice([], []) == []


def test_a_map_key_the_user_chose_is_matched_as_a_star():
    written = ["data_collector", "data_collector.collections", "data_collector.collections.model_inputs",
               "data_collector.collections.model_inputs.enabled", "data_collector.collections.model_inputs.client_id"]
    assert unemulated_fields(ONLINE_DEPLOYMENT, written) == ["data_collector.collections.*.client_id"]
    assert classify(ONLINE_DEPLOYMENT, "data_collector.collections.model_inputs.enabled") == "emulated"


def test_kinds_are_the_loaders():
    from localep.yamlspec import loader

    assert {loader.DEPLOYMENT, loader.ENDPOINT, loader.BATCH_DEPLOYMENT, loader.BATCH_ENDPOINT} == set(EMULATED)
