"""Metrics: the BCF and local metric values, SPC charts and disclosure control.

- `engine.compute_metrics(con, metric_ids=None, months=None)` (an open warehouse): every metric of
  `../shared/metrics.md` as engine-neutral SQL, in metrics.md's output shape;
- `reference.py`: the same figures in plain Python, for the spec tests (`tests/spec/`);
- `catalogue.yaml` (`catalogue.py`): every metric once, as data: id, title, plain-English
  definition, grains, unit, direction, days of data needed, feeds (read by the engine, the report,
  the plan and the web);
- `periods.py`: months, quarters (Q1 = April-June) and financial years;
- `command.py`: `joinedup metrics`; `spc.py`, `charts.py`: XmR charts; disclosure control is
  `governance.disclosure` (one gate for every output).
"""
