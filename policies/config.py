"""Configuration: the model's shapes (``ModelConfig``) plus the optimiser and loop, with named presets.

``tiny`` is for tests (seconds on a CPU), ``small`` the CPU default that ``make demo`` trains,
``base`` for an accelerator. ``--set key=value`` on the command line maps onto these fields
(``model.width=96``, ``train.batch_size=64``) through ``override``; ``--config`` takes a preset's
name or a run's ``config.json`` (``get_config``).
"""

from __future__ import annotations

import dataclasses
import difflib
import json
from pathlib import Path
from typing import Any

from flax import nnx

from deskpilot.policies.conv_encoder import ConvScreenEncoder
from deskpilot.policies.patch_encoder import PatchScreenEncoder

# How training draws its examples (``policies.sources``): each step alike, each episode alike, or
# (streamed only) each task as often as its episodes with its steps in the data's proportions.
BALANCE = ("example", "episode", "task")
FOCUS_BY = ("heads", "episodes")  # what makes a task weak for train.focus (policies.sources.TaskMix)

__all__ = [
    "BALANCE",
    "FOCUS_BY",
    "CELL",
    "CONFIG_FILE",
    "ENCODERS",
    "PRESETS",
    "Config",
    "ModelConfig",
    "TrainConfig",
    "get_config",
    "override",
]

CELL = 8  # pixels per side of the model's grid cells (the screen readers' output)
CONFIG_FILE = "config.json"  # a run folder's Config (policies.checkpoint writes it)


