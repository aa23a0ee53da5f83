"""The fast engine driven epoch by epoch from Python (the path of learned policies): at every
decision epoch the env's observer reads the same observation, bit for bit, from the fast
engine's view as from the reference simulator, and the same mask; so a policy, learned or
not, takes the same actions through both."""

from __future__ import annotations

import numpy as np
from _compare import shorten, without_repeats

from rlroute.envs.observation import Observer
from rlroute.policies import make_router
from rlroute.scenarios import load_scenario
from rlroute.sim import Simulator
from rlroute.sim.fast import FastSimulator, SimulatorView


def test_observations_masks_and_actions_equal_at_every_epoch() -> None:
    sc = without_repeats(shorten(load_scenario("heterogeneous"), 2))
    ref, fast = Simulator(sc, 11), FastSimulator(sc, 11)
    view = SimulatorView(fast)
    observer = Observer(sc, wrap_up=True)
    router = make_router("gcmu")  # no compiled twin: the same Python code decides for both
    router.reset(ref)
    rng = np.random.default_rng(0)
    epochs = 0
    while True:
        more = ref.advance()
        assert fast.advance() == more
        if not more:
            break
        epochs += 1
        assert fast.now == ref.now
        obs_ref, obs_fast = observer(ref), observer(view)
        assert obs_ref.tobytes() == obs_fast.tobytes()
        mask = ref.action_mask(work_conserving=False)
        assert (view.action_mask(work_conserving=False) == mask).all()
        # Mostly the router's choice, sometimes a hold or another valid action.
        chosen = router.act(ref)
        assert router.act(view) == chosen
        action = chosen if rng.random() < 0.8 else int(rng.choice(np.flatnonzero(mask)))
        ref.step(action)
        fast.step(action)
    assert epochs > 100
    a, b = ref.report().overall, fast.report().overall
    assert {k: v for k, v in a.items() if v == v} == {k: v for k, v in b.items() if v == v}
