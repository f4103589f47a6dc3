"""The seed's own stack under the benchmark's workloads: SQLAlchemy 2 ORM over
psycopg2 (sync) or asyncpg (async), the same queries the Rust crates run.

Run by `cargo run -p bench -- report` (in the venv it creates); by hand:

    target/bench-venv/bin/python crates/bench/python/sqlalchemy_bench.py \
        --driver asyncpg --url postgresql://admin:changethis@localhost:5432/bench \
        --workload get_by_pk --seconds 2 --warmup 0.5 --tasks 1

Prints one JSON object: {"ops": N, "seconds": S, "rows": R}.
"""

import argparse
import asyncio
import itertools
import json
import threading
import time
from typing import Optional

from sqlalchemy import BigInteger, ForeignKey, Integer, Text, create_engine, insert, select
from sqlalchemy.ext.asyncio import AsyncSession, create_async_engine
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column

DATA_ROWS = 10_000
APP_SRCS = 100
POOL_SIZE = 8


class Base(DeclarativeBase):
    pass


class Hero(Base):
    __tablename__ = "heroes"
    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    name: Mapped[str] = mapped_column(Text, unique=True)
    secret_name: Mapped[Optional[str]] = mapped_column(Text)
    age: Mapped[Optional[int]] = mapped_column(Integer)
    app_src: Mapped[str] = mapped_column(Text)
    team_id: Mapped[Optional[int]] = mapped_column(BigInteger, ForeignKey("teams.id"))


class Team(Base):
    __tablename__ = "teams"
    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    name: Mapped[str] = mapped_column(Text)


# The same parameter sequences as the Rust side (src/workloads.rs).
def nth_id(k: int) -> int:
    return (k * 7919) % DATA_ROWS + 1


def nth_name(k: int) -> str:
    return f"hero-{nth_id(k):05}"


def nth_app_src(k: int) -> str:
    return f"bench-{(k * 37) % APP_SRCS:02}"


_insert_counter = itertools.count()


def new_heroes(prefix: str, count: int) -> list:
    n = next(_insert_counter)
    return [
        Hero(name=f"{prefix}-{n}-{i}", secret_name=None, age=30, app_src="bench-insert")
        for i in range(count)
    ]


def sync_op(engine, workload: str, k: int, prefix: str) -> int:
    with Session(engine) as session:
        if workload == "get_by_pk":
            return int(session.get(Hero, nth_id(k)) is not None)
        if workload == "by_name":
            row = session.execute(select(Hero).where(Hero.name == nth_name(k))).scalar_one_or_none()
            return int(row is not None)
        if workload == "scalar":
            session.execute(select(Hero.secret_name).where(Hero.name == nth_name(k))).scalar()
            return 1
        if workload == "filter_100":
            rows = session.execute(
                select(Hero).where(Hero.app_src == nth_app_src(k)).order_by(Hero.id)
            ).scalars().all()
            return len(rows)
        if workload == "insert_100":
            session.add_all(new_heroes(prefix, 100))
            session.commit()
            return 100
    raise SystemExit(f"unknown workload {workload}")


async def async_op(engine, workload: str, k: int, prefix: str) -> int:
    async with AsyncSession(engine) as session:
        if workload == "get_by_pk":
            return int(await session.get(Hero, nth_id(k)) is not None)
        if workload == "by_name":
            result = await session.execute(select(Hero).where(Hero.name == nth_name(k)))
            return int(result.scalar_one_or_none() is not None)
        if workload == "scalar":
            result = await session.execute(select(Hero.secret_name).where(Hero.name == nth_name(k)))
            result.scalar()
            return 1
        if workload == "filter_100":
            result = await session.execute(
                select(Hero).where(Hero.app_src == nth_app_src(k)).order_by(Hero.id)
            )
            return len(result.scalars().all())
        if workload == "insert_100":
            session.add_all(new_heroes(prefix, 100))
            await session.commit()
            return 100
    raise SystemExit(f"unknown workload {workload}")


