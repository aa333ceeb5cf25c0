"""Landing: read every feed file, check it against the contract, quarantine what fails, send
identifiers to identity, and write pseudonymised rows to the warehouse (docs/architecture.md).

`load_area(directory, con, vault, as_of, progress, register, reload)` lands a folder into an
open warehouse writer and vault (`load.opened(warehouse_path, vault_path, register)` opens both);
`load_paths(directory, warehouse_path, vault_path, ...)` does both for the command;
`quality_report(con)` (an open warehouse) says what happened to every row.
This package reads identifiable values: it never logs, prints or raises one.
"""

from joinedup.landing.load import load_area, load_paths, opened
from joinedup.landing.quality import quality_report

__all__ = ["load_area", "load_paths", "opened", "quality_report"]
