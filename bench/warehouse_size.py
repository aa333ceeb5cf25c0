"""Where a DuckDB file's bytes go: an estimate per table and column from `pragma_storage_info`.

    python bench/warehouse_size.py W.duckdb [--top 30]

A segment's size is the distance to the next segment in its block (or the block's end), plus a
whole block for each of its additional blocks; the total is compared with the file's size.
"""

from __future__ import annotations

import argparse
import collections
import os

import duckdb

BLOCK = 262_144


def segment_sizes(con) -> dict[tuple[str, str], int]:
    tables = [
        r[0]
        for r in con.execute(
            "SELECT table_name FROM duckdb_tables() WHERE database_name = current_database()"
        ).fetchall()
    ]
    placed = []  # (block, offset, table, column, extra blocks)
    for table in tables:
        rows = con.execute(
            "SELECT column_name, block_id, block_offset, additional_block_ids"
            f" FROM pragma_storage_info('{table}') WHERE persistent AND block_id >= 0"
        ).fetchall()
        placed += [(b, o, table, c, len(extra or [])) for c, b, o, extra in rows]
    sizes: dict[tuple[str, str], int] = collections.Counter()
    by_block = collections.defaultdict(list)
    for block, offset, table, column, extra in placed:
        by_block[block].append((offset, table, column, extra))
    for segments in by_block.values():
        segments.sort()
        ends = [o for o, *_ in segments[1:]] + [BLOCK]
        for (offset, table, column, extra), end in zip(segments, ends, strict=True):
            sizes[(table, column)] += end - offset + extra * BLOCK
    return sizes


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("path")
    parser.add_argument("--top", type=int, default=30)
    args = parser.parse_args()
    con = duckdb.connect(args.path, read_only=True)
    sizes = segment_sizes(con)
    total = sum(sizes.values())
    mib = 1 << 20
    print(f"file {os.path.getsize(args.path) / mib:.1f} MiB, segments {total / mib:.1f} MiB")
    by_table = collections.Counter()
    by_column = collections.Counter()
    for (table, column), size in sizes.items():
        by_table[table] += size
        by_column[column] += size
    print("\nby table:")
    for table, size in by_table.most_common(args.top):
        print(f"  {table:32} {size / mib:8.1f} MiB")
    print("\nby column name (all tables):")
    for column, size in by_column.most_common(args.top):
        print(f"  {column:32} {size / mib:8.1f} MiB")
    print("\nby table and column:")
    for (table, column), size in sorted(sizes.items(), key=lambda kv: -kv[1])[: args.top]:
        print(f"  {table + '.' + column:56} {size / mib:8.1f} MiB")


if __name__ == "__main__":
    main()
