"""The board report: one self-contained, disclosure-controlled HTML file for the Health and
Wellbeing Board (`joinedup report`).

- `builder.build_report(con, out, plan_path=None, title=None)` (an open warehouse with its marts): writes the file;
- `headlines.py`: the BCF and local metrics as SPC charts, plan against actual, a plain reading;
- `tables.py`: spend, data quality and linkage tables, disclosure-controlled;
- `board_report.html`, `board_report.css`: the Jinja2 template and its stylesheet.
"""
