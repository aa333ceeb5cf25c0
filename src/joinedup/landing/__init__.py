"""Landing: read every feed file, check it against the contract, quarantine what fails, send
identifiers to identity, and write pseudonymised rows to the warehouse (docs/architecture.md).

`load_area(directory, warehouse_path, vault_path, as_of, progress)` is the entry point;
`quality_report(con)` (an open warehouse) says what happened to every row.
This package reads identifiable values: it never logs, prints or raises one.
"""

from joinedup.landing.load import load_area
from joinedup.landing.quality import quality_report

__all__ = ["load_area", "quality_report"]
