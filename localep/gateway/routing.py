"""Which deployment answers a request: pure decisions from the traffic table, a pin header and a random draw."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Collection, Mapping, Optional

from localep.protocol import DEPLOYMENT_HEADER


@dataclass(frozen=True)
class RouteChoice:
    deployment: Optional[str]
    pinned: bool = False
    status: int = 200  # the endpoint's own error status when no deployment can take the request
    code: str = ""
    message: str = ""


def weighted_pick(traffic: Mapping[str, int], draw: float) -> Optional[str]:
    """Deployment for `draw` in [0, 1), each taking a share proportional to its positive weight."""
    positive = [(name, weight) for name, weight in traffic.items() if weight > 0]
    total = sum(weight for _, weight in positive)
    if not total:
        return None
    target = draw * total
    for name, weight in positive:
        target -= weight
        if target < 0:
            return name
    return positive[-1][0]


def choose_deployment(
    traffic: Mapping[str, int], known: Collection[str], pinned: Optional[str], draw: float
) -> RouteChoice:
    if pinned:
        if pinned in known:
            return RouteChoice(pinned, pinned=True)
        names = ", ".join(sorted(known)) or "none"
        return RouteChoice(
            None,
            status=404,
            code="DeploymentNotFound",
            message=f"The {DEPLOYMENT_HEADER} header names deployment '{pinned}', which this endpoint does not "
            f"have. Deployments: {names}.",
        )
    picked = weighted_pick(traffic, draw)
    if picked is None or picked not in known:
        return RouteChoice(
            None,
            status=404,
            code="NoValidDeployments",
            message="No valid deployments to route to. The endpoint has no deployment with a positive traffic "
            f"weight; set traffic or pin a deployment with the '{DEPLOYMENT_HEADER}' header.",
        )
    return RouteChoice(picked)


def mirror_pick(mirror_traffic: Mapping[str, int], draw: float) -> Optional[str]:
    """The mirror deployment when `draw` in [0, 1) falls inside its share, else None."""
    for name, pct in mirror_traffic.items():
        if pct > 0 and draw * 100 < pct:
            return name
    return None
