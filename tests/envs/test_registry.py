"""Resolving ``--env``: env ids, suite names, and comma-separated lists of both."""

from __future__ import annotations

import pytest

import deskpilot.envs  # noqa: F401  (registers the ids and suites)
from deskpilot.envs.registry import SUITES, register_suite, resolve_env_ids

LOGIN = "deskpilot/mock-login-v0"
EASY = "deskpilot/mock-easy"


def test_one_id_or_one_suite() -> None:
    assert resolve_env_ids(LOGIN) == [LOGIN]
    assert resolve_env_ids(EASY) == list(SUITES[EASY])


def test_comma_separated_ids_and_suites_keep_order_and_dedupe() -> None:
    easy = list(SUITES[EASY])
    assert resolve_env_ids(f"{LOGIN},{EASY}") == [LOGIN, *easy]
    assert resolve_env_ids(f"{EASY},{LOGIN}") == [*easy, LOGIN]
    # An id named again, directly or through a suite, keeps its first place; spaces are allowed.
    assert resolve_env_ids(f"{easy[1]}, {EASY} ,{LOGIN},{easy[1]}") == [easy[1], easy[0], LOGIN]
    assert resolve_env_ids(f"{EASY},{EASY}") == easy


@pytest.mark.parametrize("bad", ["", ",", f"{LOGIN},", f"{LOGIN},,{EASY}", f"{LOGIN}, ,{EASY}"])
def test_empty_names_are_refused(bad: str) -> None:
    with pytest.raises(ValueError, match="separated by single commas") as e:
        resolve_env_ids(bad)
    assert repr(bad) in str(e.value)


def test_an_unknown_name_in_a_list_is_named() -> None:
    with pytest.raises(ValueError, match=r"unknown env or suite 'deskpilot/nope'; .*suites: .*mock-easy"):
        resolve_env_ids(f"{LOGIN},deskpilot/nope,{EASY}")


def test_suite_names_cannot_hold_commas() -> None:
    with pytest.raises(ValueError, match="no commas"):
        register_suite("a,b", (LOGIN,))
    assert "a,b" not in SUITES


def test_a_near_miss_gets_a_suggestion() -> None:
    with pytest.raises(ValueError, match="did you mean 'deskpilot/mock-click-button-v0'"):
        resolve_env_ids("deskpilot/mock-easy,deskpilot/mock-clik-button-v0")
