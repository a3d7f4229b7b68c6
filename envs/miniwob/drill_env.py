"""Reading drills: MiniWoB-styled pages drawn with Pillow, as Gymnasium envs with MiniWoB's experts.

Why: MiniWoB gives 200 expert episodes per task, and the two tasks the policy kept failing
(click-link, click-checkboxes) ask it to find one word or random string among lookalikes drawn in
Chromium's 10-px text; 200 episodes show a few hundred strings, and a reader trained on a fixed set
of screens loses ~20 points to one trained on fresh renders. A drill is a new page every episode,
with those tasks' layout, colours and instruction (worded by the task's kit), and the page's DOM in
``info["dom"]`` in MiniWoB's form, so the MiniWoB expert of the task solves it unchanged. Drills
teach reading; the real envs stay the judge. The shape drills (click-shape, count-shape,
identify-shape: ``envs.miniwob.drill_shapes``) and the colour drills (click-color, click-shades:
``envs.miniwob.drill_colours``) teach telling figures and colours apart the same way, the pane
drills (click-tab-2, click-collapsible-2: ``envs.miniwob.drill_panes``) telling whether the open
tab or section holds the asked link, and the typed-answer drills (simple-arithmetic,
simple-algebra, find-word: ``envs.miniwob.drill_typed``) reading an answer off the page and
typing it.
"""

from __future__ import annotations

import string
from typing import Any, SupportsFloat

import gymnasium as gym
import numpy as np

from deskpilot.envs.actions import Action, ActionType
from deskpilot.envs.info import ELEMENTS, STEP, SUCCESS
from deskpilot.envs.miniwob import drill_colours as dc
from deskpilot.envs.miniwob import drill_page as dp
from deskpilot.envs.miniwob import drill_panes as dpn
from deskpilot.envs.miniwob import drill_shapes as ds
from deskpilot.envs.miniwob import drill_typed as dt
from deskpilot.envs.miniwob.expert import MiniWoBExpert
from deskpilot.envs.miniwob.page import TASK_H as H
from deskpilot.envs.miniwob.page import TASK_W as W
from deskpilot.envs.miniwob.registry import DRILLS
from deskpilot.envs.miniwob.tasks import KITS
from deskpilot.envs.miniwob.tasks.clicking import SYNONYMS
from deskpilot.envs.spaces import action_space, as_action, observation_space

__all__ = ["CheckboxPage", "DrillEnv", "LargeCheckboxPage", "LinkPage", "SoftCheckboxPage"]

Element = dict[str, Any]
Rendered = tuple[np.ndarray, list[Element], list[Element]]  # screenshot, info["elements"], info["dom"]


def _instruction(task: str, asked: Any) -> str:
    """The instruction that asks for ``asked``, worded by the task's kit."""
    build = KITS[task].instruction
    if build is None:
        raise ValueError(f"{task}: its kit words no instructions")
    return build(asked)


class LinkPage:
    """click-link: a 20-word paragraph, a fifth of the words links; the named one is right."""

    def __init__(self, rng: np.random.Generator) -> None:
        words = dp.paragraph(rng, 20)
        is_link = rng.random(len(words)) < 0.2
        if not is_link.any():
            is_link[int(rng.integers(len(words)))] = True
        links = np.flatnonzero(is_link)
        target = words[int(rng.choice(links))]
        others = [int(i) for i in links if words[i] != target]
        if others and rng.random() < 0.3:  # a lookalike link beside the target
            words[others[int(rng.integers(len(others)))]] = dp.near(rng, target, string.ascii_lowercase)
        self.words, self.is_link, self.target = words, [bool(v) for v in is_link], target
        self.task = _instruction("click-link", target)
        self.weight = dp.gamma(rng)

    def render(self) -> Rendered:
        """The page as it is now."""
        page = dp.Page()
        page.query(self.task)
        boxes = page.flow(
            self.words, 2, dp.QUERY_H + 2, W - 4, [dp.BLUE if f else dp.BLACK for f in self.is_link]
        )
        dom = [dp.dom_row("link", w, b) for b, w, f in zip(boxes, self.words, self.is_link, strict=True) if f]
        return page.screenshot(self.weight), page.words + [dp.element_row(r) for r in dom], dom

    def click(self, hit: Element) -> bool | None:
        """A click on ``hit`` ends the episode when it is a link (successfully when the named one)."""
        return hit["label"] == self.target if hit["role"] == "link" else None


