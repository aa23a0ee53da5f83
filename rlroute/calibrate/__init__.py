"""rlroute.calibrate: historical call records in, a Scenario (and a report of every fit) out.

>>> from rlroute.datasets import load_anonymous_bank
>>> scenario, report = calibrate(load_anonymous_bank(), day_type="weekday")  # doctest: +SKIP

One module per estimator, each stating its method: :mod:`~rlroute.calibrate.arrivals`
(rates per type and interval, Gamma day multiplier), :mod:`~rlroute.calibrate.handle`
(lognormal MLE with an EM short-call mixture, KS and QQ), :mod:`~rlroute.calibrate.patience`
(exponential MLE and Kaplan-Meier on censored waits), :mod:`~rlroute.calibrate.groups`
(agents clustered by type mix), :mod:`~rlroute.calibrate.resolution` (FCR from repeat
calls), :mod:`~rlroute.calibrate.staffing` (head counts from service activity),
:mod:`~rlroute.calibrate.wrapup` (after-call work from idle gaps while calls waited),
:mod:`~rlroute.calibrate.handle_profile` (handle times over the day).
:func:`calibrate` runs them all; :mod:`~rlroute.calibrate.report` writes the report;
:mod:`~rlroute.calibrate.synthetic` turns simulator logs into call records (round trips).
Simulating is a layer above: the backtest (simulate the fitted days and compare) is
:mod:`rlroute.bench.backtest`, synthetic records :func:`rlroute.bench.synthetic.simulate_records`.
"""

from rlroute.calibrate.arrivals import ArrivalFit, fit_arrivals, gamma_shape_mom
from rlroute.calibrate.common import CalibrationError, DayGrid
from rlroute.calibrate.core import CalibrationReport, calibrate, priority_labels
from rlroute.calibrate.groups import AgentGroups, agent_type_shares, cluster_agents
from rlroute.calibrate.handle import HandleFit, fit_handle_time, fit_lognormal
from rlroute.calibrate.handle_profile import fit_handle_profiles
from rlroute.calibrate.patience import (
    KaplanMeier,
    PatienceFit,
    exponential_mle,
    fit_patience,
    kaplan_meier,
)
from rlroute.calibrate.resolution import ResolutionFit, fit_resolution
from rlroute.calibrate.staffing import StaffingFit, infer_staffing
from rlroute.calibrate.synthetic import call_log_to_records
from rlroute.calibrate.wrapup import WrapUpFit, fit_wrap_up, wrap_up_samples

__all__ = [
    "AgentGroups",
    "ArrivalFit",
    "CalibrationError",
    "CalibrationReport",
    "DayGrid",
    "HandleFit",
    "KaplanMeier",
    "PatienceFit",
    "ResolutionFit",
    "StaffingFit",
    "WrapUpFit",
    "agent_type_shares",
    "calibrate",
    "call_log_to_records",
    "cluster_agents",
    "exponential_mle",
    "fit_arrivals",
    "fit_handle_profiles",
    "fit_handle_time",
    "fit_lognormal",
    "fit_patience",
    "fit_resolution",
    "fit_wrap_up",
    "gamma_shape_mom",
    "infer_staffing",
    "kaplan_meier",
    "priority_labels",
    "wrap_up_samples",
]
