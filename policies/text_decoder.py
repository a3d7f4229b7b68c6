"""The typed-text writer: a pointer-generator decoder that copies each byte from the task or writes it.

The span head (``policies.model``) types what stands in the task between two positions, which is
exact for a name or a password it has never seen but cannot type an answer that is not there: a
sum, a word in another case, a date in another format. This decoder writes the text one byte at a
time, ``ModelConfig.typed_len`` bytes at most, ending with ``END``. At each byte it mixes two
distributions (See et al., "Get To The Point", 2017): *copy* (attention over the task's bytes, its
weights summed per byte value, so an unseen word is copied as exactly as the span copies it) and
*generate* (a softmax over every byte), weighted by a learned gate. It attends to the fused
sequence (instruction, history, pooled screen) and to the full-resolution cells, where an answer
shown on the page (the operands of a sum) is drawn. With ``ModelConfig.screen_copy`` a third
distribution copies a byte drawn on the page (``ScreenCopy``: attention over the cells' 4-px
halves, each read as one byte by the model's exact-glyph head), so a word found on the page is
typed as it is spelt there.

Training feeds the target's own previous bytes (teacher forcing). Without a target it decodes
greedily, byte by byte, and returns the log-probabilities it decoded with, so a greedy pick of
each row is the text it wrote. Exact match under teacher forcing equals exact match of the greedy
text (the first wrong byte of one is the first wrong byte of the other), which makes the
validation metric the live one.

Shape letters as in ``policies.model``'s legend (v: token values, L = ``typed_len``);
M here is the memory the bytes attend to (fused tokens then cells).
"""

from __future__ import annotations

import math

import jax
import jax.numpy as jnp
from flax import nnx

from deskpilot.policies.tokenizer import END, NUM_SPECIALS, PAD, VOCAB_SIZE
from deskpilot.policies.transformer import MLP

__all__ = ["FIRST_CHAR", "NUM_CHARS", "ScreenCopy", "TextDecoder", "WriterLayer", "text_targets"]

# The exact-glyph classes read per 4-px half (``ModelConfig.screen_copy``): the printable ASCII
# bytes from FIRST_CHAR ('!' to '~'), then another glyph, then none.
FIRST_CHAR, NUM_CHARS = 33, 96
PRINTABLE = NUM_CHARS - 2
# Where the screen copy looks for a word's next byte: 1 to FOLLOW_SHIFTS halves right of where it
# read the last one (a glyph of the page's fonts is 1 to 2 halves wide), with a prior of FOLLOW.
FOLLOW_SHIFTS, FOLLOW = 3, 5.0
SCREEN_GATE = -3.0  # the screen copy's share starts near sigmoid(-3): a trained writer barely changes


def text_targets(ids: list[int], length: int) -> tuple[list[int], bool]:
    """Token ids of a typed text as the decoder writes them (then ``END``, then ``PAD``), and whether it fits."""
    if len(ids) + 1 > length:
        return [PAD] * length, False
    return ids + [END] + [PAD] * (length - len(ids) - 1), True