# Bulk loads use Core's insert(Hero.__table__): executemany with
# insertmanyvalues, 1,000 rows per statement. The ORM's insert(Hero) with these
# rows (some NULLs) sent one INSERT per row here (5,000 statements for 5,000
# rows, ~2,400 rows/s), so Core is SQLAlchemy's best path.
def bulk_rows(prefix: str, count: int) -> list:
    # The same rows as the Rust side's bulk load (src/workloads.rs).
    return [
        {
            "name": f"{prefix}-{i:07}",
            "secret_name": f"secret {i}" if i % 2 == 0 else None,
            "age": (i % 90) + 10 if i % 3 != 0 else None,
            "app_src": "bench-bulk",
            "team_id": None,
        }
        for i in range(count)
    ]


def run_sync(args) -> dict:
    url = args.url.replace("postgresql://", "postgresql+psycopg2://", 1)
    engine = create_engine(url, pool_size=POOL_SIZE, max_overflow=0)
    if args.workload == "bulk":
        rows = bulk_rows(args.prefix, args.rows)
        began = time.perf_counter()
        with Session(engine) as session:
            session.execute(insert(Hero.__table__), rows)
            session.commit()
        return {"ops": 1, "seconds": time.perf_counter() - began, "rows": len(rows)}

    counter = itertools.count()
    stop_at = [0.0]
    totals = []
    lock = threading.Lock()

    def worker(measure_from: float):
        ops = 0
        while True:
            now = time.perf_counter()
            if now >= stop_at[0]:
                break
            sync_op(engine, args.workload, next(counter), args.prefix)
            if now >= measure_from:
                ops += 1
        with lock:
            totals.append(ops)

    start = time.perf_counter()
    measure_from = start + args.warmup
    stop_at[0] = measure_from + args.seconds
    threads = [threading.Thread(target=worker, args=(measure_from,)) for _ in range(args.tasks)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    engine.dispose()
    return {"ops": sum(totals), "seconds": args.seconds, "rows": 0}


async def run_async(args) -> dict:
    url = args.url.replace("postgresql://", "postgresql+asyncpg://", 1)
    engine = create_async_engine(url, pool_size=POOL_SIZE, max_overflow=0)
    if args.workload == "bulk":
        rows = bulk_rows(args.prefix, args.rows)
        began = time.perf_counter()
        async with AsyncSession(engine) as session:
            await session.execute(insert(Hero.__table__), rows)
            await session.commit()
        seconds = time.perf_counter() - began
        await engine.dispose()
        return {"ops": 1, "seconds": seconds, "rows": len(rows)}

    counter = itertools.count()
    start = time.perf_counter()
    measure_from = start + args.warmup
    stop_at = measure_from + args.seconds

    async def worker() -> int:
        ops = 0
        while True:
            now = time.perf_counter()
            if now >= stop_at:
                return ops
            await async_op(engine, args.workload, next(counter), args.prefix)
            if now >= measure_from:
                ops += 1

    totals = await asyncio.gather(*(worker() for _ in range(args.tasks)))
    await engine.dispose()
    return {"ops": sum(totals), "seconds": args.seconds, "rows": 0}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--driver", choices=["psycopg2", "asyncpg"], required=True)
    parser.add_argument("--url", required=True, help="postgresql://user:password@host:port/db")
    parser.add_argument(
        "--workload",
        choices=["get_by_pk", "by_name", "scalar", "filter_100", "insert_100", "bulk"],
        required=True,
    )
    parser.add_argument("--seconds", type=float, default=2.0)
    parser.add_argument("--warmup", type=float, default=0.5)
    parser.add_argument("--tasks", type=int, default=1)
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--prefix", default="sqla")
    args = parser.parse_args()
    if args.driver == "psycopg2":
        result = run_sync(args)
    else:
        result = asyncio.run(run_async(args))
    print(json.dumps(result))


if __name__ == "__main__":
    main()
