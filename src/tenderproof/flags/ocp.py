"""Red flags from OCP's list that Cardinal does not compute, each one SQL query over the tables.

Codes and names are those of OCP's *Red Flags in Public Procurement* (2024) and its Red Flags to
OCDS mapping (which extend *Red flags for integrity: giving the green light to open data
solutions*, 2016); the fields are those the mapping lists. Where the guide leaves a method open
(a threshold, a market), the choice is tenderproof's and is stated in docs/flags.md and in each
docstring. They follow Cardinal's conventions: the same exclusions (`inc`), the same output groups,
values as decimals, quartiles with statrs' estimator and Tukey fences in `Meta`, a setting
`threshold` that replaces a fence. One rule is added: a fence computed from the data is used only
when Q3 > Q1 (with no spread, nothing is an outlier). Amounts are only compared in one currency:
a process, market or buyer is measured in each currency separately, never converted.

The indicators are in `ocp_tender` (the tender and its bids) and `ocp_award` (awards, markets,
contracts); how they find their limits, in `ocp_limits`.
"""

from __future__ import annotations

from tenderproof.flags import ocp_award, ocp_tender

#: Each indicator's step, in code order: first the tender and its bids, then awards and contracts.
STEPS = {**ocp_tender.STEPS, **ocp_award.STEPS}