class TextDecoder(nnx.Module):
    """Decoder layers (``layers``; one, then ``WriterLayer``s) over L byte slots: causal among the slots, full over the memory."""

    def __init__(
        self, d: int, num_heads: int, length: int, byte_embed: nnx.Embed, rngs: nnx.Rngs, layers: int = 1
    ) -> None:
        self.length, self.n = length, num_heads
        self.byte_embed = byte_embed  # shared with the task: a copied byte and a read byte are one thing
        self.pos = nnx.Param(jax.random.normal(rngs.params(), (length, d)) * 0.02)
        self.bos = nnx.Param(jax.random.normal(rngs.params(), (d,)) * 0.02)
        self.norm = nnx.LayerNorm(d, rngs=rngs)
        self.memory_norm = nnx.LayerNorm(d, rngs=rngs)
        self.q = nnx.Linear(d, d, rngs=rngs)
        self.kv = nnx.Linear(d, 2 * d, rngs=rngs)
        self.o = nnx.Linear(d, d, rngs=rngs)
        self.mlp = MLP(d, 4 * d, rngs)
        # Layers after the first: finding the next character of a word drawn on the screen takes a
        # second look, from where the byte before was read (one layer wrote letter soup there).
        self.more = nnx.List([WriterLayer(d, num_heads, rngs) for _ in range(layers - 1)])
        self.out_norm = nnx.LayerNorm(d, rngs=rngs)
        self.generate = nnx.Linear(d, VOCAB_SIZE, rngs=rngs)
        self.copy_query = nnx.Linear(d, d, rngs=rngs)
        self.copy_keys = nnx.Linear(d, d, rngs=rngs)
        self.gate = nnx.Linear(d, 1, rngs=rngs)
        self.follow = nnx.Param(jnp.full((), 5.0))  # a prior that a copy runs on: learned from there
        self.read = nnx.Linear(d, d, rngs=rngs)

    def __call__(
        self,
        context: jax.Array,
        memory: jax.Array,
        memory_mask: jax.Array,
        task_out: jax.Array,
        task: jax.Array,
        task_mask: jax.Array,
        start: jax.Array,
        target: jax.Array | None,
        screen: tuple[ScreenCopy, jax.Array, jax.Array] | None = None,
    ) -> tuple[jax.Array, jax.Array]:
        """(BLv log-probabilities of each written byte, BLh where each looked on the screen).

        context BD (the decision), memory BMD with memory_mask BM, task_out BTD (the fused task
        tokens), task/task_mask BT, start BT (the span head's start logits), target BL (teacher
        forcing) or None (greedy); ``screen``: the screen copy with the cells BGD and the exact-glyph
        logits BGIc it copies from, or None (no copy from the screen: h = 0).
        """
        b, t = task.shape
        memory = self.memory_norm(memory)
        mk, mv = _heads(self.kv(memory), self.n, 2)
        more_kv = [_heads(layer.kv(memory), self.n, 2) for layer in self.more]
        copy_keys = self.copy_keys(task_out)  # BTD
        # The first byte's copy starts where the span head would start (it finds a quoted word fast).
        copy_bias = jnp.where(task_mask, 0.0, -1e9)[:, None] + jnp.pad(
            start[:, None], ((0, 0), (0, self.length - 1), (0, 0))
        )
        task_bytes = jax.nn.one_hot(task, VOCAB_SIZE, dtype=memory.dtype)  # BTv
        fixed = (
            context,
            mk,
            mv,
            jnp.where(memory_mask, 0.0, -1e9),
            copy_keys,
            copy_bias,
            task_bytes,
            task_out,
            more_kv,
            None if screen is None else (screen[0], screen[0].prepare(screen[1], screen[2])),
        )
        if target is not None:
            prev = jnp.concatenate([jnp.zeros((b, 1), target.dtype), target[:, :-1]], 1)
            return self._logp(prev, *fixed)

        def write(i: jax.Array, prev: jax.Array) -> jax.Array:  # slot i's byte becomes what slot i + 1 reads
            chosen = jnp.argmax(self._logp(prev, *fixed)[0][:, i], -1).astype(prev.dtype)
            return jax.lax.dynamic_update_slice_in_dim(prev, chosen[:, None], i + 1, axis=1)

        prev = jax.lax.fori_loop(0, self.length - 1, write, jnp.zeros((b, self.length), jnp.int32))
        return self._logp(prev, *fixed)

    def _logp(
        self,
        prev: jax.Array,
        context: jax.Array,
        mk: jax.Array,
        mv: jax.Array,
        memory_bias: jax.Array,
        copy_keys: jax.Array,
        copy_bias: jax.Array,
        task_bytes: jax.Array,
        task_out: jax.Array,
        more_kv: list[tuple[jax.Array, ...]],
        screen: tuple[ScreenCopy, tuple[jax.Array, ...]] | None,
    ) -> tuple[jax.Array, jax.Array]:
        """BL previous tokens (0 = BOS) -> (BLv log-probabilities of the next, BLh the screen copy's look)."""
        b, length = prev.shape
        start = jnp.broadcast_to(self.bos[...], (b, 1, self.bos.shape[0]))
        x = jnp.concatenate([start, self.byte_embed(prev[:, 1:])], 1)
        x = x + self.pos[...][None] + context[:, None]  # BLD
        h = self.norm(x)
        causal = jnp.where(jnp.tril(jnp.ones((length, length), bool)), 0.0, -1e9)  # LL
        (q,) = _heads(self.q(h), self.n, 1)
        sk, sv = _heads(self.kv(h), self.n, 2)
        x = self.mlp(x + self.o(_attend(q, sk, sv, mk, mv, memory_bias, causal)))
        for layer, (lk, lv) in zip(self.more, more_kv, strict=True):
            x = layer(x, lk, lv, memory_bias, causal)
        x = self.out_norm(x)
        copy = jnp.einsum("BLD,BTD->BLT", self.copy_query(x), copy_keys) / math.sqrt(x.shape[-1])
        attend = jax.nn.softmax(copy + copy_bias, -1)  # BLT
        # Copying goes on where it left off: each byte's copy also weighs the position after the one
        # the byte before it copied from, so a word is copied as a run rather than found letter by
        # letter (measured: the plain pointer-generator copied 79% of unseen words after 400 tiny steps).
        after = jnp.pad(attend, ((0, 0), (1, 0), (1, 0)))[:, :-1, :-1]  # slot i: slot i-1's, one byte on
        attend = jax.nn.softmax(copy + self.follow[...] * after + copy_bias, -1)
        copied = jnp.einsum("BLT,BTv->BLv", attend, task_bytes)
        # What the copy points at also feeds the writing: "the capital of this letter", "this digit
        # plus one" are then a map from one byte's features, not a search of the task.
        read = self.read(jnp.einsum("BLT,BTD->BLD", attend, task_out))
        look = jnp.zeros((b, length, 0))
        if screen is not None:
            from_screen, seen, look = screen[0](x, *screen[1])
            read = read + seen
        x = x + read
        gate = jax.nn.sigmoid(self.gate(x))  # BL1: the share written rather than copied
        mixed = gate * jax.nn.softmax(self.generate(x), -1) + (1.0 - gate) * copied
        if screen is not None:
            share = jax.nn.sigmoid(screen[0].gate(x) + SCREEN_GATE)  # BL1
            mixed = (1.0 - share) * mixed + share * from_screen
        return jnp.log(mixed + 1e-9), look


