"""Hindsight relabelling: other instructions for recorded frames, with the expert's action for each."""

from __future__ import annotations

import numpy as np

from deskpilot.collectors.relabel import relabel, relabelled, with_alternatives
from deskpilot.collectors.trajectory import EpisodeMeta, Step, Trajectory
from deskpilot.envs.actions import Action

LINK_ENV = "deskpilot/miniwob-click-link-v0"
BOX_ENV = "deskpilot/miniwob-click-checkboxes-v0"
FRAME = np.zeros((210, 160, 3), np.uint8)


def _episode(
    env_id: str, task: str, actions: list[Action], elements: list[dict], success: bool = True
) -> Trajectory:
    steps = [Step(FRAME, a, {"elements": elements}) for a in actions]
    return Trajectory(EpisodeMeta(task, "expert", (210, 160), env_id, 0), steps, success, float(success))


def _inside(box: list[float], action: Action) -> bool:
    assert action.x is not None and action.y is not None
    return box[0] <= action.x < box[2] and box[1] <= action.y < box[3]


LINKS = [
    {"box": [0.1, 0.2, 0.3, 0.25], "label": "tellus", "role": "link"},
    {"box": [0.4, 0.2, 0.6, 0.25], "label": "arcu", "role": "link"},
    {"box": [0.1, 0.3, 0.3, 0.35], "label": "Mi", "role": "link"},
    {"box": [0.4, 0.3, 0.6, 0.35], "label": "dup", "role": "link"},
    {"box": [0.1, 0.4, 0.3, 0.45], "label": "dup", "role": "link"},
    {"box": [0.4, 0.4, 0.6, 0.45], "label": "quam", "role": "text"},
]


def test_click_link_is_relabelled_to_each_other_unique_link() -> None:
    episode = _episode(LINK_ENV, 'Click on the link "tellus".', [Action.click(0.2, 0.22)], LINKS)
    copies = relabelled([episode], copies=4, seed=0)
    by_task = {c.task: c for c in copies}
    # "dup" is shown twice (ambiguous), "quam" is not a link, "tellus" is the recorded instruction.
    assert set(by_task) == {'Click on the link "arcu".', 'Click on the link "Mi".'}
    for label, box in (("arcu", LINKS[1]["box"]), ("Mi", LINKS[2]["box"])):
        copy = by_task[f'Click on the link "{label}".']
        assert _inside(box, copy.steps[0].action)
        assert copy.steps[0].screenshot is episode.steps[0].screenshot  # same frame, new instruction
        assert copy.meta.extra["relabelled_from"] == episode.task and copy.meta.env_id == LINK_ENV
    assert episode.task == 'Click on the link "tellus".' and _inside(LINKS[0]["box"], episode.steps[0].action)


def test_nothing_to_relabel_gives_none() -> None:
    rng = np.random.default_rng(0)
    only = [LINKS[0], LINKS[5]]
    assert (
        relabel(_episode(LINK_ENV, 'Click on the link "tellus".', [Action.click(0.2, 0.22)], only), rng)
        is None
    )
    failed = _episode(
        LINK_ENV, 'Click on the link "tellus".', [Action.click(0.5, 0.22)], LINKS, success=False
    )
    assert relabel(failed, rng) is None
    other_env = _episode(
        "deskpilot/click-link-v0", "Click the link 'tellus'.", [Action.click(0.2, 0.22)], LINKS
    )
    assert relabel(other_env, rng) is None
    human = Trajectory(
        EpisodeMeta('Click on the link "tellus".', "human", (210, 160), LINK_ENV),
        [Step(FRAME, Action.click(0.2, 0.22))],
        True,
    )
    assert relabel(human, rng) is None  # no annotations to read the page from


def _boxes(names: list[str]) -> list[dict]:
    """A click-checkboxes page: per name a square and a label with the name right of it; Submit."""
    out: list[dict] = []
    for i, name in enumerate(names):
        y = 0.3 + 0.1 * i
        out.append({"box": [0.01, y, 0.40, y + 0.05], "label": name, "role": "label"})
        out.append({"box": [0.04, y - 0.01, 0.16, y + 0.05], "label": name, "role": "checkbox"})
    out.append({"box": [0.01, 0.85, 0.6, 0.99], "label": "Submit", "role": "button"})
    return out


