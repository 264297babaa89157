"""What `localep prune` removes and the usage index it decides from, without Docker."""

from __future__ import annotations

import json

import pytest

from localep.images.prune import ImageFacts, format_size, orphaned_layers, parse_size, select_removals
from localep.images.usage import current_users, empty_index, read_index, record_use, with_use, without_images

MB = 1000**2


def image(tag, used_by=("a.yml",), last_used=100.0, size=100 * MB, **kwargs):
    return ImageFacts(tag=tag, size=size, last_used=last_used, used_by=list(used_by), **kwargs)


def tags(removals):
    return [removal.image.tag for removal in removals]


def test_superseded_images_go_and_current_ones_stay():
    removals = select_removals([image("new"), image("old", used_by=())])
    assert tags(removals) == ["old"] and "no deployment file" in removals[0].reason


def test_never_an_image_a_container_uses_or_another_home_built():
    images = [image("running", used_by=(), in_use=True), image("foreign", used_by=(), recorded=False)]
    assert select_removals(images, keep=0, max_size=0) == []


def test_keep_keeps_the_most_recently_used():
    images = [image("a", last_used=1.0), image("b", last_used=3.0), image("c", last_used=2.0)]
    removals = select_removals(images, keep=1)
    assert tags(removals) == ["c", "a"] and "--keep 1" in removals[0].reason


def test_max_size_removes_least_recently_used_until_it_fits():
    images = [image("a", last_used=1.0), image("b", last_used=3.0), image("c", last_used=2.0),
              image("busy", in_use=True, size=50 * MB)]
    removals = select_removals(images, max_size=260 * MB)
    assert tags(removals) == ["a"], "busy (50) + b + c (200) = 250 MB fits"
    assert tags(select_removals(images, max_size=0)) == ["a", "c", "b"]


def test_layers_go_only_when_no_remaining_image_stands_on_them():
    images = [image("old", used_by=(), layers=["server", "old-pip"]),
              image("new", layers=["server", "new-pip"]),
              image("foreign", recorded=False, layers=["foreign-pip"])]
    removals = select_removals(images)
    assert orphaned_layers(images, removals) == ["old-pip"]


def test_sizes_parse_like_docker_prints_them():
    assert parse_size("500M") == 500 * MB
    assert parse_size("1.5GB") == 1500 * MB
    assert parse_size("2g") == 2000 * MB
    assert parse_size("300MiB") == 300 * MB
    assert parse_size("1024") == 1024
    with pytest.raises(ValueError):
        parse_size("lots")
    assert format_size(1500 * MB) == "1.5 GB" and format_size(12) == "12 B"


def test_a_new_build_of_a_file_supersedes_its_old_image():
    index = with_use(empty_index(), "env:1", "/p/blue.yml", 10.0, ["layer:1"])
    index = with_use(index, "env:1", "/p/green.yml", 11.0)
    index = with_use(index, "env:2", "/p/blue.yml", 12.0)
    assert current_users(index, "env:1") == ["/p/green.yml"]
    assert current_users(index, "env:2") == ["/p/blue.yml"]
    assert index["images"]["env:1"]["last_used"] == 11.0 and index["images"]["env:1"]["layers"] == ["layer:1"]
    forgotten = without_images(index, ["env:1"])
    assert "env:1" not in forgotten["images"] and forgotten["deployments"] == {"/p/blue.yml": "env:2"}


def test_the_index_file_is_written_whole_and_tolerates_garbage(tmp_path):
    path = tmp_path / "images.json"
    assert read_index(path) == empty_index()
    path.write_text("{not json")
    assert read_index(path) == empty_index()
    deployment = tmp_path / "blue.yml"
    deployment.write_text("name: blue\n")
    record_use("env:1", deployment, ["layer:1"], path=path)
    data = json.loads(path.read_text())
    assert data["deployments"] == {str(deployment.resolve()): "env:1"}
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")] == []


def test_base_image_probes_are_remembered_by_image_id(tmp_path):
    from localep.images.kinds.base import BaseImageFacts
    from localep.images.usage import known_base_facts, remember_base_facts

    path = tmp_path / "base-images.json"
    assert known_base_facts("sha256:1", path) is None
    remember_base_facts(BaseImageFacts(image="base:1", image_id="sha256:1", conda=None, python_version="3.11.2"), path)
    remember_base_facts(BaseImageFacts(image="conda:1", image_id="sha256:2", conda="/opt/conda/bin/conda"), path)
    assert known_base_facts("sha256:1", path) == BaseImageFacts(image="base:1", image_id="sha256:1",
                                                                python_version="3.11.2")
    assert known_base_facts("sha256:2", path).conda == "/opt/conda/bin/conda"
    path.write_text("[1, 2]")
    assert known_base_facts("sha256:1", path) is None, "a damaged file means probing again, not a crash"
