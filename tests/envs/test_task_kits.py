"""The MiniWoB task-kit table: every kit is complete, and relabelling agrees with the kit's expert.

The browser half of the agreement (real MiniWoB pages, every kit that relabels) is
``tests/envs/test_miniwob.py::test_relabelled_episodes_click_what_the_expert_clicks_for_the_new_instruction``;
here the reading drills, whose pages carry both the DOM the expert reads and the elements a
relabeller reads, check it without a browser.
"""

from __future__ import annotations

from typing import Any

import gymnasium as gym
import pytest

import deskpilot.envs  # noqa: F401  (registers the ids)
from deskpilot.collectors.loop import run_episode
from deskpilot.collectors.relabel import relabelled
from deskpilot.envs.actions import Action
from deskpilot.envs.miniwob import SUITE_TASKS, env_id
from deskpilot.envs.miniwob.expert import EXPERT_TASKS
from deskpilot.envs.miniwob.registry import DRILL_ENV_IDS, DRILLS, task_of
from deskpilot.envs.miniwob.tasks import KITS, kit_for_env_id
from deskpilot.envs.miniwob.tasks.base import nothing


def test_every_kit_has_its_parts() -> None:
    assert set(SUITE_TASKS) <= set(KITS) and tuple(KITS) == EXPERT_TASKS
    for task, kit in KITS.items():
        assert kit.task == task and callable(kit.parse) and callable(kit.expert)
        assert env_id(task) in gym.registry and kit_for_env_id(env_id(task)) is kit
        if kit.relabel is not None:  # a relabeller words new instructions with the kit
            assert kit.instruction is not None and kit.alternatives is not None, task
    assert kit_for_env_id("deskpilot/mock-click-link-v0") is None
    for kind, task in DRILLS.items():  # a drill imitates a task that has a kit
        assert task_of(f"deskpilot/miniwob-drill-{kind}-v0") == task and task in KITS


@pytest.mark.parametrize(
    ("task", "asked"),
    [
        ("click-link", "tellus"),
        ("click-button", "Okay"),
        ("click-checkboxes", {"Ab", "x9"}),
        ("click-tab-2-hard", "imperdiet."),
        ("click-collapsible-2", "Lectus"),
    ],
)
def test_instruction_and_parse_are_inverses(task: str, asked: object) -> None:
    kit = KITS[task]
    assert kit.instruction is not None
    spec = sorted(asked) if isinstance(asked, set) else asked
    assert kit.parse(kit.instruction(spec)) == asked
    with pytest.raises(ValueError):
        kit.parse("Do something else.")


@pytest.mark.parametrize("task", sorted(t for t, kit in KITS.items() if kit.parse is not nothing))
def test_every_kit_refuses_an_instruction_not_its_own_by_name(task: str) -> None:
    # One clear error that quotes the text and names the kit (or the kits sharing its reader).
    with pytest.raises(ValueError, match="'Do something else.'") as refused:
        KITS[task].parse("Do something else.")
    sharing = {t for t, kit in KITS.items() if kit.parse is KITS[task].parse}
    assert any(f"{t}:" in str(refused.value) or f"{t}," in str(refused.value) for t in sharing), refused.value


def _hit(elements: list[dict], action: Action) -> dict:
    """The interactive element a click lands on (the last in paint order)."""
    assert action.x is not None and action.y is not None
    under = [
        e
        for e in elements
        if e["role"] != "text"
        and e["box"][0] <= action.x < e["box"][2]
        and e["box"][1] <= action.y < e["box"][3]
    ]
    assert under, action
    return under[-1]


class _Recorder:
    """The expert, remembering the DOM of every frame it acted on."""

    def __init__(self, expert: Any) -> None:
        self.expert, self.doms = expert, []

    def reset(self) -> None:
        self.doms = []

    def act(self, observation: Any, info: dict) -> Action:
        self.doms.append(info["dom"])
        return self.expert.act(observation, info)


_RELABELLED_DRILLS = [d for d in DRILL_ENV_IDS if getattr(kit_for_env_id(d), "relabel", None) is not None]


@pytest.mark.parametrize("drill", _RELABELLED_DRILLS)
def test_relabelled_clicks_agree_with_the_kit_expert_told_the_new_instruction(drill: str) -> None:
    env = gym.make(drill)
    kit = kit_for_env_id(drill)
    assert kit is not None and kit.relabel is not None
    compared = 0
    for seed in range(8):
        recorder = _Recorder(env.unwrapped.make_expert())
        episode = run_episode(env, recorder, source="expert", seed=seed).trajectory
        for copy in relabelled([episode], copies=3, seed=seed):
            assert copy.task != episode.task and len(copy.steps) <= len(episode.steps)
            for step, dom in zip(copy.steps, recorder.doms, strict=False):
                elements = step.annotations["elements"]
                wanted = kit.expert(copy.task, dom)  # the kit's rule, told the new instruction
                assert _hit(elements, step.action) == _hit(elements, wanted), copy.task
                compared += 1
    assert compared >= 8


def test_the_word_drills_relabel() -> None:
    # The link and checkbox drills' instructions name words, so their copies ask for other words.
    assert {task_of(d) for d in _RELABELLED_DRILLS} == {"click-link", "click-checkboxes"}
