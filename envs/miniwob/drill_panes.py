"""Pane drills: click-tab-2's tabs and click-collapsible-2's sections, drawn with Pillow.

Both tasks hide the asked link in one of several panes (tabs, or accordion sections) of
lorem-ipsum paragraphs whose words are partly links; one pane shows at a time. The decision the
policy keeps getting wrong is reading whether the open pane holds the asked link at all: with
200 episodes of each task it clicks a link of about the right shape in the first pane it sees.
These pages put a fresh paragraph in every pane each episode, now and then a link one letter off
the asked one, with each task's layout (measured on the pages: the jQuery UI tab bar and panel,
the accordion's blue headers) and the DOM rows the kit's expert reads (``li.ui-tabs-tab`` with
``ui-tabs-active`` on the open tab, ``h3.ui-accordion-header`` with ``ui-accordion-header-active``,
``span.alink`` links), so click-tab-2's and click-collapsible-2's experts solve them unchanged.
``envs.miniwob.drill_env`` plays them.
"""

from __future__ import annotations

import string
from typing import Any

import numpy as np

from deskpilot.envs.miniwob import drill_page as dp
from deskpilot.envs.miniwob.page import TASK_W as W
from deskpilot.envs.miniwob.tasks.clicking import collapsible_2_instruction, tab_2_instruction

__all__ = ["SectionsPage", "TabsPage"]

Element = dict[str, Any]
Rendered = tuple[np.ndarray, list[Element], list[Element]]

ACTIVE = (0, 127, 255)  # jQuery UI's active tab and accordion header
ACTIVE_EDGE = (0, 62, 255)
BAR, BAR_EDGE = (233, 233, 233), (221, 221, 221)  # the tab bar
TAB, TAB_EDGE, TAB_TEXT = (246, 246, 246), (197, 197, 197), (69, 69, 69)  # an inactive tab
WHITE = (255, 255, 255)
TAB_PX, HEADER_PX = 11.0, 11.5  # the tabs' and the headers' label sizes (measured on the pages)


class _PanesPage:
    """Panes of paragraphs with links, one open; a click on a link ends the episode."""

    instruction = staticmethod(tab_2_instruction)

    def __init__(self, rng: np.random.Generator, panes: int, words: tuple[int, int]) -> None:
        self.texts: list[list[str]] = []
        self.links: list[list[bool]] = []
        for _ in range(panes):
            text = dp.paragraph(rng, int(rng.integers(*words)))
            flags = rng.random(len(text)) < 0.25
            flags[int(rng.integers(len(text)))] = True  # every pane has a link to get wrong
            self.texts.append(text)
            self.links.append([bool(f) for f in flags])
        pane = int(rng.integers(panes))
        at = [i for i, f in enumerate(self.links[pane]) if f]
        self.target = self.texts[pane][at[int(rng.integers(len(at)))]]
        others = [(p, i) for p in range(panes) for i, f in enumerate(self.links[p]) if f and p != pane]
        if others and rng.random() < 0.3:  # a lookalike link, one letter off, in another pane
            p, i = others[int(rng.integers(len(others)))]
            self.texts[p][i] = dp.near(rng, self.target, string.ascii_lowercase)
        self.open: int | None = None
        self.labels: list[str] = []  # each pane's tab or header label, which a click on it names
        self.task = self.instruction(self.target)
        self.weight = dp.gamma(rng)

    def _paragraph(
        self, page: dp.Page, pane: int, x: float, y: float, width: float
    ) -> tuple[list[Element], float]:
        """Draw ``pane``'s paragraph; its links' DOM rows and its last line's bottom.

        The text goes on the page's ink, composited over the shapes at the end, so a panel drawn
        after it, sized by that bottom, still lies under it.
        """
        colours = [dp.BLUE if f else dp.BLACK for f in self.links[pane]]
        boxes = page.flow(self.texts[pane], x, y, width, colours)
        links = [
            dp.dom_row("link", w, b, tag="span", classes="alink")
            for w, b, f in zip(self.texts[pane], boxes, self.links[pane], strict=True)
            if f
        ]
        return links, max(b[3] for b in boxes)

    def click(self, hit: Element) -> bool | None:
        """A click on a tab or header opens its pane; on a link, ends the episode (right if the asked one)."""
        if hit["role"] == "link":
            return hit["label"] == self.target
        self.open = self.labels.index(hit["label"])
        return None


