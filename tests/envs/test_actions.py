import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from deskpilot.envs import KEY_COMBOS, Action, ActionType, action_space, canonical_key
from deskpilot.envs.actions import MAX_SCROLL, MAX_TEXT_LENGTH, TEXT_CHARSET, from_pixel, to_pixel

unit = st.floats(0.0, 1.0, allow_nan=False)
texts = st.text(alphabet=st.sampled_from(TEXT_CHARSET), min_size=1, max_size=MAX_TEXT_LENGTH)
scrolls = st.integers(-MAX_SCROLL, MAX_SCROLL).filter(bool)

actions = st.one_of(
    st.builds(Action.click, unit, unit),
    st.builds(Action.double_click, unit, unit),
    st.builds(Action.right_click, unit, unit),
    st.builds(Action.type_text, texts),
    st.builds(Action.press, st.sampled_from(KEY_COMBOS)),
    st.builds(Action.scroll_at, unit, unit, scrolls),
    st.builds(Action.drag, unit, unit, unit, unit),
    st.just(Action.wait()),
    st.just(Action.done()),
)


@given(actions)
def test_dict_round_trip_is_lossless(action):
    assert Action.from_dict(action.to_dict()) == action


@given(actions)
def test_space_sample_round_trip_is_lossless(action):
    sample = action.to_space_sample()
    assert action_space().contains(sample)
    assert Action.from_space_sample(sample) == action


def test_every_space_sample_decodes_to_a_valid_action():
    space = action_space()
    space.seed(0)
    seen = {Action.from_space_sample(space.sample()).type for _ in range(500)}
    assert seen == set(ActionType)


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"type": ActionType.CLICK, "x": math.nan, "y": 0.5}, "x"),
        ({"type": ActionType.CLICK, "x": 0.5, "y": 1.5}, "y"),
        ({"type": ActionType.CLICK, "x": 0.5}, "y"),
        ({"type": ActionType.TYPE}, "text"),
        ({"type": ActionType.TYPE, "text": ""}, "text"),
        ({"type": ActionType.TYPE, "text": "a\nb"}, "text"),
        ({"type": ActionType.TYPE, "text": "x" * (MAX_TEXT_LENGTH + 1)}, "text"),
        ({"type": ActionType.KEY, "key": "ctrl+banana"}, "key"),
        ({"type": ActionType.KEY, "key": "ctrl+shift"}, "key"),
        ({"type": ActionType.SCROLL, "x": 0.1, "y": 0.1, "scroll": 0}, "scroll"),
        ({"type": ActionType.SCROLL, "x": 0.1, "y": 0.1, "scroll": 2.5}, "scroll"),
        ({"type": ActionType.DRAG, "x": 0.1, "y": 0.1}, "x2"),
        ({"type": ActionType.WAIT, "text": "hi"}, "text"),
        ({"type": ActionType.CLICK, "x": 0.1, "y": 0.1, "key": "enter"}, "key"),
        ({"type": 42}, "type"),
    ],
)
def test_malformed_actions_name_the_field(kwargs, field):
    with pytest.raises(ValueError, match=rf"^{field}:"):
        Action(**kwargs)


def test_keys_are_canonicalised():
    assert canonical_key("Shift+Control+T") == "ctrl+shift+t"
    assert Action.press("Return").key == "enter"
    assert Action.press("cmd+Esc").key == "super+escape"
    with pytest.raises(ValueError, match="repeated"):
        canonical_key("ctrl+ctrl+a")


def test_from_dict_rejects_unknown_fields_and_types():
    with pytest.raises(ValueError, match="unknown fields"):
        Action.from_dict({"type": "CLICK", "x": 0.1, "y": 0.2, "z": 3})
    with pytest.raises(ValueError, match="^type:"):
        Action.from_dict({"type": "TELEPORT"})


@given(st.integers(1, 4000), st.data())
def test_pixels_survive_the_round_trip(size, data):
    px = data.draw(st.integers(0, size - 1))
    assert to_pixel(from_pixel(px, size), size) == px
    assert to_pixel(1.0, size) == size - 1


def test_numpy_scalars_are_accepted_and_stored_as_python_types():
    a = Action.scroll_at(np.float32(0.25), np.float64(0.5), np.int64(-3))
    assert type(a.x) is float and type(a.scroll) is int and a.scroll == -3
