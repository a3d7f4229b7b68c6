"""The folding state machine on synthetic event sequences (no display, no clock)."""

from __future__ import annotations

import pytest

from deskpilot.collectors.folding import EventFolder, Folded, FoldingConfig
from deskpilot.collectors.input_events import ButtonEvent, KeyEvent, MoveEvent, RawEvent, ScrollEvent
from deskpilot.envs.actions import MAX_SCROLL, MAX_TEXT_LENGTH, Action, from_pixel
from deskpilot.envs.desktop.capture import Region

REGION = Region(100, 50, 400, 300)
CFG = FoldingConfig(double_click_interval=0.5, double_click_distance=4, drag_threshold=5, scroll_gap=0.5)


def pt(x: int, y: int) -> tuple[float, float]:
    return from_pixel(x - REGION.left, REGION.width), from_pixel(y - REGION.top, REGION.height)


class Script:
    """Builds raw events with an advancing clock and folds them."""

    def __init__(self) -> None:
        self.folder = EventFolder(REGION, CFG)
        self.t = 0.0
        self.out: list[Folded] = []

    def send(self, *events: RawEvent) -> None:
        for e in events:
            self.out += self.folder.feed(e)

    def at(self, dt: float) -> float:
        self.t += dt
        return self.t

    def click(self, x: int, y: int, button: str = "left", gap: float = 0.05) -> None:
        self.send(
            ButtonEvent(x, y, button, True, self.at(gap)), ButtonEvent(x, y, button, False, self.at(0.05))
        )  # type: ignore[arg-type]

    def drag(self, x: int, y: int, x2: int, y2: int, moves: bool = True) -> None:
        self.send(ButtonEvent(x, y, "left", True, self.at(0.05)))
        if moves:
            for i in range(1, 5):
                self.send(MoveEvent(x + (x2 - x) * i // 4, y + (y2 - y) * i // 4, self.at(0.02)))
        self.send(ButtonEvent(x2, y2, "left", False, self.at(0.02)))

    def key(self, code: int, name: str, char: str | None = None, release_name: str | None = None) -> None:
        self.send(KeyEvent(code, name, char, True, self.at(0.03)))
        self.send(KeyEvent(code, release_name or name, None, False, self.at(0.01)))

    def down(self, code: int, name: str, char: str | None = None) -> None:
        self.send(KeyEvent(code, name, char, True, self.at(0.03)))

    def up(self, code: int, name: str) -> None:
        self.send(KeyEvent(code, name, None, False, self.at(0.01)))

    def text(self, s: str) -> None:
        for c in s:
            self.key(ord(c.lower()), c.lower(), c)

    def wait(self, dt: float) -> None:
        self.out += self.folder.poll(self.at(dt))

    def finish(self) -> list[Action]:
        self.out += self.folder.flush()
        return [f.action for f in self.out]


def test_click_is_pending_until_the_double_click_interval_passes() -> None:
    s = Script()
    s.click(200, 100)
    start = s.t - 0.05
    assert s.out == []
    s.wait(0.3)
    assert s.out == []  # still inside the interval: a second click could follow
    s.wait(0.3)
    assert s.out == [Folded(Action.click(*pt(200, 100)), start)]
    assert s.finish() == [Action.click(*pt(200, 100))]


def test_two_clicks_within_interval_and_distance_are_one_double_click() -> None:
    s = Script()
    s.click(200, 100)
    first = s.t - 0.05
    s.click(202, 101, gap=0.1)
    assert [f.action for f in s.out] == [Action.double_click(*pt(200, 100))]
    assert s.out[0].start == first  # the screenshot before the FIRST press
    s.wait(1.0)
    assert s.finish() == [Action.double_click(*pt(200, 100))]


@pytest.mark.parametrize(("gap", "dx"), [(0.6, 0), (0.1, 10)])
def test_clicks_too_slow_or_too_far_apart_stay_two_clicks(gap: float, dx: int) -> None:
    s = Script()
    s.click(200, 100)
    s.click(200 + dx, 100, gap=gap)
    assert s.finish() == [Action.click(*pt(200, 100)), Action.click(*pt(200 + dx, 100))]


def test_triple_click_is_a_double_click_then_a_click() -> None:
    s = Script()
    for _ in range(3):
        s.click(300, 200, gap=0.05)
    assert s.finish() == [Action.double_click(*pt(300, 200)), Action.click(*pt(300, 200))]


def test_right_click_is_emitted_at_release_and_ends_a_pending_click() -> None:
    s = Script()
    s.click(150, 60)
    s.click(300, 250, button="right")
    assert [f.action for f in s.out] == [Action.click(*pt(150, 60)), Action.right_click(*pt(300, 250))]


def test_middle_button_is_ignored() -> None:
    s = Script()
    s.click(150, 60, button="middle")
    assert s.finish() == []


def test_drag_beyond_threshold_with_start_and_end() -> None:
    s = Script()
    s.drag(150, 100, 350, 250)
    assert [f.action for f in s.out] == [Action.drag(*pt(150, 100), *pt(350, 250))]


def test_drag_detected_from_release_point_without_motion_events() -> None:
    s = Script()
    s.drag(150, 100, 190, 100, moves=False)
    assert s.finish() == [Action.drag(*pt(150, 100), *pt(190, 100))]


def test_small_jitter_is_still_a_click() -> None:
    s = Script()
    s.send(
        ButtonEvent(200, 100, "left", True, 0.0),
        MoveEvent(203, 102, 0.01),
        ButtonEvent(204, 103, "left", False, 0.02),
    )
    assert s.finish() == [Action.click(*pt(200, 100))]


def test_drag_leaving_the_region_is_clamped() -> None:
    s = Script()
    s.drag(150, 100, 700, 20)
    assert s.finish() == [Action.drag(*pt(150, 100), *pt(REGION.right - 1, REGION.top))]


def test_presses_and_scrolls_outside_the_region_are_ignored(caplog: pytest.LogCaptureFixture) -> None:
    s = Script()
    s.click(20, 20)
    s.drag(20, 20, 200, 100)
    s.send(ScrollEvent(5, 5, 3, s.at(0.1)))
    s.click(200, 100)
    assert s.finish() == [Action.click(*pt(200, 100))]
    assert "outside the recorded region" in caplog.text


def test_second_press_of_a_double_click_that_drags_is_click_then_drag() -> None:
    s = Script()
    s.click(200, 100)
    s.drag(200, 100, 260, 100)
    assert s.finish() == [Action.click(*pt(200, 100)), Action.drag(*pt(200, 100), *pt(260, 100))]


def test_wheel_ticks_at_one_place_merge_and_split_at_max_scroll() -> None:
    s = Script()
    for _ in range(MAX_SCROLL + 3):
        s.send(ScrollEvent(200, 100, 1, s.at(0.02)))
    assert [f.action for f in s.out] == [Action.scroll_at(*pt(200, 100), MAX_SCROLL)]
    s.wait(0.6)
    assert s.finish() == [Action.scroll_at(*pt(200, 100), MAX_SCROLL), Action.scroll_at(*pt(200, 100), 3)]


def test_big_tick_counts_split() -> None:
    s = Script()
    s.send(ScrollEvent(200, 100, -45, 0.0))
    assert s.finish() == [Action.scroll_at(*pt(200, 100), -MAX_SCROLL)] * 2 + [
        Action.scroll_at(*pt(200, 100), -5)
    ]


def test_scrolls_in_other_direction_place_or_after_a_gap_are_separate() -> None:
    s = Script()
    s.send(ScrollEvent(200, 100, 1, s.at(0.1)), ScrollEvent(200, 100, 1, s.at(0.1)))
    s.send(ScrollEvent(200, 100, -1, s.at(0.1)))
    s.send(ScrollEvent(300, 100, -1, s.at(0.1)))
    s.send(ScrollEvent(300, 100, -1, s.at(0.9)))
    assert s.finish() == [
        Action.scroll_at(*pt(200, 100), 2),
        Action.scroll_at(*pt(200, 100), -1),
        Action.scroll_at(*pt(300, 100), -1),
        Action.scroll_at(*pt(300, 100), -1),
    ]


def test_typing_merges_shift_gives_capitals_and_backspace_edits() -> None:
    s = Script()
    s.text("helo")
    s.key(22, "backspace")
    s.down(50, "shift")
    s.key(2, "w", "W")
    s.up(50, "shift")
    s.text("orld !")
    assert s.out == []
    assert s.finish() == [Action.type_text("helW" + "orld !")]


def test_type_start_is_first_key_and_it_ends_at_other_actions() -> None:
    s = Script()
    s.text("ab")
    s.key(36, "enter")
    assert s.out[0] == Folded(Action.type_text("ab"), pytest.approx(0.03))
    assert s.out[1].action == Action.press("enter")
    s.text("c")
    s.click(200, 100)
    s.wait(1.0)
    assert s.finish() == [
        Action.type_text("ab"),
        Action.press("enter"),
        Action.type_text("c"),
        Action.click(*pt(200, 100)),
    ]


def test_typed_then_fully_erased_text_is_nothing_and_backspace_alone_is_a_key() -> None:
    s = Script()
    s.text("ok")
    s.key(22, "backspace")
    s.key(22, "backspace")
    assert s.finish() == []
    s.key(22, "backspace")
    assert s.finish() == [Action.press("backspace")]


def test_text_splits_at_max_length_and_backspace_edits_only_the_pending_part() -> None:
    s = Script()
    s.text("x" * MAX_TEXT_LENGTH + "yz")
    s.key(22, "backspace")
    assert s.finish() == [Action.type_text("x" * MAX_TEXT_LENGTH), Action.type_text("y")]


def test_ctrl_combinations_are_canonical_keys_and_lone_modifiers_dropped() -> None:
    s = Script()
    s.text("hi")
    s.down(37, "ctrl")
    s.key(38, "a", "a")
    s.up(37, "ctrl")
    s.key(50, "shift")
    s.key(64, "alt")
    s.down(105, "ctrl")  # right ctrl, with shift: the shifted character is unshifted in the name
    s.down(50, "shift")
    s.key(10, "!", "!")
    s.key(28, "t", "T")
    s.up(50, "shift")
    s.up(105, "ctrl")
    s.down(133, "super")
    s.key(9, "escape")
    s.up(133, "super")
    s.down(50, "shift")
    s.key(23, "tab")
    s.up(50, "shift")
    s.key(111, "up")
    assert s.finish() == [
        Action.type_text("hi"),
        Action.press("ctrl+a"),
        Action.press("ctrl+shift+1"),
        Action.press("ctrl+shift+t"),
        Action.press("super+escape"),
        Action.press("shift+tab"),
        Action.press("up"),
    ]


def test_release_paired_by_code_not_by_reported_name() -> None:
    s = Script()
    s.down(37, "ctrl")
    s.up(37, "Control_R")  # X may name the release differently: the code still releases ctrl
    s.text("a")
    s.down(50, "shift")
    s.down(10, "!", "!")
    s.up(50, "shift")
    s.up(10, "1")  # released as "1"
    s.text("b")
    assert s.finish() == [Action.type_text("a!b")]


def test_unknown_keys_are_ignored_with_a_log(caplog: pytest.LogCaptureFixture) -> None:
    s = Script()
    s.key(200, "media_play_pause")
    s.key(201, "euro", "\u20ac")
    s.key(66, "caps_lock")
    assert s.finish() == []
    assert "media_play_pause" in caplog.text


def test_key_repeat_without_release_repeats() -> None:
    s = Script()
    for _ in range(3):
        s.down(38, "a", "a")
    s.up(38, "a")
    assert s.finish() == [Action.type_text("aaa")]


def test_pending_start_and_flush_drops_a_held_button() -> None:
    s = Script()
    assert s.folder.pending_start is None
    s.send(ButtonEvent(200, 100, "left", True, 1.0))
    assert s.folder.pending_start == 1.0
    assert s.finish() == []
    assert s.folder.pending_start is None


def test_release_all_forgets_held_modifiers() -> None:
    s = Script()
    s.down(37, "ctrl")
    s.folder.release_all()
    s.text("a")
    assert s.finish() == [Action.type_text("a")]


def test_order_is_start_order_across_kinds() -> None:
    s = Script()
    s.click(200, 100)
    s.send(ScrollEvent(200, 100, 2, s.at(0.05)))
    s.text("q")
    s.click(210, 110, button="right")
    starts = [f.start for f in s.out + s.folder.flush()]
    assert starts == sorted(starts)
    assert [f.action.type.name for f in s.out] == ["CLICK", "SCROLL", "TYPE", "RIGHT_CLICK"]


@pytest.mark.parametrize(
    "kwargs",
    [
        {"double_click_interval": 0},
        {"scroll_gap": -1.0},
        {"drag_threshold": -1},
        {"double_click_distance": 1.5},
    ],
)
def test_config_validation(kwargs: dict[str, float]) -> None:
    with pytest.raises(ValueError, match=next(iter(kwargs))):
        FoldingConfig(**kwargs)  # type: ignore[arg-type]


def test_bad_inputs() -> None:
    with pytest.raises(ValueError, match="region"):
        EventFolder((0, 0, 10, 10))  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="event"):
        EventFolder(REGION).feed("click")  # type: ignore[arg-type]
