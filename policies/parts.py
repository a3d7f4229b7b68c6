"""The ``Policy``'s parameters by name, for what trains, what is added and what a checkpoint must match.

Each name is an attribute of ``policies.model.Policy`` (a top-level key of its parameter state;
``GROWN_BY`` gives paths). Fine-tuning reads these tables: ``train.frozen`` freezes the groups of
``PARAM_GROUPS``, ``deskpilot train --init-from`` starts the parts of ``ADDED_BY`` fresh where the
loaded weights lack them and grows the layer lists of ``GROWN_BY``, and ``policies.checkpoint`` lets
a run differ from its weights in those fields and the fields of ``PARAMETER_FREE``. Tests check that
each listed part exists, exactly when its field is on, and that each layer list is as long as its
field says.
"""

from __future__ import annotations

__all__ = ["ADDED_BY", "GROWN_BY", "PARAMETER_FREE", "PARAM_GROUPS"]

# The model's parts by what they do, as ``train.frozen`` names them: what reads the screen and the
# task's words, and what fuses them with the history into the decision state. The rest, the
# pointers' queries and keys and the action heads, is what a few demonstrations retune without
# unlearning how to read.
PARAM_GROUPS: dict[str, tuple[str, ...]] = {
    "reader": (
        "screen", "byte_embed", "task_pos", "letters_head", "cell_letters_head", "cell_ticked_head",
        "cell_glyphs_head", "match_cells", "match_task", "cell_marks_head", "spelling",
    ),
    "fusion": (
        "history", "step_embed", "cls", "sep", "text_blocks", "text_norm", "pool_query", "text_proj",
        "blocks", "final_norm",
    ),
}  # fmt: skip
# Model fields whose turning on only adds parameters, and which attributes those are: weights saved
# without them start a run with them (``deskpilot train --init-from``), the added ones drawn fresh.
ADDED_BY: dict[str, tuple[str, ...]] = {
    "click_memory": ("clicked_pick", "clicked_point"),
    "typed_len": ("writer",),
    "span_field": ("caption_kernels", "caption_in", "span_keys", "span_query", "span_from"),
    "screen_copy": ("cell_chars_head", "screen_copy"),
}
# Model fields that count layers, and where those layers are: the attribute path of their list and
# how many layers the field counts that are not in it (the writer's first layer is the writer's
# own). Weights with fewer layers start a run with more (``deskpilot train --init-from``: capacity
# added to a trained model without training it again from scratch). The loaded layers stay first;
# each added one starts as the identity (its attention's and MLP's residual outputs zeroed), so the
# grown model computes what the loaded one did and the added layers learn from there.
GROWN_BY: dict[str, tuple[tuple[str, ...], int]] = {
    "depth": (("blocks",), 0),
    "text_layers": (("text_blocks",), 0),
    "writer_layers": (("writer", "more"), 1),
}
# Model fields that add, drop or reshape no parameter (a loss's weight; what the parameter-free spelling
# comparison reads): weights trained under one value start a run under another.
PARAMETER_FREE: tuple[str, ...] = ("pointer_tie", "spell_digits")
