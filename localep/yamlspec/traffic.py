"""The cloud's rules for an endpoint's traffic and mirror_traffic, shared by `validate` and the gateway.

Each problem comes with the dotted YAML key it is about, so `validate` can point at the line.
"""

from __future__ import annotations

from typing import Dict, List, Mapping, Sequence, Tuple

from localep.errors import LocalepError

MAX_TRAFFIC_TOTAL = 100
MAX_MIRROR_PERCENT = 50
MAX_MIRROR_DEPLOYMENTS = 1

Problem = Tuple[str, str]  # (dotted key, message)


def traffic_problems(traffic: Mapping[str, int]) -> List[Problem]:
    total = sum(traffic.values())
    if total > MAX_TRAFFIC_TOTAL:
        return [("traffic", f"traffic adds up to {total}%; it must be at most {MAX_TRAFFIC_TOTAL}%")]
    return []


def mirror_problems(mirror: Mapping[str, int]) -> List[Problem]:
    named = {name: pct for name, pct in mirror.items() if pct}
    problems: List[Problem] = []
    if len(named) > MAX_MIRROR_DEPLOYMENTS:
        problems.append(("mirror_traffic", f"mirror_traffic names {len(named)} deployments ({', '.join(named)}); "
                                           f"at most {MAX_MIRROR_DEPLOYMENTS} may receive mirrored traffic"))
    problems += [(f"mirror_traffic.{name}", f"mirror_traffic for {name!r} is {pct}%; it must be at most "
                                            f"{MAX_MIRROR_PERCENT}%")
                 for name, pct in named.items() if pct > MAX_MIRROR_PERCENT]
    return problems


def parse_shares(pairs: Sequence[str]) -> Dict[str, int]:
    """`blue=90 green=10` as the shares a command line or `az --traffic` gives."""
    shares = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not name or not value.strip().isdigit():
            raise LocalepError(f"{pair!r}: expected DEPLOYMENT=PERCENT, e.g. blue=90")
        shares[name] = int(value)
    return shares
