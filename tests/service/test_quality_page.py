"""The quality page's linkage table: each feed's rows by link method, through the tier A gate."""

import duckdb
from web_helpers import as_role


def gated(n: int) -> int | None:
    return None if 1 <= n <= 7 else round(n / 5) * 5


def test_the_quality_page_shows_each_feeds_linkage_by_method_through_the_gate(server):
    con = duckdb.connect(str(server.warehouse), read_only=True)
    raw = con.execute(
        "SELECT feed, link_method, sum(rows) FROM linkage_outcomes GROUP BY ALL"
    ).fetchall()
    con.close()
    truth: dict[str, dict[str, int]] = {}
    for feed, method, rows in raw:
        truth.setdefault(feed, {})[method] = int(rows)
    client = as_role(server, "board")
    linkage = client.get("/api/v1/board/quality").json()["linkage"]
    assert {f["feed"] for f in linkage["feeds"]} == set(truth)
    assert [m["id"] for m in linkage["methods"]][:1] == ["nhs_number"]
    for row in linkage["feeds"]:
        counts = truth[row["feed"]]
        assert row["rows"] == gated(sum(counts.values()))
        shown = {m: c["rows"] for m, c in row["methods"].items() if c["rows"] is not None}
        for method, n in shown.items():  # rounded to 5 from the truth, never a small count
            assert n == gated(counts.get(method, 0)) and not 1 <= n <= 7
        hidden = [m for m, c in row["methods"].items() if c["rows"] is None]
        assert len(hidden) != 1 or counts.get(hidden[0], 0) == 0  # one hidden cell is never alone
        for c in row["methods"].values():
            if c["rows"] is not None and row["rows"]:
                assert c["share_percent"] == round(c["rows"] / row["rows"] * 100, 1)
    register = next(f for f in linkage["feeds"] if f["feed"] == "gp_register")
    assert register["methods"]["nhs_number"]["share_percent"] > 90
    page = client.get("/board/quality").text
    assert "Deterministic: NHS number" in page and "Probabilistic" in page