class TabsPage(_PanesPage):
    """click-tab-2 (and -easy, -hard): 1-3 tabs "Tab #k", or 2-5 numbered ones; the first open."""

    def __init__(self, rng: np.random.Generator) -> None:
        self.numbered = bool(rng.random() < 0.3)
        n = int(rng.integers(2, 6)) if self.numbered else int(rng.integers(1, 4))
        super().__init__(rng, n, (10, 26))
        self.labels = [str(k + 1) if self.numbered else f"Tab #{k + 1}" for k in range(n)]
        self.open = 0

    def render(self) -> Rendered:
        """The page as it is now: the tab bar, then the open tab's paragraph."""
        page, dom = dp.Page(), []
        page.query(self.task)
        assert self.open is not None
        page.rect((3, 53, W - 3, 82), BAR, BAR_EDGE, 3)
        x = 6.0
        for k, label in enumerate(self.labels):
            w = dp.font(TAB_PX).getlength(label) / dp.S
            box = (x, 57.0, x + max(17.0, w + 16), 81.0 if k == self.open else 80.0)
            on = k == self.open
            page.rect(box, ACTIVE if on else TAB, ACTIVE_EDGE if on else TAB_EDGE, 3)
            page.text(box[0] + (box[2] - box[0] - w) / 2, 63, label, WHITE if on else TAB_TEXT, TAB_PX)
            page.words.append({"box": page.box(*box), "label": label, "role": "text"})
            classes = "ui-tabs-tab ui-corner-top" + (" ui-tabs-active ui-state-active" if on else "")
            dom.append(dp.dom_row("tab", label, box, tag="li", classes=classes))
            x = box[2] + 2
        links, bottom = self._paragraph(page, self.open, 19, 103, 122)
        page.rect((0, 50, W, bottom + 25), None, TAB_EDGE, 3)  # the widget's frame, round bar and panel
        dom += links
        return page.screenshot(self.weight), page.words + [dp.element_row(r) for r in dom], dom


class SectionsPage(_PanesPage):
    """click-collapsible-2: 2 or 3 accordion sections "Section #k", all closed at first (any one open fits the screen)."""

    instruction = staticmethod(collapsible_2_instruction)

    def __init__(self, rng: np.random.Generator) -> None:
        super().__init__(rng, int(rng.integers(2, 4)), (10, 26))
        self.labels = [f"Section #{k + 1}" for k in range(len(self.texts))]

    def render(self) -> Rendered:
        """The page as it is now: the headers, the open section's paragraph under its header."""
        page, dom = dp.Page(), []
        page.query(self.task)
        y = 54.0
        for k, label in enumerate(self.labels):
            box = (3.0, y, W - 3.0, y + 17)
            on = k == self.open
            page.rect(box, ACTIVE, ACTIVE_EDGE, 3)
            w = page.text(7, y + 1.5, label, WHITE, HEADER_PX)
            page.words.append({"box": page.box(7, y, 7 + w, y + 17), "label": label, "role": "text"})
            classes = "ui-accordion-header ui-corner-top" + (" ui-accordion-header-active" if on else "")
            dom.append(dp.dom_row("tab", label, box, tag="h3", classes=classes))
            y += 19
            if on:  # the open section's panel: a black frame round its paragraph
                links, bottom = self._paragraph(page, k, 4, y + 1, W - 8)
                height = bottom - y + 3
                page.rect((3, y - 1, W - 3, y + height), None, dp.BLACK, 0)
                dom += links
                y += height + 3
        return page.screenshot(self.weight), page.words + [dp.element_row(r) for r in dom], dom
