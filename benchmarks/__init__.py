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

To add a measurement: a new module here that returns plain data (``timing.round_robin`` for
the timing, its sizes in ``config``, both the full and the ``--quick`` ones), its call and its
key in ``cli.run_benchmarks`` (or a new option in ``cli``), its table in ``report/attention.py``
(a ``render_*`` function, added to ``to_markdown``; its words in ``report/strings.py``, English
and Chinese), a hidden block calling it on ``docs/beyond/benchmarks.md`` and ``.zh.md``, and
its assertions in ``tests/test_benchmarks_cli.py`` (the quick run) and
``tests/test_benchmarks_report.py`` (the committed run, once it holds the new part).
"""
