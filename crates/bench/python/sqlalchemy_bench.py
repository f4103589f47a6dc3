"""The seed's own stack under the benchmark's workloads: SQLAlchemy 2 ORM over
psycopg2 (sync) or asyncpg (async), the same queries the Rust crates run.

Run by `cargo run -p bench -- report` (in the venv it creates); by hand:

    target/bench-venv/bin/python crates/bench/python/sqlalchemy_bench.py \
        --driver asyncpg --url postgresql://admin:changethis@localhost:5432/bench \
        --workload get_by_pk --seconds 2 --warmup 0.5 --tasks 1

Prints one JSON object: {"ops": N, "seconds": S, "rows": R} (the stream
adds "peak_rss_kib", this process's peak resident memory).

The workloads beyond the study (src/beyond.rs) run against their own data
sets: rows_N and join_N on `<db>_sweep`, assoc_* on `<db>_assoc` (100 teams of
10), stream on `<db>_stream`.
"""

import argparse
import asyncio
import decimal
import enum
import itertools
import json
import resource
import threading
import time
import uuid
from typing import Optional

from sqlalchemy import (
    BigInteger,
    Enum,
    ForeignKey,
    Integer,
    Numeric,
    Text,
    Uuid,
    create_engine,
    insert,
    select,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.ext.asyncio import AsyncSession, create_async_engine
from sqlalchemy.orm import (
    DeclarativeBase,
    Mapped,
    Session,
    joinedload,
    mapped_column,
    relationship,
    selectinload,
)

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
    headquarters: Mapped[Optional[str]] = mapped_column(Text)
    heroes: Mapped[list[Hero]] = relationship(order_by=Hero.id)


class Rank(enum.Enum):
    rookie = "rookie"
    veteran = "veteran"
    legend = "legend"


# Revision 3's columns on a mapping of their own, so the other workloads load
# the seven columns the Rust crates' `Hero` reads, and this one every column
# of their `TypedHero` (the Rust side: src/workloads.rs, Types1000).
class TypedBase(DeclarativeBase):
    pass


class TypedHero(TypedBase):
    __tablename__ = "heroes"
    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    name: Mapped[str] = mapped_column(Text)
    rank: Mapped[Rank] = mapped_column(Enum(Rank, name="hero_rank"))
    powers: Mapped[list[str]] = mapped_column(ARRAY(Text))
    profile: Mapped[Optional[dict]] = mapped_column(JSONB)
    public_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    salary: Mapped[Optional[decimal.Decimal]] = mapped_column(Numeric(12, 2))


TYPED_POWER = "typed"


def typed_query():
    return (
        select(TypedHero)
        .where(TypedHero.powers.contains([TYPED_POWER]))
        .order_by(TypedHero.id)
    )


TEAMS, PER_TEAM = 100, 10


def sweep_size(workload: str) -> int:
    return int(workload.split("_", 1)[1])


def sweep_query(workload: str):
    app_src = f"sweep-{sweep_size(workload)}"
    if workload.startswith("join_"):
        return (
            select(Hero, Team)
            .outerjoin(Team, Hero.team_id == Team.id)
            .where(Hero.app_src == app_src)
            .order_by(Hero.id)
        )
    return select(Hero).where(Hero.app_src == app_src).order_by(Hero.id)


def loaded(teams) -> int:
    return sum(len(team.heroes) for team in teams)


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
        if workload.startswith(("rows_", "join_")):
            result = session.execute(sweep_query(workload))
            return len(result.all() if workload.startswith("join_") else result.scalars().all())
        if workload == "assoc_lazy":
            # The N+1: each team.heroes is one more SELECT, on first touch.
            return loaded(session.scalars(select(Team).order_by(Team.id)).all())
        if workload == "assoc_selectin":
            stmt = select(Team).options(selectinload(Team.heroes)).order_by(Team.id)
            return loaded(session.scalars(stmt).all())
        if workload == "assoc_joined":
            stmt = select(Team).options(joinedload(Team.heroes)).order_by(Team.id)
            return loaded(session.scalars(stmt).unique().all())
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
        if workload == "types_1000":
            return len(session.execute(typed_query()).scalars().all())
        if workload == "insert_100":
            session.add_all(new_heroes(prefix, 100))
            session.commit()
            return 100
    raise SystemExit(f"unknown workload {workload}")


async def async_op(engine, workload: str, k: int, prefix: str) -> int:
    async with AsyncSession(engine) as session:
        if workload.startswith(("rows_", "join_")):
            result = await session.execute(sweep_query(workload))
            return len(result.all() if workload.startswith("join_") else result.scalars().all())
        if workload == "assoc_lazy":
            # A lazy load raises MissingGreenlet here, so the N+1 is written
            # out: one more awaited SELECT per team.
            teams = (await session.scalars(select(Team).order_by(Team.id))).all()
            count = 0
            for team in teams:
                stmt = select(Hero).where(Hero.team_id == team.id).order_by(Hero.id)
                count += len((await session.scalars(stmt)).all())
            return count
        if workload == "assoc_selectin":
            stmt = select(Team).options(selectinload(Team.heroes)).order_by(Team.id)
            return loaded((await session.scalars(stmt)).all())
        if workload == "assoc_joined":
            stmt = select(Team).options(joinedload(Team.heroes)).order_by(Team.id)
            return loaded((await session.scalars(stmt)).unique().all())
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
        if workload == "types_1000":
            return len((await session.execute(typed_query())).scalars().all())
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


def peak_rss_kib() -> int:
    # ru_maxrss is in KiB on Linux.
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def run_sync(args) -> dict:
    url = args.url.replace("postgresql://", "postgresql+psycopg2://", 1)
    engine = create_engine(url, pool_size=POOL_SIZE, max_overflow=0)
    if args.workload == "stream":
        began = time.perf_counter()
        rows = 0
        with Session(engine) as session:
            # yield_per: a server-side cursor, 1,000 rows fetched at a time.
            stmt = select(Hero).order_by(Hero.id).execution_options(yield_per=1000)
            for _hero in session.scalars(stmt):
                rows += 1
        seconds = time.perf_counter() - began
        return {"ops": 1, "seconds": seconds, "rows": rows, "peak_rss_kib": peak_rss_kib()}
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
    if args.workload == "stream":
        began = time.perf_counter()
        rows = 0
        async with AsyncSession(engine) as session:
            stmt = select(Hero).order_by(Hero.id).execution_options(yield_per=1000)
            async for _hero in await session.stream_scalars(stmt):
                rows += 1
        seconds = time.perf_counter() - began
        await engine.dispose()
        return {"ops": 1, "seconds": seconds, "rows": rows, "peak_rss_kib": peak_rss_kib()}
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
        choices=[
            "get_by_pk",
            "by_name",
            "scalar",
            "filter_100",
            "insert_100",
            "types_1000",
            "bulk",
            "stream",
        ]
        + [f"{sweep}_{n}" for sweep in ("rows", "join") for n in (1, 10, 100, 1000, 10000)]
        + ["assoc_lazy", "assoc_selectin", "assoc_joined"],
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
