"""Kits of MiniWoB tasks: click-checkboxes variants, collapsibles, tabs, menus and trees.

* click-checkboxes-large / -transfer: click-checkboxes' wording and page (large: up to 13 boxes in
  two columns), so click-checkboxes' own expert. -soft: "Select words similar to big, sad and
  click Submit." over boxes that show a synonym of each asked word; the word lists are the page's
  own (``SYNONYMS``), and no word is in two lists, so a box is wanted when its name shares a list
  with an asked word. The boxes are clicked on their names (``name_click``), wrong ones only.
* click-collapsible: open the one accordion section, then Submit. click-collapsible-2,
  click-tab-2 (-easy, -medium, -hard): "... click on the link "ut."" with the link hidden in one of
  several accordion sections or tabs. Which one is not on the page until it is open, so the expert
  clicks the link once it is visible, else opens the section or tab after the open one (the first
  when none is): from the page alone it knows where it is in the search, and a click that did not
  land is retried. In -medium the second tab is empty and clicking it is right when the link is
  not in the first: the same rule clicks it.
* click-menu-2: "Click the "Menu" button, and then find and click on the item labeled "Play"." The
  item is clicked once shown, else Menu is. Prev, Stop, Play and Next sit in Playback's submenu,
  which the expert opens by keyboard (the pointer opens it only after resting on Playback for the
  menu's delay). Half the episodes name the item by an icon drawn in the instruction ("... the item
  with the <icon> icon."): the instruction text has no word for it, so ``parse`` cannot tell. The
  expert then looks for the icon among the DOM read's ``figure`` elements (its class names the
  item: ``ui-icon-play`` is Play).
* navigate-tree: "Find and click on the folder or file named "Kenda"." in a collapsed file tree.
  Collapsed folders hide what they hold, so the expert clicks the name once it is shown, else opens
  the first collapsed folder (its +/- hit area: opening never ends the episode, while clicking a
  file that is not the one asked fails it).

click-scroll-list has no kit: adding a second option to a multiple ``<select>`` takes ctrl+click
(not an ``Action``) or Ctrl+arrows then Ctrl+Space, and neither the options nor the listbox's
active option are in the DOM read, so a stateless expert cannot tell how far it has got.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from deskpilot.envs.actions import Action, from_pixel
from deskpilot.envs.miniwob.page import TASK_H, TASK_W
from deskpilot.envs.miniwob.tasks import click_checkboxes
from deskpilot.envs.miniwob.tasks.base import Element, TaskKit, click, find, nothing, read
from deskpilot.envs.miniwob.tasks.click_checkboxes import name_click
from deskpilot.envs.spaces import ExpertCannotAct

__all__ = ["KITS", "SYNONYMS"]

# click-checkboxes-soft's word lists, as its page has them (each box shows one word of a list).
SYNONYMS: tuple[tuple[str, ...], ...] = (
    ("big", "large", "huge", "enormous", "gigantic"),
    ("small", "tiny", "little", "mini", "petite"),
    ("red", "scarlet", "crimson", "vermillion"),
    ("happy", "cheerful", "joyful", "gleeful", "delighted"),
    ("sad", "unhappy", "sorrowful", "miserable", "tragic"),
    ("angry", "mad", "furious", "irritated"),
    ("evil", "wicked", "immoral", "sinful", "corrupt", "depraved"),
    ("wrong", "incorrect", "mistaken", "erroneous"),
    ("real", "genuine", "actual"),
    ("strange", "odd", "peculiar", "unusual", "weird"),
    ("stop", "cease", "halt", "end", "finish"),
    ("scared", "terrified", "panicked", "fearful", "frightened", "afraid"),
    ("quiet", "calm", "peaceful", "serene", "mild"),
    ("old", "aged", "archaic"),
    ("love", "like", "adore", "favor"),
    ("kill", "murder", "assassinate"),
    ("keep", "retain", "preserve", "sustain", "maintain"),
    ("hide", "conceal", "camouflage"),
    ("hate", "despise", "loathe", "detest", "dislike"),
    ("funny", "humorous", "amusing", "comical", "laughable"),
    ("fat", "fleshy", "plump", "chubby"),
    ("stupid", "dumb", "dull", "unwise"),
    ("delicious", "savory", "delectable", "appetizing"),
    ("cut", "slice", "carve", "chop"),
    ("brave", "courageous", "fearless"),
    ("begin", "start", "initiate", "launch"),
    ("answer", "reply", "response"),
    ("television", "televisions", "TV", "TVs"),
    ("house", "home", "houses", "homes"),
    ("fire", "flame", "fires", "flames"),
    ("pig", "pork", "swine"),
    ("rabbit", "rabbits", "bunny", "bunnies"),
    ("car", "cars", "automobile", "automobiles", "vehicle", "vehicles"),
    ("water",),
)
_LIST_OF = {word: i for i, words in enumerate(SYNONYMS) for word in words}


def _submit(dom: list[Element]) -> Element:
    return find(dom, lambda e: e["role"] == "button" and e["label"].lower() == "submit", "submit button")


def _at(x: float, y: float) -> Action:
    return Action.click(from_pixel(int(x), TASK_W), from_pixel(int(y), TASK_H))


# --------------------------------------------------------------------------- checkboxes

_SOFT = re.compile(r"Select words similar to (.*) and click Submit\.")


def _parse_soft(task: str) -> set[int]:
    """The synonym lists (indices into ``SYNONYMS``) whose boxes to tick."""
    match = read(_SOFT, task, "click-checkboxes-soft", "the words")
    words = [w.strip() for w in match.group(1).split(",")]
    if any(w not in _LIST_OF for w in words):
        raise ValueError(f"click-checkboxes-soft: a word of {task!r} is in no synonym list")
    return {_LIST_OF[w] for w in words}


def _tick(dom: list[Element], wanted: Callable[[str], bool]) -> Action:
    """Click the first box (page order) whose state is wrong, on its name; else Submit."""
    for box in (e for e in dom if e["role"] == "checkbox"):
        if bool(box["checked"]) != wanted(box["label"]):
            hit = name_click(box, dom, 1)
            return click(box) if hit is None else _at(hit[0], hit[1])
    return click(_submit(dom))


def _soft(task: str, dom: list[Element]) -> Action:
    lists = _parse_soft(task)
    return _tick(dom, lambda name: _LIST_OF.get(name) in lists)


# --------------------------------------------------------------------------- collapsibles and tabs

_LINK = re.compile(r'.* click on the link "(.*)"\.')


def _parse_link(task: str) -> str:
    """The link text asked for (click-collapsible-2, click-tab-2 and its variants)."""
    match = read(_LINK, task, "click-collapsible-2, click-tab-2", "the link to click")
    return match.group(1)


def tab_2_instruction(link: str) -> str:
    """click-tab-2's (and its variants') instruction asking for ``link``."""
    return f'Switch between the tabs to find and click on the link "{link}".'


def collapsible_2_instruction(link: str) -> str:
    """click-collapsible-2's instruction asking for ``link``."""
    return f'Expand the sections below, to find and click on the link "{link}".'