def test_checkbox_copies_keep_only_the_frames_their_own_clicks_would_have_made() -> None:
    names = ["AA", "BB", "CC"]
    page = _boxes(names)
    name_click = lambda i: Action.click(0.28, 0.325 + 0.1 * i)  # noqa: E731 - the expert's click on a name
    # Recorded: "Select AA, CC": tick AA, tick CC, Submit (three frames of one page).
    recorded = [name_click(0), name_click(2), Action.click(0.3, 0.9)]
    episode = _episode(BOX_ENV, "Select AA, CC and click Submit.", recorded, page)
    copies = relabelled([episode], copies=8, seed=1)
    assert copies and all(c.task != episode.task for c in copies)
    seen = {c.task: c for c in copies}
    # Asked for BB only: tick BB on the first frame; the recorded second frame shows AA ticked, which
    # a policy that clicked BB never sees, so the copy ends there.
    acts = [s.action for s in seen["Select BB and click Submit."].steps]
    assert len(acts) == 1 and _inside(page[2]["box"], acts[0])
    # Asked for AA only: tick AA (as recorded), then with AA ticked Submit (the recording ticked CC).
    acts = [s.action for s in seen["Select AA and click Submit."].steps]
    assert len(acts) == 2 and _inside(page[0]["box"], acts[0]) and _inside(page[6]["box"], acts[1])
    # Asked for AA, BB, CC: AA, then BB (the recording ticked CC): two steps.
    if "Select AA, BB, CC and click Submit." in seen:
        acts = [s.action for s in seen["Select AA, BB, CC and click Submit."].steps]
        assert len(acts) == 2 and _inside(page[2]["box"], acts[1])
    for copy in copies:  # every step but the last clicks what the recording clicked
        for mine, theirs in zip(copy.steps[:-1], episode.steps, strict=False):
            assert [e["label"] for e in page if _inside(e["box"], mine.action)] == [
                e["label"] for e in page if _inside(e["box"], theirs.action)
            ]
    for copy in copies:  # every click is on a name (where the expert clicks), never on the square
        for step in copy.steps:
            hits = [e for e in page if _inside(e["box"], step.action)]
            assert hits[0]["role"] in ("label", "button") and len(hits) == 1, (copy.task, hits)


def test_relabelled_copies_are_seeded() -> None:
    page = _boxes(["AA", "BB", "CC", "DD"])
    episode = _episode(BOX_ENV, "Select nothing and click Submit.", [Action.click(0.3, 0.9)], page)
    first = [c.task for c in relabelled([episode], copies=3, seed=7)]
    assert first == [c.task for c in relabelled([episode], copies=3, seed=7)] and len(set(first)) == 3


def test_checkbox_steps_list_every_box_whose_state_is_wrong_as_a_right_click() -> None:
    names = ["AA", "BB", "CC"]
    page = _boxes(names)
    name_click = lambda i: Action.click(0.28, 0.325 + 0.1 * i)  # noqa: E731
    recorded = [name_click(0), name_click(2), Action.click(0.3, 0.9)]
    episode = _episode(BOX_ENV, "Select AA, CC and click Submit.", recorded, page)
    annotated = with_alternatives(episode)
    assert [s.action for s in annotated.steps] == recorded and annotated.task == episode.task
    labels = {tuple(e["box"]): e["label"] for e in page}
    targets = [[labels[tuple(b)] for b in s.annotations["targets"]] for s in annotated.steps]
    # Nothing ticked: AA or CC; AA ticked: CC; both ticked: Submit.
    assert targets == [["AA", "CC"], ["CC"], ["Submit"]]
    assert all(s.annotations["elements"] == page for s in annotated.steps)
    for copy in relabelled([episode], copies=4, seed=0):  # relabelled copies carry them too
        for step in copy.steps:
            assert _inside(step.annotations["targets"][0], step.action)
    other = _episode(LINK_ENV, 'Click on the link "tellus".', [Action.click(0.2, 0.22)], LINKS)
    assert with_alternatives(other) is other
