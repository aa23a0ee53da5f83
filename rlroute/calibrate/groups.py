"""Agent groups and their skills, from who served which call types.

Method.

* **Type mix.** Each agent with at least ``min_calls`` answered calls gets the vector of the
  shares of each call type among the calls they served.
* **Clustering.** Ward hierarchical clustering (``scipy.cluster.hierarchy``) of these vectors,
  Euclidean distance. ``k`` is chosen by the average silhouette width (Rousseeuw 1987) over
  ``k = 2 .. max_groups``, among the ``k`` whose group centroids are all at least
  ``min_separation`` (0.2) apart in type shares: agents spread along a continuum of mixes
  (noise, or one skill set used unevenly) are not cut into many near-identical groups. If no
  admissible ``k`` reaches ``min_silhouette`` (0.5, "reasonable structure" on Kaufman and
  Rousseeuw's scale) there is no group structure worth modelling and every agent is in one
  group. ``n_groups`` fixes ``k`` instead.
* **Agents with few calls** are put in the group whose mean type mix is nearest (Euclidean).
* **Skills.** A group can serve a type when the type makes up at least ``min_share`` of the
  group's calls and the group served at least ``min_type_calls`` of them: occasional calls
  (an overflow, a transfer) do not make a skill. A type no group qualifies for goes to the
  group that served most of its calls, so that every type can be served.
* **Names** are ``g<j>_<main types>`` with the types that make up at least 20% of the group's
  calls, e.g. ``g1_NE`` for stock-exchange specialists; groups are ordered by size.

Per-group proficiency (handle time per type, first-call resolution) is fitted on the calls
of each group by :mod:`rlroute.calibrate.handle` and :mod:`rlroute.calibrate.resolution`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy.cluster.hierarchy import fcluster, linkage
from scipy.spatial.distance import pdist, squareform

from rlroute.calibrate.common import CalibrationError

__all__ = ["AgentGroups", "agent_type_shares", "assign_to_groups", "cluster_agents", "silhouette"]


def agent_type_shares(served: pd.DataFrame, types: list[str]) -> pd.DataFrame:
    """Calls served per agent and type (answered calls with a named agent), as counts."""
    rows = served[served["agent"].notna()]
    if rows.empty:
        raise CalibrationError(
            "no answered call names its agent (column agent is empty): cannot infer groups"
        )
    counts = pd.crosstab(rows["agent"].astype(str), rows["call_type"].astype(str))
    return counts.reindex(columns=types, fill_value=0).astype(float)


def silhouette(x: np.ndarray, labels: np.ndarray) -> float:
    """Average silhouette width of a clustering (Euclidean); 0 for a single cluster."""
    uniq = np.unique(labels)
    if uniq.size < 2 or uniq.size >= len(x):
        return 0.0
    d = squareform(pdist(x))
    s = np.zeros(len(x))
    for i in range(len(x)):
        own = labels == labels[i]
        if own.sum() <= 1:
            continue  # a singleton's silhouette is 0 by convention
        a = d[i, own].sum() / (own.sum() - 1)
        b = min(d[i, labels == c].mean() for c in uniq if c != labels[i])
        s[i] = (b - a) / max(a, b) if max(a, b) > 0 else 0.0
    return float(s.mean())


@dataclass
class AgentGroups:
    """Agents clustered by their type mix.

    Attributes:
        assignment: agent -> group name.
        names: group names, largest group first.
        skills: group name -> call types it serves.
        counts: calls served per agent and type.
        silhouettes: k -> average silhouette width, for each k tried.
        k_rule: how k was chosen, in words.
    """

    assignment: dict[str, str]
    names: list[str]
    skills: dict[str, list[str]]
    counts: pd.DataFrame
    silhouettes: dict[int, float] = field(default_factory=dict)
    k_rule: str = ""

    def members(self, group: str) -> list[str]:
        return sorted(a for a, g in self.assignment.items() if g == group)

    def table(self) -> pd.DataFrame:
        """One row per group: agents, calls, type shares and skills."""
        rows = []
        for name in self.names:
            members = self.members(name)
            c = self.counts.loc[members].sum()
            row = {"group": name, "agents": len(members), "calls": int(c.sum())}
            row.update({f"share_{t}": float(c[t] / c.sum()) for t in self.counts.columns})
            row["skills"] = ", ".join(self.skills[name])
            row["members"] = ", ".join(members)
            rows.append(row)
        return pd.DataFrame(rows)


def cluster_agents(
    counts: pd.DataFrame,
    n_groups: int | None = None,
    max_groups: int = 6,
    min_silhouette: float = 0.5,
    min_calls: int = 50,
    min_share: float = 0.01,
    min_type_calls: int = 20,
    min_separation: float = 0.2,
) -> AgentGroups:
    """Cluster agents by type mix and derive each group's skills (see the module docstring).

    Args:
        counts: calls served per agent (rows) and type (columns), e.g. from
            :func:`agent_type_shares`.
        n_groups: a fixed number of groups; ``None`` chooses it by the silhouette rule.
    """
    if counts.empty or counts.to_numpy().sum() == 0:
        raise CalibrationError("no served calls per agent: cannot cluster agents")
    if n_groups is not None and n_groups < 1:
        raise CalibrationError(f"n_groups must be >= 1, got {n_groups}")
    totals = counts.sum(axis=1)
    core = counts[totals >= min_calls]
    if core.empty:  # every agent is small: cluster them all rather than none
        core = counts[totals > 0]
    shares = core.div(core.sum(axis=1), axis=0).to_numpy()
    n = len(core)
    sil: dict[int, float] = {}
    if n_groups is not None:
        k = min(n_groups, n)
        rule = f"fixed: n_groups={n_groups}" + ("" if k == n_groups else f" (only {n} agents)")
    elif n < 3:
        k, rule = 1, f"one group: only {n} agent(s) with >= {min_calls} calls"
    else:
        z = linkage(shares, method="ward")
        separated: dict[int, bool] = {}
        for kk in range(2, min(max_groups, n - 1) + 1):
            labels = fcluster(z, kk, criterion="maxclust")
            if np.unique(labels).size == kk:
                sil[kk] = silhouette(shares, labels)
                cents = np.array([shares[labels == c].mean(axis=0) for c in np.unique(labels)])
                separated[kk] = bool(pdist(cents).min() >= min_separation)
        ok = [kk for kk in sil if separated[kk]]
        best = max(ok, key=lambda kk: sil[kk]) if ok else 1
        if ok and sil[best] >= min_silhouette:
            k = best
            rule = (
                f"silhouette: k={best} maximises it ({sil[best]:.2f} >= {min_silhouette}) "
                f"among k with centroids >= {min_separation} apart"
            )
        else:
            k = 1
            top = f"{sil[best]:.2f} at k={best}" if ok else "none admissible"
            rule = (
                f"one group: best silhouette {top} < {min_silhouette} (k with centroids "
                f">= {min_separation} apart)"
            )
    if k == 1:
        labels = np.ones(n, dtype=int)
    else:
        labels = fcluster(linkage(shares, method="ward"), k, criterion="maxclust")
    assignment = dict(zip(core.index.astype(str), labels.tolist()))
    # Small agents join the group with the nearest mean type mix.
    centroids = {c: shares[labels == c].mean(axis=0) for c in np.unique(labels)}
    for agent, row in counts[~counts.index.isin(core.index)].iterrows():
        tot = row.sum()
        if tot == 0:
            continue
        v = (row / tot).to_numpy()
        assignment[str(agent)] = min(centroids, key=lambda c: np.linalg.norm(v - centroids[c]))
    # Name and order the groups by size (calls served).
    group_counts = {
        c: counts.loc[[a for a, g in assignment.items() if g == c]].sum() for c in centroids
    }
    order = sorted(group_counts, key=lambda c: -group_counts[c].sum())
    names: dict[int, str] = {}
    for j, c in enumerate(order, start=1):
        gc = group_counts[c]
        main = [t for t in counts.columns if gc[t] >= 0.2 * gc.sum()] or [gc.idxmax()]
        names[c] = f"g{j}_" + "_".join(str(t) for t in main) if k > 1 else "agents"
    skills: dict[str, list[str]] = {names[c]: [] for c in order}
    for c in order:
        gc = group_counts[c]
        for t in counts.columns:
            if gc[t] >= min_type_calls and gc[t] >= min_share * gc.sum():
                skills[names[c]].append(str(t))
    for t in counts.columns:
        if not any(t in s for s in skills.values()) and counts[t].sum() > 0:
            best = max(order, key=lambda c: group_counts[c][t])
            skills[names[best]].append(str(t))
    return AgentGroups(
        assignment={a: names[c] for a, c in assignment.items()},
        names=[names[c] for c in order],
        skills={g: sorted(s) for g, s in skills.items()},
        counts=counts,
        silhouettes=sil,
        k_rule=rule,
    )


def assign_to_groups(counts: pd.DataFrame, groups: AgentGroups) -> AgentGroups:
    """Keep given groups (from an earlier calibration, or a roster) on new records.

    Agents of ``groups.assignment`` keep their group; an agent it does not know joins the
    group whose mean type mix over its known members is nearest (as small agents do in
    :func:`cluster_agents`). Names and skills are those given. This is what an out-of-sample
    test needs: the test period must be described in the fitted period's groups.
    """
    if counts.empty or counts.to_numpy().sum() == 0:
        raise CalibrationError("no served calls per agent: cannot assign agents to groups")
    known = groups.counts.reindex(columns=counts.columns, fill_value=0.0)
    centroids = {}
    for name in groups.names:
        members = [a for a in groups.members(name) if a in known.index]
        tot = known.loc[members].sum()
        if tot.sum() > 0:
            centroids[name] = (tot / tot.sum()).to_numpy()
    if not centroids:
        raise CalibrationError("the given agent groups have no served calls to compare with")
    assignment: dict[str, str] = {}
    for agent, row in counts.iterrows():
        a = str(agent)
        if a in groups.assignment:
            assignment[a] = groups.assignment[a]
        elif row.sum() > 0:
            v = (row / row.sum()).to_numpy()
            assignment[a] = min(centroids, key=lambda g: np.linalg.norm(v - centroids[g]))
    new = sum(1 for a in assignment if a not in groups.assignment)
    return AgentGroups(
        assignment=assignment,
        names=list(groups.names),
        skills={g: list(s) for g, s in groups.skills.items()},
        counts=counts,
        silhouettes={},
        k_rule=f"given: {len(groups.names)} groups kept; {new} new agent(s) joined the nearest",
    )
