"""Time and size the attention variants of ``llm_attention``: ``python -m benchmarks --help``.

A top-level package of the repository, not part of the wheel: readers who ``pip install
llm-attention`` get the attention classes; the timers, ``/proc`` probes, result renderers and
the paths of the committed results stay here. Run it from the repository root.

Measuring (each returns plain data, ready for ``json.dump``):

- ``attention``: part 1, one attention layer, six implementations, forward and
  forward+backward, and their peak memory;
- ``decode``: part 2, one decoding step with the KV cache against recomputing;
- ``kv_memory``: part 3, KV-cache bytes of two model shapes (arithmetic);
- ``wrapper``: part 4, why ``MultiHeadAttentionWrapper`` beats ``MultiHeadAttention`` on a CPU
  (page faults, step by step, two allocator settings);
- ``caches``: ``--caches``, every KV cache in a GPT-2-small-shaped ``GPTModel``.

Shared by them: ``config`` (sizes, full and ``--quick``), ``timing`` (the round-robin loop),
``machine`` (machine description, ``/proc`` probes, child processes), ``results`` (where the
committed results live). Reporting lives in ``benchmarks.report``; ``cli`` ties the two
together and writes the files.

To add a measurement: a new module here that returns plain data (use ``timing.round_robin``
and ``config``), its call and its key in ``cli.run_benchmarks`` (or a new option), its
tables in ``report/attention.py`` (strings in ``report/strings.py``, both languages), and its
assertions in ``tests/test_benchmarks_cli.py``.
"""