class ScreenCopy(nnx.Module):
    """The writer's copy from the page: attention over the cells' 4-px halves, each read as one byte.

    Each half's byte is the exact-glyph head's reading there (held fixed: that head learns from its
    own loss), and halves where it reads no printable glyph are not looked at. As the task copy
    does, each byte's look is led to where the last byte was read, a few halves to its right, so a
    word on the page is read along its row. Where the page shows the typed text, the look is also
    taught where each byte is drawn (the ``text_look`` loss).
    """

    def __init__(self, d: int, columns: int, rngs: nnx.Rngs) -> None:
        self.columns = columns  # X: a row's cells, so a look does not run on into the next row
        self.keys = nnx.Linear(d, 2 * d, rngs=rngs)  # one key per half of a cell
        self.query = nnx.Linear(d, d, rngs=rngs)
        self.follow = nnx.Param(jnp.zeros((FOLLOW_SHIFTS,)))  # offsets from FOLLOW
        self.read = nnx.Linear(d, d, rngs=rngs)
        self.read_gain = nnx.Param(jnp.zeros(()))  # what was looked at feeds the writing, from 0
        self.gate = nnx.Linear(d, 1, rngs=rngs)  # offset by SCREEN_GATE

    def prepare(self, cells: jax.Array, chars: jax.Array) -> tuple[jax.Array, ...]:
        """Cells BGD, exact-glyph logits BGIc -> (keys BHD, bytes read BHc', bias BH, cells BGD); H = 2G."""
        b, g, d = cells.shape
        keys = self.keys(cells).reshape(b, 2 * g, d)
        p = jax.nn.softmax(jax.lax.stop_gradient(chars), -1).reshape(b, 2 * g, NUM_CHARS)[..., :PRINTABLE]
        drawn = p.sum(-1)  # BH: how sure the head is that a printable glyph is drawn here
        return keys, p / (drawn[..., None] + 1e-6), jnp.log(drawn + 1e-6), cells

    def __call__(
        self, x: jax.Array, keys: jax.Array, read_as: jax.Array, bias: jax.Array, cells: jax.Array
    ) -> tuple[jax.Array, jax.Array, jax.Array]:
        """BLD slots and ``prepare``'s arrays -> (BLv probabilities of the copied byte, BLD what was seen, BLH the look)."""
        b, length, d = x.shape
        h = keys.shape[1]
        scores = jnp.einsum("BLD,BHD->BLH", self.query(x), keys) / math.sqrt(d) + bias[:, None]
        first = jax.nn.softmax(scores, -1)
        before = jnp.pad(first, ((0, 0), (1, 0), (0, 0)))[:, :-1]  # slot i: where slot i-1 read
        column = jnp.arange(h) % (2 * self.columns)
        after = sum(
            (FOLLOW + self.follow[k]) * jnp.where(column >= k + 1, jnp.roll(before, k + 1, -1), 0.0)
            for k in range(FOLLOW_SHIFTS)
        )
        attend = jax.nn.softmax(scores + after, -1)  # BLH
        copied = jnp.einsum("BLH,BHc->BLc", attend, read_as)
        lo = NUM_SPECIALS + FIRST_CHAR
        copied = jnp.pad(copied, ((0, 0), (0, 0), (lo, VOCAB_SIZE - lo - PRINTABLE)))  # BLv
        seen = jnp.einsum("BLG,BGD->BLD", attend.reshape(b, length, -1, 2).sum(-1), cells)
        return copied, self.read_gain[...] * self.read(seen), attend


