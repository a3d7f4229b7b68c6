import gymnasium as gym
import pytest

from deskpilot.collectors.loop import run_episode
from deskpilot.collectors.reading import read_trajectory
from deskpilot.collectors.trajectory import EpisodeMeta, TrajectoryWriter
from deskpilot.envs import Action


class Scripted:
    """Plays a fixed list of actions (a stub actor for the loop's logic)."""

    def __init__(self, actions):
        self.actions = list(actions)
        self.resets = 0

    def reset(self):
        self.resets += 1
        self.i = 0

    def act(self, observation, info):
        action = self.actions[min(self.i, len(self.actions) - 1)]
        self.i += 1
        return action


def _env():
    return gym.make("deskpilot/mock-click-button-v0")


def test_expert_episode_is_recorded_step_by_step(tmp_path):
    env = _env()
    expert = env.unwrapped.make_expert()
    written = []

    def writer(meta: EpisodeMeta):
        written.append(TrajectoryWriter(tmp_path, "ep", meta))
        return written[0]

    result = run_episode(env, expert, source="expert", seed=5, writer_factory=writer)
    assert result.success and result.end == "success"
    on_disk = read_trajectory(tmp_path / "ep")
    assert on_disk.actions == result.trajectory.actions
    assert on_disk.meta.seed == 5 and on_disk.meta.env_id == "deskpilot/mock-click-button-v0"
    assert on_disk.meta.task == result.trajectory.task and "Click" in on_disk.task
    assert on_disk.steps[0].annotations["elements"]
    # Each step keeps what env.step returned: here nothing until the final, successful click.
    ends = [(s.reward, s.terminated, s.truncated) for s in on_disk.steps]
    assert ends == [(0.0, False, False)] * (len(ends) - 1) + [(1.0, True, False)]
    assert ends == [(s.reward, s.terminated, s.truncated) for s in result.trajectory.steps]
    assert sum(s.reward for s in on_disk.steps) == on_disk.reward


def test_an_episode_cut_by_the_step_limit_ends_truncated(tmp_path):
    result = run_episode(
        _env(),
        Scripted([Action.wait()]),
        source="policy",
        seed=1,
        writer_factory=lambda meta: TrajectoryWriter(tmp_path, "ep", meta),
    )
    steps = read_trajectory(tmp_path / "ep").steps
    assert result.end == "truncated" and len(steps) > 1
    assert [(s.terminated, s.truncated) for s in steps] == [(False, False)] * (len(steps) - 1) + [
        (False, True)
    ]
    assert all(s.reward == 0.0 for s in steps)


def test_ends_are_classified():
    env = _env()
    assert run_episode(env, Scripted([Action.done()]), source="policy", seed=1).end == "done"
    assert run_episode(env, Scripted([Action.wait()]), source="policy", seed=1).end == "truncated"
    # A click on the wrong button fails the episode: find one through the expert's info.
    _, info = env.reset(seed=1)
    expert_click = env.unwrapped.make_expert().act(_, info)
    others = [e for e in info["elements"] if e["role"] == "button" and not _contains(e["box"], expert_click)]
    x0, y0, x1, y1 = others[0]["box"]
    wrong = Action.click((x0 + x1) / 2, (y0 + y1) / 2)
    assert run_episode(env, Scripted([wrong]), source="policy", seed=1).end == "failure"


def _contains(box, action):
    return box[0] <= action.x < box[2] and box[1] <= action.y < box[3]


def test_teacher_labels_the_states_the_actor_visits():
    env = _env()
    waiting = Scripted([Action.wait()])
    result = run_episode(env, waiting, source="expert", seed=3, teacher=env.unwrapped.make_expert())
    # The actor only waited (so the episode ran to its step limit), but every recorded label is the expert's click.
    assert result.end == "truncated" and len(result.trajectory.steps) > 1
    assert {a.type.name for a in result.trajectory.actions} == {"CLICK"}


def test_a_crashing_actor_leaves_the_finished_steps_on_disk(tmp_path):
    env = _env()

    class Crashes(Scripted):
        def act(self, observation, info):
            if self.i == 2:
                raise RuntimeError("boom")
            return super().act(observation, info)

    with pytest.raises(RuntimeError, match="boom"):
        run_episode(
            env,
            Crashes([Action.wait()]),
            source="policy",
            seed=0,
            writer_factory=lambda meta: TrajectoryWriter(tmp_path, "ep", meta),
        )
    partial = read_trajectory(tmp_path / "ep.partial", allow_partial=True)
    assert partial.actions == [Action.wait(), Action.wait()] and partial.success is None