def _collapsible(task: str, dom: list[Element]) -> Action:
    header = find(dom, lambda e: e["tag"] == "h3" and e["role"] == "tab", "section header")
    if "ui-accordion-header-collapsed" in header["classes"].split():
        return click(header)
    return click(_submit(dom))


def _search(task: str, dom: list[Element], panes: list[Element], open_class: str) -> Action:
    """Click the asked link if shown, else open the pane after the open one (cyclically)."""
    target = _parse_link(task)
    for link in dom:
        if link["role"] == "link" and "alink" in link["classes"] and link["label"] == target:
            return click(link)
    if not panes:
        raise ExpertCannotAct("expert: no visible section or tab to open")
    shown = [i for i, p in enumerate(panes) if open_class in p["classes"].split()]
    return click(panes[(shown[0] + 1) % len(panes) if shown else 0])


def _collapsible_2(task: str, dom: list[Element]) -> Action:
    headers = [e for e in dom if e["tag"] == "h3" and "ui-accordion-header" in e["classes"].split()]
    return _search(task, dom, headers, "ui-accordion-header-active")


def _tab_2(task: str, dom: list[Element]) -> Action:
    tabs = [e for e in dom if e["tag"] == "li" and "ui-tabs-tab" in e["classes"].split()]
    return _search(task, dom, tabs, "ui-tabs-active")


# --------------------------------------------------------------------------- menu

_PLAYBACK = ("Prev", "Stop", "Play", "Next")  # the items of the Playback submenu
# The icon (a CSS class) of each item that an instruction may show in place of the item's name.
_ICONS = {
    "ui-icon-disk": "Save",
    "ui-icon-seek-start": "Prev",
    "ui-icon-stop": "Stop",
    "ui-icon-play": "Play",
    "ui-icon-seek-end": "Next",
    "ui-icon-zoomin": "Zoom In",
    "ui-icon-zoomout": "Zoom Out",
}
_ITEM = re.compile(r'Click the "Menu" button, and then find and click on the item labeled "(.*)"\.')