class WriterLayer(nnx.Module):
    """A writer layer after the first: pre-norm attention, causal over the slots and full over the memory, then an MLP."""

    def __init__(self, d: int, num_heads: int, rngs: nnx.Rngs) -> None:
        self.n = num_heads
        self.norm = nnx.LayerNorm(d, rngs=rngs)
        self.q = nnx.Linear(d, d, rngs=rngs)
        self.kv = nnx.Linear(d, 2 * d, rngs=rngs)  # of the slots, and of the (normed) memory
        self.o = nnx.Linear(d, d, rngs=rngs)
        self.mlp = MLP(d, 4 * d, rngs)

    def __call__(
        self, x: jax.Array, mk: jax.Array, mv: jax.Array, memory_bias: jax.Array, causal: jax.Array
    ) -> jax.Array:
        """BLD slots, BNME memory keys and values (``kv`` of the memory), BM and LL biases -> BLD."""
        h = self.norm(x)
        (q,) = _heads(self.q(h), self.n, 1)
        sk, sv = _heads(self.kv(h), self.n, 2)
        return self.mlp(x + self.o(_attend(q, sk, sv, mk, mv, memory_bias, causal)))


def _heads(x: jax.Array, n: int, parts: int) -> tuple[jax.Array, ...]:
    """B?(parts*D) -> ``parts`` arrays BN?E (n heads)."""
    b, length, width = x.shape
    return tuple(x.reshape(b, length, parts, n, width // (parts * n)).transpose(2, 0, 3, 1, 4))


def _attend(
    q: jax.Array,
    sk: jax.Array,
    sv: jax.Array,
    mk: jax.Array,
    mv: jax.Array,
    memory_bias: jax.Array,
    causal: jax.Array,
) -> jax.Array:
    """BNLE queries over the memory (BNME keys and values, BM bias) and the slots (BNLE, LL causal bias) -> BL(NE)."""
    b, n, length, e = q.shape
    scale = 1.0 / math.sqrt(e)
    scores = jnp.concatenate(
        [
            jnp.einsum("BNLE,BNME->BNLM", q, mk) * scale + memory_bias[:, None, None],
            jnp.einsum("BNLE,BNKE->BNLK", q, sk) * scale + causal,
        ],
        -1,
    )
    weights = jax.nn.softmax(scores, -1)
    m = mk.shape[2]
    out = jnp.einsum("BNLM,BNME->BNLE", weights[..., :m], mv) + jnp.einsum(
        "BNLK,BNKE->BNLE", weights[..., m:], sv
    )
    return out.transpose(0, 2, 1, 3).reshape(b, length, n * e)
