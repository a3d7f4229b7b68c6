"""Expert episodes with slips: a miss is executed and kept as history; the expert's recovery is the target."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from deskpilot.collectors.schema import K_SLIP
from deskpilot.collectors.slips import Slipping, slip
from deskpilot.envs.actions import Action, ActionType
from deskpilot.policies.config import get_config
from deskpilot.policies.data import ArrayDataset, trajectory_to_examples
from deskpilot.policies.sources import expert_episodes

CFG = get_config("tiny").model
SLIDER = "deskpilot/mock-slider-v0"


def test_a_slip_moves_a_clicks_point_and_a_drags_end_only() -> None:
    rng = np.random.default_rng(0)
    click = slip(Action.click(0.5, 0.5), rng, 0.05)
    assert click is not None and click.type == ActionType.CLICK and (click.x, click.y) != (0.5, 0.5)
    drag = slip(Action.drag(0.2, 0.3, 0.6, 0.3), rng, 0.05)
    assert drag is not None and (drag.x, drag.y) == (0.2, 0.3) and (drag.x2, drag.y2) != (0.6, 0.3)
    edge = slip(Action.click(1.0, 0.0), np.random.default_rng(1), 0.5)
    assert edge is not None and 0.0 <= edge.x <= 1.0 and 0.0 <= edge.y <= 1.0  # type: ignore[operator]
    assert slip(Action.type_text("kiwi"), rng, 0.05) is None
    assert slip(Action.press("enter"), rng, 0.05) is None


class _Expert:
    def __init__(self) -> None:
        self.resets = 0

    def reset(self) -> None:
        self.resets += 1

    def act(self, observation: object, info: object) -> Action:
        return Action.click(0.5, 0.5) if observation == "screen" else Action.press("enter")


def test_slipping_remembers_which_steps_missed_and_forgets_them_on_reset() -> None:
    expert = _Expert()
    actor = Slipping(expert, np.random.default_rng(0), rate=1.0)
    actor.reset()
    assert actor.act("screen", {}) != Action.click(0.5, 0.5)
    assert actor.act("field", {}) == Action.press("enter")  # nothing to miss
    assert actor.act("screen", {}) != Action.click(0.5, 0.5)
    assert actor.slipped == [0, 2]
    actor.reset()
    assert actor.slipped == [] and expert.resets == 2
    never = Slipping(_Expert(), np.random.default_rng(0), rate=0.0)
    never.reset()
    assert never.act("screen", {}) == Action.click(0.5, 0.5) and never.slipped == []
    with pytest.raises(ValueError, match="rate"):
        Slipping(_Expert(), np.random.default_rng(0), rate=1.5)


def test_a_slipped_step_is_history_and_the_recovery_is_a_target() -> None:
    episodes = list(itertools.islice(expert_episodes([SLIDER], seed=5, slips=1.0), 40))
    recovered = 0
    for t in episodes:
        flags = [bool(s.annotations.get(K_SLIP)) for s in t.steps]
        ex = trajectory_to_examples(t, CFG)
        assert (len(ex["type"]) if ex else 0) == flags.count(False)
        for i in range(1, len(flags)):
            if flags[i - 1] and not flags[i]:  # the expert's drag after a missed one
                row = flags[:i].count(False)
                missed = t.steps[i - 1].action
                assert ex["hist_xy"][row, -1, 2] == pytest.approx(missed.x2)  # the miss, as executed
                recovered += 1
        assert t.success  # the expert recovers from every miss
    assert recovered >= 5
    lengths = ArrayDataset.from_trajectories(episodes, CFG).episode_lengths
    assert lengths is not None and lengths.sum() == sum(
        sum(not s.annotations.get(K_SLIP) for s in t.steps) ** 2 for t in episodes
    )


def test_streamed_episodes_without_slips_are_clean() -> None:
    for t in itertools.islice(expert_episodes([SLIDER], seed=5), 10):
        assert not any(s.annotations.get(K_SLIP) for s in t.steps)
    with pytest.raises(ValueError, match="slips"):
        next(expert_episodes([SLIDER], slips=2.0))


def test_a_slipping_experts_steps_keep_its_other_right_clicks() -> None:
    """Every box still to tick is a right click: the unslipped steps of a slipping expert say so too."""
    env = "deskpilot/mock-click-checkboxes-v0"
    clean = list(itertools.islice(expert_episodes([env], seed=3), 10))
    slipping = list(itertools.islice(expert_episodes([env], seed=3, slips=1.0), 20))

    def several(episodes: list) -> int:  # type: ignore[type-arg]
        return sum(
            len(s.annotations.get("targets") or []) > 1
            for t in episodes
            for s in t.steps
            if not s.annotations.get(K_SLIP)
        )

    assert several(clean) > 0 and several(slipping) > 0
