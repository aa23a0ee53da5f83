"""Warm start by imitation: behaviour cloning of a teacher router into an SB3 policy, then PPO.

PPO from scratch spends most of its budget rediscovering what a good index rule already
knows. Cloning the rule first (the policy network learns to predict the teacher's action at
the states the teacher visits) gives PPO a starting point as good as the rule, and the
fine-tuning only has to improve on it. Three pieces:

* **Behaviour cloning**: roll the teacher (any registered router, e.g. ``cmu_theta`` or the
  tuned ``index``) through ``n_days`` training days of the trainer's own environment (same
  wrappers, forced decisions skipped), record ``(observation, mask, teacher action)`` and
  minimise the masked policy's negative log-likelihood of the teacher's action.
* **DAgger** (optional, ``dagger_rounds``): roll out the *student* (greedy over valid actions)
  on fresh days, label the states it visits with the teacher's action, aggregate and retrain,
  so the clone also knows what to do in the states its own mistakes lead to.
* **Critic warm start** (``pretrain_critic``): fit the value network to the discounted
  returns of the teacher's days (with the trainer's reward normalisation), so PPO's first
  advantages are not the noise of a random critic, which would push the actor off the clone.

The observation and return normalisation statistics (VecNormalize) are set from the
teacher's days before cloning, so PPO continues with the normalisation the clone was fitted
with. Imitation days come from seeds >= 2**30 derived from the run's seed (their own stream,
see :func:`imitation_day_seed`), never a benchmark (0..N) or eval (100000+) seed.

Called by :func:`rlroute.rl.train.train` when the config's ``imitation.enabled`` is true; a
notebook can call :func:`pretrain` on any MaskablePPO model.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, cast

import numpy as np
import torch as th

from rlroute.policies import make_router
from rlroute.sim.router import Router

if TYPE_CHECKING:
    from stable_baselines3.common.vec_env import VecNormalize

    from rlroute.rl.train import TrainSettings


@dataclass
class ImitationSettings:
    """The ``imitation:`` section of the training config, typed."""

    enabled: bool = False
    teacher: str | dict[str, Any] = "cmu_theta"  # a router name or {name: ..., **kwargs}
    n_days: int = 20  # teacher days (round 0) and student days per DAgger round
    epochs: int = 20  # passes over the aggregated data set per round
    batch_size: int = 512
    learning_rate: float = 1e-3
    dagger_rounds: int = 0
    pretrain_critic: bool = True
    # Share of the target spread over the valid actions (0: plain cloning). A clone that is
    # certain of every action gives PPO nothing to explore: its updates barely move it.
    label_smoothing: float = 0.0
    horizon_intervals: int | None = None  # cut the days (tests, quick runs)

    @classmethod
    def from_config(cls, cfg: Mapping[str, Any] | None) -> ImitationSettings:
        cfg = dict(cfg or {})
        known = set(cls.__dataclass_fields__)
        unknown = sorted(set(cfg) - known)
        if unknown:
            raise ValueError(f"imitation: unknown key(s) {unknown}; known: {sorted(known)}")
        out = cls(**cfg)
        for name in ("n_days", "epochs", "batch_size"):
            if int(getattr(out, name)) < 1:
                raise ValueError(
                    f"imitation.{name}: {getattr(out, name)!r}; use a positive integer"
                )
        if not 0.0 <= float(out.label_smoothing) < 1.0:
            raise ValueError(f"imitation.label_smoothing: {out.label_smoothing!r}; use 0 <= x < 1")
        if int(out.dagger_rounds) < 0:
            raise ValueError(f"imitation.dagger_rounds: {out.dagger_rounds!r}; use >= 0")
        if not isinstance(out.teacher, str | Mapping) or (
            isinstance(out.teacher, Mapping) and "name" not in out.teacher
        ):
            raise ValueError(
                f"imitation.teacher: {out.teacher!r}; use a router name or {{name: ..., path: ...}}"
            )
        return out


def make_teacher(spec: str | Mapping[str, Any]) -> Router:
    """A router from a name (``cmu_theta``) or a mapping (``{name: index, path: ...}``)."""
    if isinstance(spec, str):
        return make_router(spec)
    kw = {k: v for k, v in dict(spec).items() if k not in ("name", "label")}
    return make_router(str(spec["name"]), **kw)


def imitation_day_seed(seed: int, round_: int) -> int:
    """First day seed of imitation round ``round_`` (day ``i`` gets ``+ i``): >= 2**30, from a
    stream of its own (not :func:`rlroute.rl.train.train_env_seed`'s)."""
    state = np.random.SeedSequence([seed, 0xB0C1, round_]).generate_state(1)[0]
    return int(state) % 2**31 | 2**30


@dataclass
class Demonstrations:
    """States visited, their masks, the teacher's actions and the rewards (per day)."""

    obs: list[np.ndarray] = field(default_factory=list)
    masks: list[np.ndarray] = field(default_factory=list)
    actions: list[int] = field(default_factory=list)
    rewards: list[float] = field(default_factory=list)
    day_end: list[bool] = field(default_factory=list)
    clock: list[float] = field(default_factory=list)  # simulated time (s) of each decision
    agree: int = 0  # steps where the acting policy chose the teacher's action
    skipped: int = 0  # teacher actions outside the env's mask (not learnable, left out)

    def __len__(self) -> int:
        return len(self.actions)


def collect(
    settings: TrainSettings,
    teacher: Router,
    seeds: list[int],
    student: Any | None = None,
    obs_norm: VecNormalize | None = None,
    scenario: Any | None = None,
) -> Demonstrations:
    """Roll out ``teacher`` (or ``student``, a SB3 model, greedy over valid actions) on the
    days ``seeds`` in the trainer's environment and label every decision with the teacher."""
    from rlroute.rl.train import make_env

    env = make_env(settings, scenario)
    data = Demonstrations()
    try:
        for s in seeds:
            obs, _ = env.reset(seed=int(s))
            sim = env.unwrapped.sim  # type: ignore[attr-defined]
            teacher.reset(sim)
            done = False
            while not done:
                mask = np.asarray(env.get_wrapper_attr("action_masks")(), dtype=bool)
                if env.unwrapped.sim is not sim:  # type: ignore[attr-defined]  # day replaced
                    sim = env.unwrapped.sim  # type: ignore[attr-defined]
                    teacher.reset(sim)
                label = int(teacher.act(sim))
                if student is None:
                    action = label
                else:
                    x = obs_norm.normalize_obs(obs[None]) if obs_norm is not None else obs[None]
                    act, _ = student.predict(x, deterministic=True, action_masks=mask[None])
                    action = int(act[0])
                if mask[label]:
                    data.obs.append(np.asarray(obs, dtype=np.float32))
                    data.masks.append(mask)
                    data.actions.append(label)
                    data.clock.append(float(env.unwrapped.sim.now))  # type: ignore[attr-defined]
                    data.agree += int(action == label)
                else:
                    data.skipped += 1
                    action = action if mask[action] else int(np.flatnonzero(mask)[0])
                obs, reward, terminated, truncated, _ = env.step(action)
                done = bool(terminated or truncated)
                if mask[label]:
                    data.rewards.append(float(reward))
                    data.day_end.append(done)
                elif data.rewards:  # a skipped sample's cost still belongs to the day
                    data.rewards[-1] += float(reward)
                    data.day_end[-1] = data.day_end[-1] or done
    finally:
        env.close()
    return data


def _discounted(rewards: np.ndarray, day_end: np.ndarray, gamma: float | np.ndarray) -> np.ndarray:
    """Discounted returns of each day; ``gamma`` a number or one discount per step."""
    out = np.zeros_like(rewards)
    disc = np.broadcast_to(np.asarray(gamma, dtype=float), rewards.shape)
    acc = 0.0
    for i in range(len(rewards) - 1, -1, -1):
        if day_end[i]:
            acc = 0.0
        acc = rewards[i] + disc[i] * acc
        out[i] = acc
    return out


def _step_discounts(data: Demonstrations, settings: TrainSettings, gamma: float) -> Any:
    """``gamma``, or with ``algo.discount=per_time`` the discount of each sample's time to the
    next sample of its day (the last sample of a day: unused, its return is its reward)."""
    if settings.discount != "per_time":
        return gamma
    from rlroute.rl.semi_markov import time_discounts

    clock = np.asarray(data.clock, dtype=float)
    dt = np.zeros_like(clock)
    dt[:-1] = np.maximum(clock[1:] - clock[:-1], 0.0)
    return time_discounts(gamma, dt, settings.time_scale_s)


def _set_normalisation(vn: VecNormalize, data: Demonstrations, gamma: float) -> None:
    """VecNormalize's running statistics from the teacher's days (as if it had seen them)."""
    from stable_baselines3.common.running_mean_std import RunningMeanStd

    if vn.norm_obs:
        current = cast(RunningMeanStd, vn.obs_rms)  # a Box observation: one RunningMeanStd
        rms = RunningMeanStd(shape=current.mean.shape)
        rms.update(np.stack(data.obs).astype(np.float64))
        vn.obs_rms = rms  # type: ignore[assignment]
    if vn.norm_reward:
        # VecNormalize scales rewards by the std of the forward discounted sum it keeps.
        fwd, acc = np.zeros(len(data.rewards)), 0.0
        for i, (r, end) in enumerate(zip(data.rewards, data.day_end)):
            acc = acc * gamma + r
            fwd[i] = acc
            if end:
                acc = 0.0
        rms = RunningMeanStd(shape=())
        rms.update(fwd)
        vn.ret_rms = rms


def _fit(
    model: Any,
    data: Demonstrations,
    vn: VecNormalize | None,
    cfg: ImitationSettings,
    gamma: float | np.ndarray,
    generator: th.Generator,
    fit_critic: bool,
) -> dict[str, float]:
    """Minimise the masked NLL of the teacher's actions (and the critic's squared error)."""
    policy = model.policy
    obs = np.stack(data.obs)
    if vn is not None and vn.norm_obs:
        obs = np.asarray(vn.normalize_obs(obs))
    x = th.as_tensor(obs, dtype=th.float32, device=policy.device)
    m = th.as_tensor(np.stack(data.masks), device=policy.device)
    a = th.as_tensor(np.asarray(data.actions), dtype=th.long, device=policy.device)
    rewards = np.asarray(data.rewards, dtype=np.float64)
    if vn is not None and vn.norm_reward:
        rewards = np.clip(
            rewards / np.sqrt(vn.ret_rms.var + vn.epsilon), -vn.clip_reward, vn.clip_reward
        )
    ret = th.as_tensor(
        _discounted(rewards, np.asarray(data.day_end), gamma),
        dtype=th.float32,
        device=policy.device,
    )
    opt = th.optim.Adam(policy.parameters(), lr=cfg.learning_rate)
    policy.set_training_mode(True)
    n = len(a)
    nll = vloss = float("nan")
    for _ in range(cfg.epochs):
        perm = th.randperm(n, generator=generator)
        for start in range(0, n, cfg.batch_size):
            idx = perm[start : start + cfg.batch_size]
            eps = float(cfg.label_smoothing)
            if eps > 0:
                mask = m[idx].float()
                logp = policy.get_distribution(x[idx], action_masks=m[idx]).distribution.logits
                values = policy.predict_values(x[idx])
                target = logp.gather(1, a[idx][:, None]).squeeze(1)
                spread = (logp * mask).sum(1) / mask.sum(1)
                loss = -((1 - eps) * target + eps * spread).mean()
            else:
                values, log_prob, _ = policy.evaluate_actions(x[idx], a[idx], action_masks=m[idx])
                loss = -log_prob.mean()
            nll = float(loss.detach())
            if fit_critic:
                v = th.nn.functional.mse_loss(values.flatten(), ret[idx])
                vloss = float(v.detach())
                loss = loss + v
            opt.zero_grad()
            loss.backward()
            th.nn.utils.clip_grad_norm_(policy.parameters(), 1.0)
            opt.step()
    policy.set_training_mode(False)
    with th.no_grad():
        dist = policy.get_distribution(x, action_masks=m.cpu().numpy())
        pred = dist.distribution.probs.argmax(dim=1)
        acc = float((pred == a).float().mean())
    return {"nll": nll, "value_mse": vloss, "train_agreement": acc}


def pretrain(
    model: Any, settings: TrainSettings, cfg: ImitationSettings, scenario: Any | None = None
) -> dict[str, Any]:
    """Clone ``cfg.teacher`` into ``model``'s policy (and critic), with DAgger rounds; sets the
    model's VecNormalize statistics from the teacher's days. Returns a summary (logged by the
    trainer to ``imitation.json``)."""
    from rlroute.scenario import truncate_intervals

    t0 = time.perf_counter()
    if scenario is None:
        scenario = settings.scenario
    if cfg.horizon_intervals is not None:
        scenario = truncate_intervals(scenario, int(cfg.horizon_intervals))
    teacher = make_teacher(cfg.teacher)
    gamma = float(settings.hyperparams.get("gamma", 0.99))
    vn = model.get_vec_normalize_env()
    gen = th.Generator().manual_seed(int(settings.seed))

    def days(round_: int) -> list[int]:
        base = imitation_day_seed(settings.seed, round_)
        return [base + i for i in range(cfg.n_days)]

    data = collect(settings, teacher, days(0), scenario=scenario)
    if vn is not None:
        _set_normalisation(vn, data, gamma)
    rounds: list[dict[str, Any]] = [{"round": 0, "samples": len(data), "skipped": data.skipped}]
    disc = _step_discounts(data, settings, gamma)
    rounds[-1].update(_fit(model, data, vn, cfg, disc, gen, cfg.pretrain_critic))
    for r in range(1, int(cfg.dagger_rounds) + 1):
        new = collect(settings, teacher, days(r), student=model, obs_norm=vn, scenario=scenario)
        student_agree = new.agree / max(len(new), 1)
        data.obs += new.obs
        data.masks += new.masks
        data.actions += new.actions
        # The critic keeps the teacher's returns: the student's are not the teacher's policy.
        fit = _fit(model, data, vn, cfg, gamma, gen, fit_critic=False)  # critic unused
        rounds.append({"round": r, "samples": len(data), "student_agreement": student_agree, **fit})
    return {
        "teacher": cfg.teacher,
        "n_days": cfg.n_days,
        "epochs": cfg.epochs,
        "dagger_rounds": cfg.dagger_rounds,
        "pretrain_critic": cfg.pretrain_critic,
        "first_day_seed": days(0)[0],
        "rounds": rounds,
        "wall_s": time.perf_counter() - t0,
    }


def agreement(
    model: Any, settings: TrainSettings, teacher: Router, seeds: list[int], scenario: Any = None
) -> float:
    """Share of the teacher's decisions (on the teacher's own days ``seeds``) that the greedy
    student reproduces."""
    data = collect(settings, teacher, seeds, scenario=scenario)
    vn = model.get_vec_normalize_env()
    obs = np.stack(data.obs)
    if vn is not None and vn.norm_obs:
        obs = vn.normalize_obs(obs)
    act, _ = model.predict(obs, deterministic=True, action_masks=np.stack(data.masks))
    return float(np.mean(np.asarray(act) == np.asarray(data.actions)))


__all__ = [
    "Demonstrations",
    "ImitationSettings",
    "agreement",
    "collect",
    "imitation_day_seed",
    "make_teacher",
    "pretrain",
]
