import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from deskpilot.policies.tokenizer import NUM_SPECIALS, decode, encode, encode_padded


@given(st.text())
def test_round_trips_any_unicode(text: str) -> None:
    assert decode(encode(text)) == text


@given(st.text(), st.integers(1, 40))
def test_padded_prefix_decodes_exactly(text: str, length: int) -> None:
    ids, mask = encode_padded(text, length)
    assert ids.shape == mask.shape == (length,)
    assert text.startswith(decode(ids))
    assert (ids[mask] >= NUM_SPECIALS).all() and (ids[~mask] == 0).all()


def test_span_decodes_to_copied_text() -> None:
    task = "Type 'kiwi\u00e9' into the box"
    ids = np.array(encode(task))
    start = task.encode().index(b"kiwi")
    assert decode(ids[start : start + len("kiwi\u00e9".encode())]) == "kiwi\u00e9"
