"""The person documents the service keeps per warehouse snapshot for tier I (care_records.py)
hold exactly the rows the warehouse's tables hold, in the same form (JSON values, every column),
and the worklist's fact tables can be read alone."""

from joinedup.service import care_records
from joinedup.service.warehouse import WarehouseReader


def test_each_persons_document_holds_exactly_the_warehouses_rows(web_area):
    _, _, warehouse, _ = web_area
    reader = WarehouseReader(warehouse)
    try:
        with reader.connection() as snap:
            columns = care_records.table_columns(snap.con)
            assert {"gp_register", "acute_apc", "risk_scores", "objections"} <= set(columns)
            documents = care_records.build(snap.con, columns)
            busiest = [p for (p,) in snap.con.execute(
                "SELECT pseudonym FROM (SELECT pseudo_id FROM acute_apc UNION ALL SELECT pseudo_id"
                " FROM social_care_events UNION ALL SELECT pseudo_id FROM objections)"
                " JOIN pseudonyms USING (pseudo_id)"
                " GROUP BY 1 ORDER BY count(*) DESC, 1 LIMIT 15").fetchall()]  # fmt: skip
            people = [*busiest, *sorted(documents.by_person)[:: len(documents.by_person) // 15]]
            expected = care_records.from_tables(snap.con, columns, people, None)
            everyone = snap.con.execute("SELECT count(DISTINCT pseudo_id) FROM gp_register")
            assert len(documents.by_person) >= everyone.fetchone()[0]
        for person in people:
            assert documents.rows(person, None) == expected[person], person
            facts = documents.rows(person, care_records.FACT_TABLES)
            assert facts == {t: expected[person][t] for t in care_records.FACT_TABLES}
        assert sum(len(r) for p in people for r in expected[p].values()) > 500
        assert documents.rows("0" * 64, None) == {t: [] for t in columns}
    finally:
        reader.close()