def _parse_menu(task: str) -> str:
    """The item asked for by name; ``ValueError`` for the icon wording (the icon is not text)."""
    match = read(_ITEM, task, "click-menu-2", "the item")
    return match.group(1)


def _menu_item(dom: list[Element], label: str) -> Element | None:
    for e in dom:
        if e["role"] == "menuitem" and e["label"] == label:
            return e
    return None


def _icon_item(task: str, dom: list[Element]) -> str:
    """The item named by the instruction's icon, if the DOM read lists that icon (a ``figure``)."""
    for e in dom:
        if e["role"] == "figure":
            for name in e["classes"].split():
                if name in _ICONS:
                    return _ICONS[name]
    raise ExpertCannotAct(f"expert: click-menu-2: the DOM read does not show the icon of {task!r}")


def _menu_2(task: str, dom: list[Element]) -> Action:
    label = _parse_menu(task) if _ITEM.fullmatch(task) else _icon_item(task, dom)
    item = _menu_item(dom, label)
    if item is not None:
        return click(item)
    playback = _menu_item(dom, "Playback")
    if playback is not None and label in _PLAYBACK:
        # The submenu opens by keyboard: the pointer opens it only when it rests on Playback for the
        # menu's delay, and a click on Playback cancels that. Tab moves the focus from the Menu
        # button to the menu (activating an item), Up/Down make Playback the active item, Right opens
        # its submenu (Up/Down step over the disabled Print... too).
        menu = find(dom, lambda e: e["role"] == "menu", "menu")
        if not menu["focused"]:
            return Action.press("tab")
        active = [e for e in dom if e["role"] == "menuitem" and "ui-state-active" in e["classes"].split()]
        if not active:  # the active item is Print..., disabled and so not in the DOM read: Up from it
            return Action.press("up")
        if active[0]["label"] != "Playback":
            return Action.press("up" if active[0]["box"][1] > playback["box"][1] else "down")
        return Action.press("right")
    return click(find(dom, lambda e: e["id"] == "open-menu", "Menu button"))


# --------------------------------------------------------------------------- tree

_NAMED = re.compile(r'.*Find and click on the folder or file named "(.*)"\.')


def _parse_tree(task: str) -> str:
    match = read(_NAMED, task, "navigate-tree", "the name")
    return match.group(1)


def _tree(task: str, dom: list[Element]) -> Action:
    name = _parse_tree(task)
    for e in dom:
        # A folder by its name (its <li> also spans what it holds, and a click there could land on a
        # file inside); a file by its <li> (the name's <span> takes no clicks), which holds nothing else.
        folder = e["tag"] == "span" and "folder" in e["classes"].split()
        file = e["tag"] == "li" and not {"expandable", "collapsable"} & set(e["classes"].split())
        if (folder or file) and e["label"] == name:
            return click(e)
    return click(
        find(dom, lambda e: "expandable-hitarea" in e["classes"].split(), "collapsed folder or the name")
    )


def _kit(
    task: str,
    parse: Callable[[str], object],
    expert: Callable[[str, list[Element]], Action],
    instruction: Callable[[str], str] | None = None,
) -> TaskKit:
    return TaskKit(task=task, parse=parse, expert=expert, instruction=instruction)


KITS: tuple[TaskKit, ...] = (
    _kit("click-checkboxes-large", click_checkboxes.parse, click_checkboxes.expert),
    _kit("click-checkboxes-transfer", click_checkboxes.parse, click_checkboxes.expert),
    _kit("click-checkboxes-soft", _parse_soft, _soft),
    _kit("click-collapsible", nothing, _collapsible),
    _kit("click-collapsible-2", _parse_link, _collapsible_2, collapsible_2_instruction),
    _kit("click-tab-2", _parse_link, _tab_2, tab_2_instruction),
    _kit("click-tab-2-easy", _parse_link, _tab_2, tab_2_instruction),
    _kit("click-tab-2-medium", _parse_link, _tab_2, tab_2_instruction),
    _kit("click-tab-2-hard", _parse_link, _tab_2, tab_2_instruction),
    _kit("click-menu-2", _parse_menu, _menu_2),
    _kit("navigate-tree", _parse_tree, _tree),
)