class CheckboxPage:
    """click-checkboxes: 2-6 boxes named by random strings (some lookalikes), some ticked; Submit."""

    def __init__(self, rng: np.random.Generator) -> None:
        n = int(rng.integers(2, 7))
        self.names = _names(rng, n)
        self.wanted = [bool(v) for v in rng.random(n) < 0.5]
        self.ticked = [bool(v) for v in rng.random(n) < 0.3] if rng.random() < 0.3 else [False] * n
        self.task = _instruction(
            "click-checkboxes", [nm for nm, w in zip(self.names, self.wanted, strict=True) if w]
        )
        self.weight = dp.gamma(rng)

    def places(self, widths: list[float]) -> tuple[list[tuple[float, float]], float]:
        """Each box's (left, top) from its label's text width, and the Submit button's top: one column."""
        places = [(2.0, dp.QUERY_H + 5.0 + 19 * i) for i in range(len(widths))]
        return places, dp.QUERY_H + 13.0 + 19 * len(widths)

    def render(self) -> Rendered:
        """The page as it is now (ticks included)."""
        page, dom = dp.Page(), []
        page.query(self.task)
        widths = [dp.font(dp.FONT_SIZE).getlength(name) / dp.S for name in self.names]
        places, top = self.places(widths)
        for name, w, on, (x, y) in zip(self.names, widths, self.ticked, places, strict=True):
            page.rect((x + 7, y, x + 20, y + 13), dp.TICK if on else "white", dp.TICK if on else dp.BORDER, 2)
            if on:  # the white tick
                pts = [(x + 9.5, y + 6.5), (x + 12.5, y + 9.5), (x + 17.5, y + 3.5)]
                page.draw.line([(a * dp.S, b * dp.S) for a, b in pts], fill="white", width=round(1.6 * dp.S))
            page.text(x + 27, y + 4, name)
            page.words.append(
                {"box": page.box(x + 27, y + 4, x + 27 + w, y + 15), "label": name, "role": "text"}
            )
            dom.append(dp.dom_row("label", name, (x, y + 4, x + 27 + w, y + 15)))
            dom.append(dp.dom_row("checkbox", name, (x + 4, y, x + 24, y + 13), on))
        page.rect((2, top, 97.5, top + 31), dp.BUTTON, dp.BORDER, 2)
        w = dp.font(dp.BUTTON_PX).getlength("Submit") / dp.S
        page.text(49.75 - w / 2, top + 8, "Submit", px=dp.BUTTON_PX)
        dom.append(dp.dom_row("button", "Submit", (2, top, 97.5, top + 31)))
        return page.screenshot(self.weight), page.words + [dp.element_row(r) for r in dom], dom

    def click(self, hit: Element) -> bool | None:
        """A click on a name or its square toggles it; Submit ends the episode."""
        if hit["role"] == "button":
            return self.ticked == self.wanted
        i = self.names.index(hit["label"])
        self.ticked[i] = not self.ticked[i]
        return None


class LargeCheckboxPage(CheckboxPage):
    """click-checkboxes-large: 7-12 boxes in two columns, 5 or more of them to select; Submit."""

    def __init__(self, rng: np.random.Generator) -> None:
        n = int(rng.integers(7, 13))
        self.names = _names(rng, n)
        chosen = set(rng.choice(n, size=int(rng.integers(5, n + 1)), replace=False).tolist())
        self.wanted = [i in chosen for i in range(n)]
        self.ticked = [False] * n  # MiniWoB's pages start unticked
        self.task = _instruction("click-checkboxes", [self.names[i] for i in sorted(chosen)])
        self.weight = dp.gamma(rng)

    def places(self, widths: list[float]) -> tuple[list[tuple[float, float]], float]:
        """Two floated columns, the right one where the left one's widest label ends (as in Chromium)."""
        rows = (len(widths) + 1) // 2
        right = 2 + 27 + max(widths[:rows])
        places = [
            (2.0 if i < rows else right, dp.QUERY_H + 5.0 + 19 * (i % rows)) for i in range(len(widths))
        ]
        return places, dp.QUERY_H + 2.0 + 19 * rows


