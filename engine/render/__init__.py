"""Every renderer of a result, apart from the model that computes it.

- :mod:`engine.render.charts`: the Altair charts, one definition each; the app's pages draw their specs,
  the HTML report inlines the same charts as SVG.
- :mod:`engine.render.markdown`: the Markdown report, the sensitivity report and the comparison table.
- :mod:`engine.render.html`: the self-contained HTML report; :mod:`engine.render.pdf` lays it out on A4.
- :mod:`engine.render.parts`: the plain-text pieces every report format shares.

The model modules (``engine.recommend``, ``engine.sensitivity``, ``engine.compare``) compute codes and
numbers and never import this package.
"""
