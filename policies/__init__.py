"""The action-prediction model, its data pipeline, training, checkpoints and the policy actor (JAX/Flax).

Modules, in dependency order:

* ``tokenizer``  byte-level task tokenizer (UTF-8 bytes + specials; no downloaded vocabulary).
* ``model``      the model in one file with a shape legend: a screen reader over 8-px cells, byte
  task encoder, action-history encoder, a small GQA fusion transformer, and the heads (action type,
  pointer over cells, drag end, copied text span, key, scroll).
* ``losses``     masked per-head losses, greedy or sampled decoding, and per-head metrics.
* ``config``     ``Config`` = ``ModelConfig`` + ``TrainConfig``; presets ``tiny``, ``small``, ``base``.
* ``data``       trajectories -> fixed-shape examples.
* ``sources``    batches: ``FixedSource`` (resumable), ``StreamingSource`` (fresh episodes from a
  producer thread), ``MixedSource`` (two sources per batch).
* ``drills``     fresh MiniWoB-styled reading drills (Pillow pages with known answers).
* ``step``       the compiled training step (optimiser, schedule, loss weights) and the ``Trainer``.
* ``train``      ``train_and_evaluate(config, data, workdir)``: data parallel over a device mesh.
* ``checkpoint`` orbax checkpoints + JSON config; refuses other configs, names damaged paths.
* ``actor``      ``PolicyActor.from_checkpoint(run_dir)``: an ``envs.Actor``; ``Predictor`` for batches.
* ``bench``      ``bench_train()``: examples/s and achieved FLOP/s against a float32 matmul.
"""