class SoftCheckboxPage(CheckboxPage):
    """click-checkboxes-soft: 3-6 boxes, each a word of another synonym list; "Select words similar to"."""

    def __init__(self, rng: np.random.Generator) -> None:
        k = int(rng.integers(1, 6))
        n = int(rng.integers(max(3, k + 1), 7))
        lists = [SYNONYMS[int(i)] for i in rng.choice(len(SYNONYMS), size=n, replace=False)]
        self.names = [str(rng.choice(words)) for words in lists]
        self.wanted = [i < k for i in range(n)]
        self.ticked = [False] * n
        asked = [str(rng.choice(words)) for words in lists[:k]]  # another word of the list, or the same
        order = [int(i) for i in rng.permutation(n)]
        self.names, self.wanted = [self.names[i] for i in order], [self.wanted[i] for i in order]
        self.task = f"Select words similar to {', '.join(asked)} and click Submit."
        self.weight = dp.gamma(rng)


def _names(rng: np.random.Generator, n: int) -> list[str]:
    """``n`` distinct random names, about a third of them one character off an earlier one."""
    names: list[str] = []
    while len(names) < n:
        name = (
            dp.near(rng, names[int(rng.integers(len(names)))])
            if names and rng.random() < 0.3
            else dp.random_string(rng, 2, 7)
        )
        if name not in names:
            names.append(name)
    return names


Page = (
    LinkPage
    | CheckboxPage
    | LargeCheckboxPage
    | SoftCheckboxPage
    | ds.ShapeGridPage
    | ds.CountPage
    | ds.IdentifyPage
    | dc.ColourPage
    | dc.ShadesPage
    | dpn.TabsPage
    | dpn.SectionsPage
    | dt.ArithmeticPage
    | dt.AlgebraPage
    | dt.FindWordPage
)
_PAGES: dict[str, type[Page]] = {
    "link": LinkPage,
    "checkboxes": CheckboxPage,
    "checkboxes-large": LargeCheckboxPage,
    "checkboxes-soft": SoftCheckboxPage,
    "shapes": ds.ShapeGridPage,
    "count": ds.CountPage,
    "identify": ds.IdentifyPage,
    "color": dc.ColourPage,
    "shades": dc.ShadesPage,
    "tabs": dpn.TabsPage,
    "sections": dpn.SectionsPage,
    "arithmetic": dt.ArithmeticPage,
    "algebra": dt.AlgebraPage,
    "find-word": dt.FindWordPage,
}


