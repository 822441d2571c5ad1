"""Reporting: results (as ``json.load`` reads them) in, Markdown tables and SVG charts out.

- ``strings``: every word of the reports, English and Chinese;
- ``markdown``: the one table renderer and the number formats;
- ``svg``: the one chart renderer (bar and line charts), the palette and ``escape``;
- ``attention``: the tables, findings and bar charts of ``benchmarks.json`` (parts 1 to 4);
- ``caches``: the tables and the line chart of ``caches.json`` (``--caches``).

Nothing here measures; nothing in the measuring modules formats.
"""
