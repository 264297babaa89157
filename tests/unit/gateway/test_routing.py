"""Routing draws: weights, pins and the mirror's share."""

from __future__ import annotations

from localep.gateway.config import (
    DeploymentRoute,
)
from localep.gateway.routing import choose_deployment, mirror_pick, weighted_pick

DEPLOYMENTS = {"blue": DeploymentRoute(["http://127.0.0.1:1"]), "green": DeploymentRoute(["http://127.0.0.1:2"])}


def test_weighted_pick_splits_draws_by_weight_and_skips_zero_weights():
    traffic = {"blue": 70, "zero": 0, "green": 30}
    picks = [weighted_pick(traffic, i / 1000) for i in range(1000)]
    assert picks.count("blue") == 700 and picks.count("green") == 300


def test_weighted_pick_treats_weights_summing_below_100_as_proportions():
    assert {weighted_pick({"blue": 10, "green": 10}, d) for d in (0.0, 0.49, 0.5, 0.99)} == {"blue", "green"}
    assert weighted_pick({"blue": 0}, 0.3) is None


def test_pinned_deployment_wins_even_at_zero_weight():
    choice = choose_deployment({"blue": 100, "green": 0}, DEPLOYMENTS, "green", 0.1)
    assert (choice.deployment, choice.pinned) == ("green", True)


def test_unknown_pin_is_404_naming_it_and_the_known_ones():
    choice = choose_deployment({"blue": 100}, DEPLOYMENTS, "red", 0.1)
    assert choice.deployment is None and choice.status == 404
    assert "'red'" in choice.message and "blue, green" in choice.message


def test_no_positive_weight_is_404():
    choice = choose_deployment({"blue": 0}, DEPLOYMENTS, None, 0.1)
    assert (choice.deployment, choice.status, choice.code) == (None, 404, "NoValidDeployments")


def test_mirror_pick_takes_its_share_only():
    picks = [mirror_pick({"green": 20}, i / 100) for i in range(100)]
    assert picks.count("green") == 20 and picks.count(None) == 80