class DrillEnv(gym.Env[dict[str, Any], dict[str, Any]]):
    """A reading drill: a fresh MiniWoB-styled page per episode, 160 x 210 like MiniWoB's task area.

    ## Action Space
    ``envs.spaces.action_space()``; ``step`` takes an ``envs.Action`` or a sample of that space.
    Clicks act (on the interactive element under the point, the last one in paint order); on the
    typed-answer pages (``arithmetic``, ``algebra``, ``find-word``) TYPE and ctrl+a act on the
    focused field too. Anything else, or a click on nothing, changes nothing.

    ## Observation Space
    ``envs.spaces.observation_space(210, 160)``: ``{"screenshot": uint8 (210, 160, 3), "task": str}``.

    ## Rewards
    1.0 on the step that ends the episode successfully, 0.0 otherwise.

    ## Starting State
    ``link``: a paragraph with some words as links and the instruction to click one (in 30% of
    pages a lookalike link, one letter off, beside it). ``checkboxes``: named boxes, sometimes some
    already ticked, and the names to select; ``checkboxes-large``: 7-12 of them in two columns, 5 or
    more to select; ``checkboxes-soft``: 3-6 boxes named by words of click-checkboxes-soft's synonym
    lists, "words similar to" some of them to select. ``shapes``, ``count``: MiniWoB's grid of coloured
    shapes, letters and digits and a description of one (click one that fits, or the button with how
    many fit); ``identify``: one large figure and five buttons naming kinds; ``color``: four boxes
    of CSS colours and one named or shown as a swatch; ``shades``: twelve squares in shades of three
    hues, one hue to select; ``tabs``: 1-3 tabs (or 2-5 numbered ones) of paragraphs with links,
    the first open, and the link to find; ``sections``: 2 or 3 closed accordion sections of the
    same; ``arithmetic``, ``algebra``: simple-arithmetic's or simple-algebra's problem in 30-px
    digits over an empty field and Submit; ``find-word``: a paragraph of 6-14 words over a field
    and Submit, and which word to type. Everything from ``self.np_random``.

    ## Episode End
    Terminated by a click on a link (``link``, ``tabs``, ``sections``), on Submit (the
    ``checkboxes`` kinds), on a figure or the grid (``shapes``), on a box (``color``) or on a
    button (``count``, ``identify``; ``shades``' and the typed-answer pages' Submit), successful
    when the page is as asked, or by ``DONE`` (a failure). A click on a tab or a section header
    opens its pane.
    Truncated after ``max_steps`` actions. ``info["success"]`` is set when the episode ends.

    ## Info
    ``step``, ``elements`` (every word drawn, role ``"text"``, then the interactive elements) and
    ``dom`` (the interactive elements as MiniWoB's page reader gives them, for the expert).

    ## Arguments
    * ``kind``: one of ``envs.miniwob.registry.DRILLS`` (``"link"``, ``"checkboxes"``,
      ``"checkboxes-large"``, ``"checkboxes-soft"``, ``"shapes"``, ``"count"``, ``"identify"``,
      ``"color"``, ``"shades"``, ``"tabs"``, ``"sections"``, ``"arithmetic"``, ``"algebra"``,
      ``"find-word"``).
    * ``max_steps``: truncate after this many actions (default 20, as MiniWoB).
    * ``render_mode``: ``None`` or ``"rgb_array"`` (returns the screenshot).
    """

    metadata = {"render_modes": ["rgb_array"], "render_fps": 4}

    def __init__(self, kind: str, max_steps: int = 20, render_mode: str | None = None) -> None:
        if kind not in _PAGES:
            raise ValueError(f"kind: expected one of {', '.join(DRILLS)}, got {kind!r}")
        if max_steps < 1:
            raise ValueError(f"max_steps: expected >= 1, got {max_steps}")
        if render_mode not in (None, *self.metadata["render_modes"]):
            raise ValueError(f"render_mode: expected None or 'rgb_array', got {render_mode!r}")
        self.kind, self.max_steps, self.render_mode = kind, max_steps, render_mode
        self.observation_space = observation_space(H, W)
        self.action_space = action_space()
        self._page: Page | None = None
        self._steps, self._ended = 0, False
        self._frame = np.zeros((H, W, 3), np.uint8)
        self._elements: list[Element] = []
        self._dom: list[Element] = []

    def _observe(self) -> tuple[dict[str, Any], dict[str, Any]]:
        assert self._page is not None
        self._frame, self._elements, self._dom = self._page.render()
        info = {STEP: self._steps, ELEMENTS: self._elements, "dom": self._dom}
        return {"screenshot": self._frame, "task": self._page.task}, info

    def reset(
        self, *, seed: int | None = None, options: dict[str, Any] | None = None
    ) -> tuple[dict[str, Any], dict[str, Any]]:
        """Start a new episode on a fresh page (see Starting State)."""
        super().reset(seed=seed)
        self._page = _PAGES[self.kind](self.np_random)
        self._steps, self._ended = 0, False
        return self._observe()

    def _hit(self, act: Action) -> Element | None:
        if act.type is not ActionType.CLICK or act.x is None or act.y is None:
            return None
        under = [
            e
            for e in self._elements
            if e["role"] != "text"
            and e["box"][0] <= act.x < e["box"][2]
            and e["box"][1] <= act.y < e["box"][3]
        ]
        return under[-1] if under else None

    def step(
        self, action: Action | dict[str, Any]
    ) -> tuple[dict[str, Any], SupportsFloat, bool, bool, dict[str, Any]]:
        """Apply one action (see Action Space and Episode End)."""
        act = as_action(action)
        if self._page is None or self._ended:
            raise RuntimeError("step() called before reset() or after the episode ended; call reset()")
        hit = self._hit(act)
        outcome = (
            False if act.type is ActionType.DONE else (self._page.click(hit) if hit is not None else None)
        )
        if isinstance(self._page, dt.FieldPage):  # a typed-answer page's field takes text and ctrl+a
            if act.type is ActionType.TYPE and act.text is not None:
                self._page.type_text(act.text)
            elif act.type is ActionType.KEY and act.key is not None:
                self._page.press(act.key)
        self._steps += 1
        terminated = outcome is not None
        truncated = not terminated and self._steps >= self.max_steps
        obs, info = self._observe()
        if terminated or truncated:
            self._ended = True
            info[SUCCESS] = bool(outcome)
        return obs, 1.0 if outcome else 0.0, terminated, truncated, info

    def make_expert(self) -> MiniWoBExpert:
        """The MiniWoB expert of the task this drill imitates (it reads ``info["dom"]``)."""
        return MiniWoBExpert(DRILLS[self.kind])

    def render(self) -> np.ndarray | None:  # type: ignore[override]
        """The last screenshot when ``render_mode == "rgb_array"``."""
        return self._frame.copy() if self.render_mode == "rgb_array" else None
