"""The action-prediction model, its data pipeline, training, checkpoints and the policy actor (JAX/Flax).

Modules, in dependency order:

* ``tokenizer``  byte-level task tokenizer (UTF-8 bytes + specials; no downloaded vocabulary).
* ``conv_encoder`` the strided-conv screen reader (``model.encoder=conv``), kept for benchmarks.
* ``patch_encoder`` the model's screen reader: 8-px cells as matrix products.
* ``config``     ``Config`` = ``ModelConfig`` (the model's shapes, its table of screen readers) +
  ``TrainConfig``; presets ``tiny``, ``small``, ``base``.
* ``history``, ``transformer``, ``compare``, ``pointing``: the model's parts (the past actions'
  encoder, the attention blocks, the spelling comparison, the pointers' parameter-free maps).
* ``model``      the model in one file with a shape legend: a screen reader over 8-px cells, byte
  task encoder, action-history encoder, a small GQA fusion transformer, and the heads (action type,
  pointer over cells, drag end, copied text span, key, scroll).
* ``numpy_init`` ``init_params(cfg, seed)``: a fresh model's parameters, drawn with numpy.
* ``heads``      the table of heads: each head's outputs, targets, weight, loss, metric and decoding.
* ``decode``     outputs -> each head's choice, greedy or sampled.
* ``losses``     the training objective (masked per-head losses) and validation metrics over the table.
* ``data``       trajectories -> fixed-shape examples.
* ``sources``    batches: ``FixedSource`` (resumable), ``StreamingSource`` (fresh episodes from a
  producer thread), ``MixedSource`` (two sources per batch).
* ``step``       the compiled training step (optimiser, schedule, loss weights) and the ``Trainer``.
* ``loop``       ``train_and_evaluate(config, data, workdir)``: data parallel over a device mesh.
* ``assemble``   a run's data: a dataset folder, streamed expert episodes, fine-tuning.
* ``train``      training's public entry points, re-exported from ``loop``, ``assemble`` and ``step``.
* ``checkpoint`` orbax checkpoints + JSON config; refuses other configs, names damaged paths.
* ``actor``      ``PolicyActor.from_checkpoint(run_dir)``: an ``envs.Actor``; ``Predictor`` for batches.
* ``bench``      ``bench_train()``: examples/s and achieved FLOP/s against a float32 matmul.
"""
