"""The kits of ``envs.miniwob.tasks.clicking``: their instruction parsing and their experts' choices.

No browser: the pages are a few hand-written DOM elements in ``info["dom"]``'s form, enough for
the rule under test. The experts' success on real pages is measured with ``deskpilot collect``.
"""

from __future__ import annotations

from typing import Any

import pytest

from deskpilot.envs.actions import Action, ActionType, from_pixel
from deskpilot.envs.miniwob.page import TASK_H, TASK_W
from deskpilot.envs.miniwob.tasks import KITS, clicking
from deskpilot.envs.miniwob.tasks.clicking import SYNONYMS
from deskpilot.envs.spaces import ExpertCannotAct


def _el(tag: str, role: str, label: str, box: list[float], classes: str = "", **kw: Any) -> dict[str, Any]:
    x0, y0, x1, y1 = box
    el = {"tag": tag, "type": "", "id": "", "classes": classes, "role": role, "label": label, "text": label}
    el |= {
        "value": None,
        "checked": None,
        "focused": False,
        "box": box,
        "point": [int((x0 + x1) / 2), int((y0 + y1) / 2)],
    }
    return el | kw


def _clicked(action: Action, el: dict[str, Any]) -> bool:
    return action == Action.click(from_pixel(el["point"][0], TASK_W), from_pixel(el["point"][1], TASK_H))


def test_every_kit_of_the_module_is_in_the_table() -> None:
    assert all(KITS[kit.task] is kit for kit in clicking.KITS)


def test_no_word_is_in_two_synonym_lists() -> None:
    words = [w for words in SYNONYMS for w in words]
    assert len(words) == len(set(words))


def test_soft_parses_the_lists_and_ticks_their_synonyms() -> None:
    kit = KITS["click-checkboxes-soft"]
    lists = {i for i, words in enumerate(SYNONYMS) if words[0] in ("big", "sad")}
    assert kit.parse("Select words similar to big, unhappy and click Submit.") == lists
    for bad in ("Select big and click Submit.", "Select words similar to blorp and click Submit."):
        with pytest.raises(ValueError):
            kit.parse(bad)
    huge = _el("input", "checkbox", "huge", [5, 60, 18, 73], checked=True)
    tragic = _el("input", "checkbox", "tragic", [5, 80, 18, 93], checked=False)
    water = _el("input", "checkbox", "water", [5, 100, 18, 113], checked=True)
    submit = _el("button", "button", "Submit", [5, 150, 60, 170])
    task = "Select words similar to big, sad and click Submit."
    assert _clicked(kit.expert(task, [huge, tragic, water, submit]), tragic)
    assert _clicked(kit.expert(task, [huge, tragic | {"checked": True}, water, submit]), water)
    done = [huge, tragic | {"checked": True}, water | {"checked": False}, submit]
    assert _clicked(kit.expert(task, done), submit)


def test_large_and_transfer_read_click_checkboxes_wording() -> None:
    for task in ("click-checkboxes-large", "click-checkboxes-transfer"):
        assert KITS[task].parse("Select Ab, x9 and click Submit.") == {"Ab", "x9"}
        assert KITS[task].parse("Select nothing and click Submit.") == set()


def test_collapsible_opens_the_section_then_submits() -> None:
    kit = KITS["click-collapsible"]
    submit = _el("button", "button", "Submit", [35, 121, 130, 152])
    shut = _el(
        "h3", "tab", "Section #4", [4, 54, 156, 71], "ui-accordion-header ui-accordion-header-collapsed"
    )
    task = "Expand the section below and click submit."
    assert _clicked(kit.expert(task, [shut, submit]), shut)
    shown = shut | {"classes": "ui-accordion-header ui-accordion-header-active"}
    assert _clicked(kit.expert(task, [shown, submit]), submit)


@pytest.mark.parametrize(
    ("task", "instruction"),
    [
        ("click-tab-2", 'Switch between the tabs to find and click on the link "ut.".'),
        ("click-tab-2-hard", 'Switch between the tabs to find and click on the link "ut.".'),
        ("click-collapsible-2", 'Expand the sections below, to find and click on the link "ut.".'),
    ],
)
def test_link_search_parses_the_link(task: str, instruction: str) -> None:
    assert KITS[task].parse(instruction) == "ut."
    with pytest.raises(ValueError):
        KITS[task].parse("Click on the link ut.")


