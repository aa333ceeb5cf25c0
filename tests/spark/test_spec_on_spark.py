"""The metric spec tables (tests/spec) on Spark: each hand-made warehouse is written as Parquet
and the engine runs on Spark; the reference (plain Python) still reads the DuckDB file, so every
record Spark computes is checked against it."""

import itertools

from spark_area import as_parquet
from spec_area import area_fixture  # noqa: F401 (the `area` fixture, on ENGINE below)
from test_spec_admissions import *  # noqa: F403
from test_spec_breakdowns import (  # noqa: F401
    discharges_fixture,
    test_a_carer_counts_in_every_ward_of_their_events_and_once_in_the_area,
    test_each_dimension_groups_weekend_discharges,
)
from test_spec_delays import *  # noqa: F403
from test_spec_end_of_life import *  # noqa: F403
from test_spec_flow import *  # noqa: F403
from test_spec_hospital import *  # noqa: F403
from test_spec_primary_care_and_ae import *  # noqa: F403
from test_spec_social_care import *  # noqa: F403

from joinedup.engine.spark import Spark

_exports = itertools.count()


def ENGINE(warehouse):  # noqa: N802 (the name spec_area's `area` fixture looks for)
    """The warehouse as it is now, as a new Parquet folder, on Spark."""
    return Spark(as_parquet(warehouse, warehouse.with_name(f"parquet-{next(_exports)}")))
