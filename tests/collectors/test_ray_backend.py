"""Collection and evaluation on a real local Ray instance give what the local backend gives."""

import functools
import json
import sys

import pytest

from deskpilot.agent.evaluate import evaluate
from deskpilot.agent.ray_eval import evaluate_on_ray
from deskpilot.collectors.collect import CollectConfig, collect, episode_id
from deskpilot.collectors.ray_backend import MAX_ATTEMPTS
from deskpilot.scripts.cli import main
from tests.collectors import faulty

ENVS = ["deskpilot/mock-click-button-v0", "deskpilot/mock-login-v0", faulty.FAILING_ENV]


@pytest.fixture(scope="module")
def ray_session():
    """One local Ray instance for the module (starting one takes seconds); run_on_ray leaves it running."""
    ray = pytest.importorskip("ray")
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    try:
        yield ray
    finally:
        ray.shutdown()


def episodes_on_disk(root):
    """Every episode folder's files, less what depends on the clock (created, time)."""
    found = {}
    for folder in sorted(root.iterdir()):
        meta = json.loads((folder / "meta.json").read_text())
        del meta["created"]
        steps = [json.loads(line) for line in (folder / "steps.jsonl").read_text().splitlines()]
        for step in steps:
            del step["time"]
        images = sorted(p.name for p in folder.glob("*.png"))
        found[folder.name] = (meta, steps, images)
    return found


def summary_counts(summary):
    return summary.episodes, summary.successes, summary.steps, summary.errors, sorted(summary.first_errors)


def test_ray_collects_the_episodes_local_collects(ray_session, tmp_path):
    local = collect(CollectConfig("unused", episodes=4, out=tmp_path / "local"), ENVS)
    on_ray = collect(
        CollectConfig("unused", episodes=4, out=tmp_path / "ray", workers=2, backend="ray"), ENVS
    )
    assert summary_counts(on_ray) == summary_counts(local) and on_ray.written == local.written == 12
    assert on_ray.errors == {
        faulty.FAILING_ENV: 2
    }  # the expert raised on seeds 1 and 3: recorded, run went on
    assert episodes_on_disk(tmp_path / "ray") == episodes_on_disk(tmp_path / "local")
    assert ray_session.is_initialized()  # a session the caller started is left to the caller


def test_a_crashed_actors_episodes_run_again_on_a_fresh_actor(ray_session, tmp_path):
    marker = tmp_path / "crashed-once"
    kwargs = {"crash_seed": 2, "crash_marker": str(marker)}
    config = CollectConfig(
        "unused", episodes=5, out=tmp_path / "ray", workers=2, backend="ray", env_kwargs=kwargs
    )
    summary = collect(config, [faulty.ENV])
    assert marker.exists()  # the actor died once
    assert summary.written == 5 and not summary.errors
    collect(CollectConfig("unused", episodes=5, out=tmp_path / "local"), [faulty.ENV])
    assert episodes_on_disk(tmp_path / "ray") == episodes_on_disk(tmp_path / "local")


def test_an_episode_that_always_kills_its_actor_is_given_up_and_reported(ray_session, tmp_path):
    config = CollectConfig(
        "unused", episodes=3, out=tmp_path, workers=2, backend="ray", env_kwargs={"crash_seed": 1}
    )
    summary = collect(config, [faulty.ENV])
    assert summary.written == 2 and summary.errors == {faulty.ENV: 1}
    assert f"its Ray actor died {MAX_ATTEMPTS} times" in summary.first_errors[0]
    assert sorted(p.name for p in tmp_path.iterdir()) == [episode_id(faulty.ID, s) for s in (0, 2)]


def test_ray_evaluation_gives_the_local_report(ray_session):
    env_ids = ENVS[:2]
    actor = functools.partial(faulty.SeedScripted, ENVS[0])
    local = evaluate(actor(), env_ids, episodes=5, seed=3, keep_failures=2)
    seen = []
    on_ray = evaluate_on_ray(
        actor, env_ids, episodes=5, seed=3, keep_failures=2, workers=2, progress=lambda e, ep: seen.append(e)
    )
    assert on_ray.to_json() == local.to_json() and 0 < local.mean_success < 1
    assert sorted(seen) == sorted(e for e in env_ids for _ in range(5))
    for mine, theirs in ((on_ray.failures, local.failures), (on_ray.successes, local.successes)):
        assert [(e.trajectory.meta.env_id, e.trajectory.meta.seed) for e in mine] == [
            (e.trajectory.meta.env_id, e.trajectory.meta.seed) for e in theirs
        ]
        for a, b in zip(mine, theirs, strict=True):
            assert a.trajectory.actions == b.trajectory.actions
            assert all(
                (x.screenshot == y.screenshot).all()
                for x, y in zip(a.trajectory.steps, b.trajectory.steps, strict=True)
            )


@pytest.mark.slow
def test_eval_command_on_ray_writes_the_local_report(ray_session, tmp_path):
    from deskpilot.policies.checkpoint import Saved, save
    from deskpilot.policies.config import get_config
    from deskpilot.policies.numpy_init import init_params
    from deskpilot.policies.train import make_optimizer

    config = get_config("tiny")  # untrained weights: what matters is that both backends agree
    _, params = init_params(config.model, 0)
    run = tmp_path / "run"
    save(
        run,
        {"params": params, "opt_state": make_optimizer(config.train).init(params)},
        Saved(7, config, {}, 0.0),
    )
    args = ["eval", "--checkpoint", str(run), "--env", ",".join(ENVS[:2]), "--episodes", "2"]
    assert main([*args, "--out", str(tmp_path / "local")]) == 0
    assert main([*args, "--out", str(tmp_path / "ray"), "--backend", "ray", "--workers", "1"]) == 0
    local, on_ray = (json.loads((tmp_path / d / "eval.json").read_text()) for d in ("local", "ray"))
    assert on_ray == local and on_ray["step"] == 7


def test_without_ray_the_backend_names_the_extra(tmp_path, monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "ray", None)  # import ray now fails as if it were not installed
    args = ["collect", "--env", ENVS[0], "--episodes", "1", "--out", str(tmp_path), "--backend", "ray"]
    assert main(args) == 2
    assert "pip install 'deskpilot[ray]'" in capsys.readouterr().err


def test_backend_settings_that_cannot_work_are_named(tmp_path):
    from deskpilot.agent.run_eval import EvalRunConfig

    with pytest.raises(ValueError, match="backend: expected one of local, ray, got 'dask'"):
        CollectConfig(ENVS[0], episodes=1, out=tmp_path, backend="dask")
    with pytest.raises(ValueError, match="ray_address: only the ray backend"):
        CollectConfig(ENVS[0], episodes=1, out=tmp_path, ray_address="head:6379")
    with pytest.raises(ValueError, match="only the ray backend uses them"):
        EvalRunConfig(tmp_path, ENVS[0], workers=2)
    with pytest.raises(ValueError, match="num_envs: the ray backend runs one env per task"):
        EvalRunConfig(tmp_path, ENVS[0], num_envs=2, backend="ray", workers=2)