def test_tab_search_clicks_the_link_else_the_next_tab() -> None:
    kit = KITS["click-tab-2"]
    task = 'Switch between the tabs to find and click on the link "ut.".'
    tabs = [
        _el("li", "tab", f"Tab #{i + 1}", [5 + 45 * i, 57, 45 + 45 * i, 82], "ui-tabs-tab ui-tab")
        for i in range(3)
    ]
    tabs[1]["classes"] += " ui-tabs-active ui-state-active"
    other = _el("span", "link", "sed", [20, 110, 40, 121], "alink")
    assert _clicked(kit.expert(task, [*tabs, other]), tabs[2])
    tabs[1]["classes"], tabs[2]["classes"] = tabs[2]["classes"], tabs[1]["classes"]
    assert _clicked(kit.expert(task, [*tabs, other]), tabs[0])  # past the last tab: the first
    link = _el("span", "link", "ut.", [20, 130, 40, 141], "alink")
    assert _clicked(kit.expert(task, [*tabs, other, link]), link)


def test_collapsible_search_opens_the_first_section_when_none_is_open() -> None:
    kit = KITS["click-collapsible-2"]
    task = 'Expand the sections below, to find and click on the link "ut.".'
    headers = [
        _el("h3", "tab", f"Section #{i + 1}", [4, 54 + 19 * i, 156, 71 + 19 * i], "ui-accordion-header")
        for i in range(3)
    ]
    assert _clicked(kit.expert(task, headers), headers[0])
    headers[0]["classes"] += " ui-accordion-header-active"
    assert _clicked(kit.expert(task, headers), headers[1])


def test_menu_opens_the_playback_submenu_by_keyboard() -> None:
    kit = KITS["click-menu-2"]
    task = 'Click the "Menu" button, and then find and click on the item labeled "Play".'
    assert kit.parse(task) == "Play"
    button = _el("button", "button", "Menu", [5, 164, 54, 185], id="open-menu")
    assert _clicked(kit.expert(task, [button]), button)
    menu = _el("ul", "menu", "Save Playback Print... Zoom In Zoom Out", [5, 55, 79, 153])
    save = _el("div", "menuitem", "Save", [6, 56, 78, 73], "ui-menu-item-wrapper")
    playback = _el("div", "menuitem", "Playback", [6, 73, 78, 90], "ui-menu-item-wrapper")
    zoom = _el("div", "menuitem", "Zoom In", [6, 106, 78, 125], "ui-menu-item-wrapper")
    assert kit.expert(task, [button, menu, save, playback, zoom]) == Action.press("tab")
    menu["focused"] = True
    assert kit.expert(task, [button, menu, save, playback, zoom]) == Action.press("up")  # Print...
    active = {"classes": "ui-menu-item-wrapper ui-state-active"}
    assert kit.expert(task, [button, menu, save, playback, zoom | active]) == Action.press("up")
    assert kit.expert(task, [button, menu, save | active, playback, zoom]) == Action.press("down")
    assert kit.expert(task, [button, menu, save, playback | active, zoom]) == Action.press("right")
    play = _el("div", "menuitem", "Play", [78, 106, 152, 125], "ui-menu-item-wrapper")
    assert _clicked(kit.expert(task, [button, menu, save, playback | active, zoom, play]), play)
    assert _clicked(kit.expert(task.replace("Play", "Zoom In"), [button, menu, save, playback, zoom]), zoom)


def test_menu_reads_an_icon_only_from_the_dom() -> None:
    kit = KITS["click-menu-2"]
    task = 'Click the "Menu" button, and then find and click on the item with the icon.'
    with pytest.raises(ValueError):
        kit.parse(task)
    button = _el("button", "button", "Menu", [5, 164, 54, 185], id="open-menu")
    with pytest.raises(ExpertCannotAct):
        kit.expert(task, [button])
    icon = _el("span", "figure", "", [120, 20, 136, 36], "ui-icon ui-icon-zoomin")  # in the instruction
    zoom = _el("div", "menuitem", "Zoom In", [6, 106, 78, 125], "ui-menu-item-wrapper")
    assert _clicked(kit.expert(task, [icon, button, zoom]), zoom)


def test_tree_opens_folders_until_the_name_shows() -> None:
    kit = KITS["navigate-tree"]
    task = 'Navigate through the file tree. Find and click on the folder or file named "Kenda".'
    assert kit.parse(task) == "Kenda"
    folder_li = _el("li", "clickable", "Tora", [2, 52, 158, 67], "expandable")
    hit = _el("div", "clickable", "", [2, 53, 18, 69], "hitarea expandable-hitarea")
    folder = _el("span", "clickable", "Tora", [18, 53, 158, 66], "folder")
    file = _el("li", "clickable", "Vanda", [2, 67, 158, 82])
    action = kit.expert(task, [folder_li, hit, folder, file])
    assert action.type is ActionType.CLICK and _clicked(action, hit)
    opened = [folder_li | {"classes": "collapsable", "label": "Tora Kenda"}, folder]
    kenda = _el("li", "clickable", "Kenda", [18, 67, 158, 82], "last")
    assert _clicked(kit.expert(task, [*opened, kenda, file]), kenda)
    assert _clicked(kit.expert(task.replace("Kenda", "Tora"), [*opened, kenda, file]), folder)