@dataclasses.dataclass(frozen=True)
class ModelConfig:
    """Shapes and widths of the model (``policies.model.Policy``); the presets below."""

    obs_size: tuple[int, int] = (210, 160)  # (H, W) of screenshots; W must be a multiple of 8
    conv_channels: tuple[int, int, int] = (16, 32, 64)  # widths at 1/2 ("conv" only), 1/4, 1/8 resolution
    encoder: str = "patch"  # screen reader: "patch" (matrix products) or "conv" (strided convs, slower)
    width: int = 64  # D: cell features, tokens and heads
    depth: int = 2  # fusion transformer layers
    text_layers: int = 1  # layers over [step, history, task] alone before fusion (a short path from task bytes to the letter losses)
    num_heads: int = 4  # N: query heads
    num_kv_heads: int = 2  # M: key/value heads (grouped-query attention when M < N)
    mlp_ratio: int = 4  # hidden width of each MLP is mlp_ratio * D
    pool: int = 4  # cells per pooled screen token along each axis (the transformer's view)
    task_len: int = 96  # T: task bytes kept (longer tasks are cut at a character boundary)
    history_len: int = 4  # K: past actions the model sees
    history_text_len: int = 16  # L: bytes of a past TYPE text that are embedded
    max_steps: int = 32  # step counter embeddings; later steps share the last one
    fourier_freqs: int = 6  # sin/cos frequencies per coordinate in the history encoder
    # Bytes the text writer (``policies.text_decoder``) types at most; 0: only the span head types.
    # The writer's parameters are added ones (``parts.ADDED_BY``), as ``span_field``'s and
    # ``click_memory``'s: fine-tuning weights without them starts them fresh.
    typed_len: int = 0
    writer_layers: int = 1  # the writer's layers (a run can grow them from weights with fewer)
    # The writer also copies bytes from the screen: a per-half head reads each glyph exactly (case,
    # digits, punctuation) and the writer points at the halves it types from, as it points at the
    # task's bytes (a word found on the page, a number drawn there). Needs the writer; its
    # parameters are added ones (``parts.ADDED_BY``).
    screen_copy: bool = False
    # The word match's spelling comparison also compares digits, as the exact-glyph head reads them
    # (``policies.compare``): "Tab #2" against "Tab #3". Needs ``screen_copy`` (that head). Off: the
    # comparison a run with the screen copy was trained with.
    spell_digits: bool = False
    # Typing values that no quotes mark into the right field: each task token learns how well the
    # cells around the last click (the field's caption) match it, the span's start also asks the
    # decision state, and its end is scored from the start's token. Off: the span reads the fused
    # task tokens alone, as the shipped weights do.
    span_field: bool = False
    # How right the pointer's loss counts a cell of the target other than the one the demonstrator
    # clicked: 1 makes every cell of the target element alike (the pointer may settle on any, often
    # an edge the demonstrations never show in the history); below 1 leans it toward their cell.
    pointer_tie: float = 1.0
    # Each pointer avoids the task words past clicks landed on and the cells around those clicks
    # (tick the next named box, not the one ticked). Adds parameters the shipped weights lack:
    # fine-tuning from them starts those fresh (``parts.ADDED_BY``).
    click_memory: bool = False

    def __post_init__(self) -> None:
        h, w = self.obs_size
        if h <= 0 or w <= 0 or w % CELL:
            raise ValueError(
                f"obs_size: expected positive (H, W) with W a multiple of {CELL}, got {self.obs_size}"
            )
        if not 0.0 < self.pointer_tie <= 1.0:
            raise ValueError(f"pointer_tie: expected a weight in (0, 1], got {self.pointer_tie}")
        if any(c <= 0 for c in self.conv_channels) or len(self.conv_channels) != 3:
            raise ValueError(f"conv_channels: expected three positive ints, got {self.conv_channels}")
        if self.num_heads % self.num_kv_heads or self.width % self.num_heads:
            raise ValueError(
                f"num_heads={self.num_heads} must be a multiple of num_kv_heads={self.num_kv_heads} "
                f"and divide width={self.width}"
            )
        if self.encoder not in ENCODERS:
            raise ValueError(f"encoder: expected one of {sorted(ENCODERS)}, got {self.encoder!r}")
        if self.text_layers < 0:
            raise ValueError(f"text_layers: expected >= 0, got {self.text_layers}")
        positive = ("width", "depth", "mlp_ratio", "pool", "task_len", "history_len", "history_text_len")
        for name in (*positive, "writer_layers"):
            if getattr(self, name) <= 0:
                raise ValueError(f"{name}: expected a positive int, got {getattr(self, name)}")
        if self.typed_len < 0:
            raise ValueError(f"typed_len: expected >= 0 (0: no text writer), got {self.typed_len}")
        if self.screen_copy and not self.typed_len:
            raise ValueError("screen_copy: the screen copy is the writer's; expected typed_len > 0 with it")
        if self.spell_digits and not self.screen_copy:
            raise ValueError(
                "spell_digits: digits are read by the screen copy's exact-glyph head; expected screen_copy"
            )
        if self.max_steps <= 0 or self.fourier_freqs <= 0:
            raise ValueError("max_steps and fourier_freqs must be positive")

    @property
    def grid(self) -> tuple[int, int]:
        """(Y, X): cell rows and columns (the last row may hang over the padded bottom edge)."""
        h, w = self.obs_size
        return -(-h // CELL), w // CELL

    @property
    def pad_h(self) -> int:
        """Rows of zeros a reader adds below a screenshot to make its height 8 * Y."""
        return self.grid[0] * CELL - self.obs_size[0]

    @property
    def num_cells(self) -> int:
        """G = Y * X."""
        y, x = self.grid
        return y * x


def _patch_encoder(cfg: ModelConfig, rngs: nnx.Rngs) -> PatchScreenEncoder:
    """The patch reader of ``policies.patch_encoder``, shaped by ``cfg``."""
    return PatchScreenEncoder(cfg.conv_channels, cfg.width, cfg.grid, cfg.pad_h, rngs)


def _conv_encoder(cfg: ModelConfig, rngs: nnx.Rngs) -> ConvScreenEncoder:
    """The strided-conv reader of ``policies.conv_encoder``, shaped by ``cfg``."""
    return ConvScreenEncoder(cfg.conv_channels, cfg.width, cfg.grid, cfg.pad_h, rngs)


# Screen readers by ``ModelConfig.encoder``: each builds cell features BYXD from (cfg, rngs).
ENCODERS = {"patch": _patch_encoder, "conv": _conv_encoder}


@dataclasses.dataclass(frozen=True)
class TrainConfig:
    """Optimiser, schedule, loop and data options."""

    batch_size: int = 32  # examples per step over all devices (must divide evenly among them)
    learning_rate: float = 2e-3  # peak AdamW learning rate
    warmup_fraction: float = 0.05  # share of the budget spent ramping up linearly from 0
    end_lr_fraction: float = 0.02  # the cosine decays to learning_rate * end_lr_fraction
    weight_decay: float = 1e-4  # AdamW decoupled weight decay
    grad_clip: float = 1.0  # global-norm gradient clipping
    steps: int = 2000  # step budget (training stops at whichever of steps / minutes comes first)
    minutes: float = 0.0  # wall-clock budget; 0 = steps only. The schedule follows whichever is tighter
    eval_every: int = 500  # validation every this many steps (and at the end)
    checkpoint_every: int = 500  # checkpoint every this many steps (and at the end)
    log_every: int = 50  # metrics line every this many steps
    val_fraction: float = 0.1  # share of episodes held out for validation (split by episode)
    seed: int = 0  # parameter init and data order
    aux_weight: float = 1.0  # weight of the auxiliary reading losses (letter sets, words the task mentions)
    # Share of the budget in which the screen reader learns from the glyph loss alone, before the
    # other heads' gradient is ramped in over as long again (policies.step.reader_gate); 0 = off
    reader_first: float = 0.25
    # The screen reader's learning rate as a multiple of learning_rate, and the per-glyph reading
    # loss's weight as a multiple of aux_weight. With the reader's overlapping windows (model
    # version 5) they took the demo suite from 51.6% to 58.3% at 2,300 steps, the reader naming 70%
    # of letters instead of 34%; the three were not measured apart at that step count
    reader_lr: float = 3.0
    glyph_weight: float = 4.0
    # Weight (times aux_weight) of the word match's confident mismatches: the (word on screen, task
    # word) pairs that differ, each weighted by how sure the match is that they are the same. The
    # all-pairs mean leaves a lookalike label matched ('move' for 'omega'); 0 = off
    align_hard: float = 0.0
    stream_capacity: int = 4096  # examples kept in the streaming ring buffer
    # Fresh examples a streamed source takes in per example trained on. The producer thread shares the
    # CPU with the step: MiniWoB's drills cost about 11 ms an example to draw and encode, a third of
    # a 44-task step's time at 1; below 1 each buffered example is trained on about 1/stream_fresh
    # times and the producer, held back by its full queue, takes that much less of the CPU.
    stream_fresh: float = 1.0
    balance: str = (
        "example"  # "example" (each step alike), "episode" (each episode alike) or, streamed, "task"
    )
    relabel: int = 4  # hindsight copies per training episode with other instructions (collectors.relabel)
    drills: float = (
        0.0  # share of each batch from fresh MiniWoB-styled reading drills (deskpilot/miniwob-drill-*)
    )
    focus: float = (
        0.5  # share of the draws (episodes streamed, rows of a dataset) toward tasks weak on validation
    )
    # A task's weakness: "heads", 1 - its heads' mean accuracy; "episodes", 1 - the chance a whole
    # episode is right (each step with every head right, over its mean episode length).
    focus_by: str = "heads"
    # Streamed training: share of expert episodes whose pointer now and then misses (collectors.slips),
    # so the recoveries from a miss are demonstrated too. The demo with 0.3: 92.4% (slider 58 -> 80,
    # a policy that dragged one value wrong used to wander until the step limit), against 89.8% at 0
    slips: float = 0.3
    # Training on a data folder: share of each batch from fresh expert episodes of the synthetic
    # suite (deskpilot/mock-suite), so fine-tuning on a handful of recordings keeps the reading the
    # pretrained weights learnt there instead of memorising the recordings' few screens
    rehearse: float = 0.0
    # Parts of the model that do not train, comma-separated: policies.parts.PARAM_GROUPS names
    # ("reader", "fusion") or the model's own top-level attributes; "" trains everything
    frozen: str = ""
    # Reading drills streamed beside the default ones, by kind, comma-separated (``find-word``,
    # ``arithmetic``, ``algebra``: the typed-answer pages training leaves out by default).
    more_drills: str = ""
    # Training on a data folder: move each drawn example's screen, targets and history points by up
    # to this many 8-px grid cells (policies.augment), so a few layouts teach what, not where; 0 = off
    shift: int = 0
    # Training on a data folder: also use the episodes whose outcome says they failed (an env scored
    # them failed, or they raised); False leaves them out (collectors.schema.scored_failed)
    include_failed: bool = False
    # The train step computes its loss as this many slices of each device's share of the batch
    # (where they divide it), summed: the same loss and gradient. A CPU runs the independent slices
    # side by side; the small preset's step on 2 cores with 2: 1.08-1.09x, and 7 s more to compile.
    # A GPU runs one slice's larger operations better
    chains: int = 1

    def __post_init__(self) -> None:
        positive = ("batch_size", "learning_rate", "grad_clip", "eval_every", "checkpoint_every", "log_every")
        for name in positive:
            if getattr(self, name) <= 0:
                raise ValueError(f"train.{name}: expected a positive value, got {getattr(self, name)}")
        if self.steps <= 0 and self.minutes <= 0:
            raise ValueError("train.steps or train.minutes must be positive (a budget is needed)")
        for name in ("warmup_fraction", "end_lr_fraction", "val_fraction"):
            if not 0.0 <= getattr(self, name) < 1.0:
                raise ValueError(f"train.{name}: expected a float in [0, 1), got {getattr(self, name)}")
        if self.reader_lr <= 0 or self.glyph_weight < 0:
            raise ValueError(
                f"train.reader_lr must be > 0 and train.glyph_weight >= 0, got {self.reader_lr}, {self.glyph_weight}"
            )
        if self.align_hard < 0:
            raise ValueError(f"train.align_hard: expected a weight >= 0, got {self.align_hard}")
        if self.weight_decay < 0 or self.aux_weight < 0 or self.minutes < 0:
            raise ValueError("train.weight_decay, train.aux_weight and train.minutes must be >= 0")
        if self.balance not in BALANCE:
            raise ValueError(f"train.balance: expected one of {BALANCE}, got {self.balance!r}")
        if not 0.0 <= self.reader_first <= 0.5:
            raise ValueError(
                f"train.reader_first: expected a share of the budget in [0, 0.5], got {self.reader_first}"
            )
        if not 0.0 <= self.drills < 1.0:
            raise ValueError(f"train.drills: expected a share of the batch in [0, 1), got {self.drills}")
        if not 0.0 <= self.drills + self.rehearse < 1.0 or self.rehearse < 0.0:
            raise ValueError(
                f"train.drills + train.rehearse: expected shares of the batch summing below 1, got "
                f"{self.drills} + {self.rehearse}"
            )
        if self.more_drills:  # the registry refuses kinds it does not know, by name
            from deskpilot.envs.miniwob.registry import drills_for

            try:
                drills_for((), self.more_drill_kinds)
            except ValueError as e:
                raise ValueError(f"train.more_drills: {e}") from None
        if any(not name.isidentifier() for name in self.frozen_names):
            raise ValueError(
                f"train.frozen: expected comma-separated names of the model's parts, got {self.frozen!r}"
            )
        if self.shift < 0:
            raise ValueError(f"train.shift: expected >= 0 grid cells, got {self.shift}")
        if self.chains < 1 or self.batch_size % self.chains:
            raise ValueError(
                f"train.chains: expected a divisor of train.batch_size ({self.batch_size}), got {self.chains}"
            )
        if not 0.0 <= self.slips <= 1.0:
            raise ValueError(f"train.slips: expected a share of the episodes in [0, 1], got {self.slips}")
        if not 0.0 <= self.focus <= 1.0:
            raise ValueError(f"train.focus: expected a share of the episodes in [0, 1], got {self.focus}")
        if self.focus_by not in FOCUS_BY:
            raise ValueError(f"train.focus_by: expected one of {FOCUS_BY}, got {self.focus_by!r}")
        if self.relabel < 0:
            raise ValueError(f"train.relabel: expected >= 0 copies per episode, got {self.relabel}")
        if not 0.0 < self.stream_fresh <= 1.0:
            raise ValueError(f"train.stream_fresh: expected a share in (0, 1], got {self.stream_fresh}")
        if self.stream_capacity < self.batch_size:
            raise ValueError(f"train.stream_capacity ({self.stream_capacity}) must be >= batch_size")

    @property
    def more_drill_kinds(self) -> tuple[str, ...]:
        """``more_drills`` as a tuple of drill kinds."""
        return tuple(k.strip() for k in self.more_drills.split(",") if k.strip())

    @property
    def frozen_names(self) -> tuple[str, ...]:
        """``frozen`` split at its commas."""
        return tuple(name.strip() for name in self.frozen.split(",") if name.strip())


@dataclasses.dataclass(frozen=True)
class Config:
    """Everything a run needs; saved as JSON beside each checkpoint."""

    name: str  # preset this started from (informational)
    model: ModelConfig  # shapes and widths
    train: TrainConfig  # optimiser and loop

    def __post_init__(self) -> None:
        if not isinstance(self.model, ModelConfig) or not isinstance(self.train, TrainConfig):
            raise ValueError("Config: model must be a ModelConfig and train a TrainConfig")

    def to_json(self) -> dict[str, Any]:
        """JSON-ready dict (tuples become lists)."""
        return json.loads(json.dumps(dataclasses.asdict(self)))

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Config:
        """Inverse of ``to_json``; unknown fields raise ``ValueError``."""
        try:
            model = {k: tuple(v) if isinstance(v, list) else v for k, v in data["model"].items()}
            return cls(data["name"], ModelConfig(**model), TrainConfig(**data["train"]))  # type: ignore[arg-type]
        except KeyError as e:
            raise ValueError(
                f"config JSON does not describe a deskpilot Config: no {e.args[0]!r} entry"
            ) from e
        except (TypeError, AttributeError) as e:
            raise ValueError(f"config JSON does not describe a deskpilot Config: {e}") from e


PRESETS: dict[str, Config] = {
    # Seconds on a CPU: narrow convs, one fusion layer, short task.
    "tiny": Config(
        "tiny",
        ModelConfig(conv_channels=(8, 16, 32), width=32, depth=1, num_heads=2, num_kv_heads=1, task_len=48),
        TrainConfig(
            batch_size=16, learning_rate=3e-3, steps=300, eval_every=100, checkpoint_every=100, log_every=20
        ),
    ),
    # The CPU default (make demo): the 8-px-cell reader, two fusion layers. Batch 16: on 2 cores a
    # step of 16 streamed examples takes about half the time of one of 32 (the examples/s are
    # alike), and at a wall-clock budget twice the optimiser steps read better than 32-example
    # steps (the demo: 5,747 steps, 89.2%, against 2,975 steps, 88.3%, validation clicks 0.88
    # against 0.80); the learning rate is scaled with the square root of the batch. Two chains: the
    # step alternated with the one-chain step, 227.5 against 249.0 ms (1.09x). The word match also
    # learns from its confident mismatches (align_hard 1): the demo's 28 minutes, 94.3% and 94.9%
    # (click-checkboxes 148 and 129 of 200 held-out episodes) against 91.8% and 93.9% (124, 135).
    "small": Config(
        "small", ModelConfig(), TrainConfig(batch_size=16, learning_rate=1.4e-3, chains=2, align_hard=1.0)
    ),
    # For an accelerator: wider everywhere, larger batches.
    "base": Config(
        "base",
        ModelConfig(
            conv_channels=(32, 64, 128), width=256, depth=6, num_heads=8, num_kv_heads=2, task_len=128
        ),
        TrainConfig(batch_size=256, learning_rate=1e-3, steps=20000, eval_every=1000, checkpoint_every=1000),
    ),
}


def get_config(name: str | Path) -> Config:
    """A preset by name, or the Config a run was trained with.

    Args:
        name: a preset's name (``tiny``, ``small``, ``base``), the path of a run's ``config.json``,
            or the run folder holding it.

    Raises:
        ValueError: ``name`` is none of these (the message lists the presets), or the file is not
            a deskpilot Config.
    """
    if isinstance(name, str) and name in PRESETS:
        return PRESETS[name]
    path = Path(name)
    if path.is_dir():
        path = path / CONFIG_FILE
    if not path.is_file():
        raise ValueError(
            f"unknown config {str(name)!r}: expected a preset ({', '.join(PRESETS)}) or the path of a "
            f"run's {CONFIG_FILE} (or of its run folder)"
        )
    try:
        return Config.from_json(json.loads(path.read_text(encoding="utf-8")))
    except (OSError, ValueError) as e:  # ValueError covers bad JSON and bad UTF-8
        raise ValueError(
            f"{path}: not a deskpilot config ({e}); expected the {CONFIG_FILE} that `deskpilot train` "
            "writes into its run folder"
        ) from e


def _parse(value: str, current: Any) -> Any:
    if isinstance(current, bool):
        if value.lower() not in ("true", "false", "1", "0"):
            raise ValueError(f"expected true/false, got {value!r}")
        return value.lower() in ("true", "1")
    kind = type(current[0]) if isinstance(current, tuple) else type(current)
    try:
        if isinstance(current, tuple):
            return tuple(kind(v) for v in value.strip("()[] ").split(","))
        return kind(value)
    except ValueError:
        # The builtin's own message ("invalid literal for int() with base 10") names no field.
        if isinstance(current, tuple):
            what = f"comma-separated {kind.__name__}s like {','.join(map(str, current))}"
        else:
            what = f"{'an' if kind.__name__[0] in 'aeiou' else 'a'} {kind.__name__}"
        raise ValueError(f"expected {what}, got {value!r}") from None


def override(config: Config, assignments: list[str]) -> Config:
    """Apply ``section.field=value`` strings and re-validate.

    ``model.width=96`` names the section; a bare field is looked up in train, then model.
    """
    for item in assignments:
        key, sep, value = item.partition("=")
        if not sep:
            raise ValueError(f"--set {item!r}: expected key=value")
        section, _, field = key.rpartition(".")
        sections = [section] if section else ["train", "model"]
        for s in sections:
            if s not in ("train", "model"):
                raise ValueError(f"--set {item!r}: sections are 'train' and 'model'")
            sub = getattr(config, s)
            if field in {f.name for f in dataclasses.fields(sub)}:
                try:
                    sub = dataclasses.replace(sub, **{field: _parse(value, getattr(sub, field))})
                except ValueError as e:
                    raise ValueError(f"--set {item!r}: {e}") from e
                config = dataclasses.replace(config, **{s: sub})
                break
        else:
            names = [f.name for sec in sections for f in dataclasses.fields(getattr(config, sec))]
            close = difflib.get_close_matches(field, names, n=3)
            hint = f"did you mean {' or '.join(close)}?" if close else f"fields: {', '.join(names)}"
            raise ValueError(f"--set {item!r}: no field {field!r} in {' or '.join(sections)} config; {hint}")
    return config
