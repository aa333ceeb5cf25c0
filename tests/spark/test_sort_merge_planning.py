"""A metric planned as Spark plans it on a large area: sort-merge joins over a UNION.

At 175,000 people the dementia metric failed on Spark with "Can't zip RDDs with unequal
numbers of partitions: List(32, 8)": its UNION of four sort-merge-joined inputs, inlined twice,
was planned as keeping their 8 hash partitions but ran concatenating them (32), and the
sort-merge join above zipped 32 partitions with 8 (engine/spark.py DEFAULT_CONF). On 2,000
people the same plan arises when only relations the size of the people's ids are broadcast and
adaptive planning is off, as the 175,000-person plan was."""

from joinedup.engine.spark import Spark
from joinedup.metrics.engine import compute_metrics
from joinedup.warehouse import store


def planned_as_at_scale(engine: Spark) -> None:
    """The people's ids broadcast, anything larger sort-merge joined, no re-planning."""
    ids = engine.execute("SELECT pseudo_id FROM person").frame
    size = ids._jdf.queryExecution().optimizedPlan().stats().sizeInBytes()
    engine.spark.conf.set("spark.sql.adaptive.enabled", "false")
    engine.spark.conf.set("spark.sql.autoBroadcastJoinThreshold", str(int(size * 1.1)))


def test_the_dementia_metric_planned_with_sort_merge_joins_is_duckdbs(generated):
    warehouse, folder = generated
    engine = Spark(folder)
    planned_as_at_scale(engine)
    with store.reading(warehouse) as duck:
        expected = compute_metrics(duck, ["dementia_dx_rate"])
    assert len(expected) > 30
    assert compute_metrics(engine, ["dementia_dx_rate"]) == expected
