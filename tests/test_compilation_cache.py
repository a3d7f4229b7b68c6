"""The CLI keeps XLA's compiled programs between commands, where the person's environment says."""

from __future__ import annotations

import os
from pathlib import Path

import jax
import pytest

from deskpilot.scripts import cli


@pytest.fixture
def config_updates(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, object]]:
    """``jax.config.update`` calls, recorded instead of made (this worker's own cache stays as it is)."""
    calls: list[tuple[str, object]] = []
    monkeypatch.setattr(jax.config, "update", lambda name, value: calls.append((name, value)))
    return calls


def test_the_default_cache_is_under_the_users_cache_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, config_updates: list[tuple[str, object]]
) -> None:
    monkeypatch.delenv("JAX_COMPILATION_CACHE_DIR", raising=False)
    monkeypatch.delenv("JAX_COMPILATION_CACHE_MAX_SIZE", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    cli.use_compilation_cache()
    folder = str(tmp_path / "deskpilot" / "xla")
    assert os.environ["JAX_COMPILATION_CACHE_DIR"] == folder  # processes started later inherit it
    assert os.environ["JAX_COMPILATION_CACHE_MAX_SIZE"] == str(cli.COMPILATION_CACHE_BYTES)
    # JAX was imported before the call: its config is set as well.
    assert config_updates == [
        ("jax_compilation_cache_dir", folder),
        ("jax_compilation_cache_max_size", cli.COMPILATION_CACHE_BYTES),
    ]


@pytest.mark.parametrize("chosen", ["/somewhere/else", ""])
def test_a_folder_chosen_beforehand_wins_and_empty_turns_the_cache_off(
    chosen: str, monkeypatch: pytest.MonkeyPatch, config_updates: list[tuple[str, object]]
) -> None:
    monkeypatch.setenv("JAX_COMPILATION_CACHE_DIR", chosen)
    monkeypatch.setenv("JAX_COMPILATION_CACHE_MAX_SIZE", "1000")
    cli.use_compilation_cache()
    assert os.environ["JAX_COMPILATION_CACHE_DIR"] == chosen
    assert config_updates == [("jax_compilation_cache_dir", chosen), ("jax_compilation_cache_max_size", 1000)]
