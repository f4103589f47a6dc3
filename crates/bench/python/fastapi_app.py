"""The study's own application stack, as the HTTP baseline of `just report`:
FastAPI + SQLAlchemy 2 `AsyncSession` over asyncpg, under uvicorn, serving the
heroes API of crates/heroes-api (the same routes, shapes and status codes;
errors as problem+json). Each handler gets its session the study's way,
`db: AsyncSession = Depends(get_session)`.

Run by `cargo run --release -p bench -- report` (in the venv it creates); by hand:

    DATABASE_URL=postgresql+asyncpg://admin:changethis@localhost:5432/bench \
        target/bench-venv/bin/uvicorn --app-dir crates/bench/python fastapi_app:app --port 8100
"""

import decimal
import enum
import os
import uuid
from datetime import datetime
from typing import List, Optional, Union

from fastapi import Depends, FastAPI, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response, StreamingResponse
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import (
    BigInteger,
    DateTime,
    Enum,
    ForeignKey,
    Integer,
    Numeric,
    Text,
    Uuid,
    func,
    select,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker, create_async_engine
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship, selectinload

APP_SRC = "fastapi-sqlalchemy"

# What `bench faults` sets, as it does for the Rust servers: the server's
# statement_timeout, and (behind PgBouncer's transaction mode) no statement
# cache and a unique name per prepared statement, the SQLAlchemy asyncpg
# dialect's documented way through such a pooler.
connect_args = {}
if os.environ.get("STATEMENT_TIMEOUT_MS", "0") not in ("", "0"):
    connect_args["server_settings"] = {"statement_timeout": os.environ["STATEMENT_TIMEOUT_MS"]}
if os.environ.get("STATEMENT_CACHE") == "off":
    connect_args["statement_cache_size"] = 0
    connect_args["prepared_statement_name_func"] = lambda: f"__asyncpg_{uuid.uuid4()}__"

# The same pool as the Rust servers: 8 connections, a 5 s wait.
engine = create_async_engine(
    os.environ["DATABASE_URL"], pool_size=8, max_overflow=0, pool_timeout=5, connect_args=connect_args
)
async_session = async_sessionmaker(engine, expire_on_commit=False)


class Base(DeclarativeBase):
    pass


class Rank(str, enum.Enum):
    rookie = "rookie"
    veteran = "veteran"
    legend = "legend"


# Every column, revision 3's included: the Rust servers serve a hero whole
# (heroes-api's HeroOut), so this one reads and writes the same.
class HeroModel(Base):
    __tablename__ = "heroes"
    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    name: Mapped[str] = mapped_column(Text, unique=True)
    secret_name: Mapped[Optional[str]] = mapped_column(Text)
    age: Mapped[Optional[int]] = mapped_column(Integer)
    app_src: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    team_id: Mapped[Optional[int]] = mapped_column(BigInteger, ForeignKey("teams.id"))
    rank: Mapped[Rank] = mapped_column(Enum(Rank, name="hero_rank"), server_default="rookie")
    powers: Mapped[List[str]] = mapped_column(ARRAY(Text), server_default="{}")
    profile: Mapped[Optional[dict]] = mapped_column(JSONB)
    public_id: Mapped[uuid.UUID] = mapped_column(Uuid, server_default=func.gen_random_uuid())
    salary: Mapped[Optional[decimal.Decimal]] = mapped_column(Numeric(12, 2))


class TeamModel(Base):
    __tablename__ = "teams"
    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    name: Mapped[str] = mapped_column(Text, unique=True)
    headquarters: Mapped[Optional[str]] = mapped_column(Text)
    heroes: Mapped[List[HeroModel]] = relationship(order_by=HeroModel.id)


class HeroBrief(BaseModel):
    """The study's seven columns: what the export streams and a team nests."""

    model_config = ConfigDict(from_attributes=True)
    id: int
    name: str
    secret_name: Optional[str]
    age: Optional[int]
    app_src: str
    created_at: datetime
    team_id: Optional[int]


class HeroOut(HeroBrief):
    """A hero whole; pydantic writes the Decimal salary as a string ("0.10")."""

    rank: Rank
    powers: List[str]
    profile: Optional[dict]
    public_id: uuid.UUID
    salary: Optional[decimal.Decimal]


SALARY = r"^-?[0-9]{1,10}(\.[0-9]{1,2})?$"


class HeroIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=1, max_length=200, pattern=r"^[^\x00]*\S[^\x00]*$")
    secret_name: Optional[str] = Field(default=None, max_length=200, pattern=r"^[^\x00]*$")
    age: Optional[int] = Field(default=None, ge=0, le=2**31 - 1)
    team_id: Optional[int] = Field(default=None, ge=1)
    rank: Optional[Rank] = None
    powers: Optional[List[str]] = Field(default=None, max_length=50)
    profile: Optional[dict] = None
    salary: Optional[str] = Field(default=None, pattern=SALARY)


class TeamIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=1, max_length=200)
    headquarters: Optional[str] = Field(default=None, max_length=200)


class TeamOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    name: str
    headquarters: Optional[str]


class TeamWithHeroesOut(TeamOut):
    heroes: List[HeroBrief]


app = FastAPI(title="Heroes API (FastAPI + SQLAlchemy baseline)")


async def get_session():
    async with async_session() as session:
        yield session


# `AUTOCOMMIT_READS=1` (the report's second FastAPI row): the four reads of
# /heroes that are one statement each run on a connection in AUTOCOMMIT, as
# the Rust servers' `db.autocommit()` does, so no BEGIN and no ROLLBACK. The
# study's way, and this server's default, is the autobegun session above.
if os.environ.get("AUTOCOMMIT_READS") == "1":
    read_session = async_sessionmaker(
        engine.execution_options(isolation_level="AUTOCOMMIT"), expire_on_commit=False
    )
else:
    read_session = async_session


async def get_read_session():
    async with read_session() as session:
        yield session


def problem(status: int, title: str, detail: str) -> JSONResponse:
    headers = {"Retry-After": "1"} if status == 503 else None
    return JSONResponse(
        {"type": "about:blank", "title": title, "status": status, "detail": detail},
        status_code=status,
        media_type="application/problem+json",
        headers=headers,
    )


def columns(values: dict) -> dict:
    """A body's values as the columns take them: the salary string as a Decimal."""
    if values.get("salary") is not None:
        values = {**values, "salary": decimal.Decimal(values["salary"])}
    return values


@app.exception_handler(RequestValidationError)
async def invalid(_: Request, exc: RequestValidationError):
    return problem(422, "Unprocessable Entity", str(exc.errors()[:3]))


@app.exception_handler(IntegrityError)
async def conflict(_: Request, exc: IntegrityError):
    if "foreign key" in str(exc.orig):
        return problem(409, "Conflict", "team_id names no team")
    return problem(409, "Conflict", "a name is already taken; nothing from this request was saved")


@app.exception_handler(DBAPIError)
@app.exception_handler(OSError)
@app.exception_handler(TimeoutError)
async def unavailable(_: Request, exc: Exception):
    return problem(503, "Service Unavailable", f"the database is unavailable: {exc}")


@app.get("/heroes/count")
async def count_heroes(db: AsyncSession = Depends(get_read_session)):
    return {"count": await db.scalar(select(func.count()).select_from(HeroModel))}


@app.get("/heroes/by-name/{name}", response_model=HeroOut)
async def hero_by_name(name: str, db: AsyncSession = Depends(get_read_session)):
    result = await db.execute(select(HeroModel).where(HeroModel.name == name))
    hero = result.scalar_one_or_none()
    return hero if hero else problem(404, "Not Found", f"no hero is named '{name}'")


@app.get("/heroes/export")
async def export_heroes():
    # The session lives as long as the body streams: it is opened inside the
    # generator, not by Depends, whose exit may run before the body is sent.
    async def lines():
        async with async_session() as db:
            result = await db.stream_scalars(select(HeroModel).order_by(HeroModel.id).execution_options(yield_per=1000))
            async for hero in result:
                yield HeroBrief.model_validate(hero).model_dump_json() + "\n"

    return StreamingResponse(lines(), media_type="application/x-ndjson")


@app.get("/heroes/by-public-id/{public_id}", response_model=HeroOut)
async def hero_by_public_id(public_id: uuid.UUID, db: AsyncSession = Depends(get_read_session)):
    result = await db.execute(select(HeroModel).where(HeroModel.public_id == public_id))
    hero = result.scalar_one_or_none()
    return hero if hero else problem(404, "Not Found", f"no hero has public_id {public_id}")


@app.get("/heroes/{hero_id}", response_model=HeroOut)
async def get_hero(hero_id: int, db: AsyncSession = Depends(get_read_session)):
    hero = await db.get(HeroModel, hero_id)
    return hero if hero else problem(404, "Not Found", f"no hero has id {hero_id}")


@app.get("/heroes", response_model=List[HeroOut])
async def list_heroes(
    app_src: Optional[str] = None,
    rank: Optional[Rank] = None,
    power: Optional[str] = None,
    limit: int = Query(100, ge=1, le=1000),
    offset: int = Query(0, ge=0),
    db: AsyncSession = Depends(get_read_session),
):
    stmt = select(HeroModel).order_by(HeroModel.id).limit(limit).offset(offset)
    if app_src is not None:
        stmt = stmt.where(HeroModel.app_src == app_src)
    if rank is not None:
        stmt = stmt.where(HeroModel.rank == rank)
    if power is not None:
        stmt = stmt.where(HeroModel.powers.contains([power]))
    return (await db.execute(stmt)).scalars().all()


@app.post("/heroes", status_code=201, response_model=Union[HeroOut, List[HeroOut]])
async def create_heroes(body: Union[HeroIn, List[HeroIn]], db: AsyncSession = Depends(get_session)):
    items = body if isinstance(body, list) else [body]
    if not 1 <= len(items) <= 1000:
        return problem(422, "Unprocessable Entity", "send from 1 to 1000 heroes")
    heroes = [HeroModel(app_src=APP_SRC, **columns(item.model_dump(exclude_none=True))) for item in items]
    db.add_all(heroes)
    await db.commit()
    return heroes if isinstance(body, list) else heroes[0]


@app.patch("/heroes/{hero_id}", response_model=HeroOut)
async def update_hero(hero_id: int, changes: dict, db: AsyncSession = Depends(get_session)):
    hero = await db.get(HeroModel, hero_id)
    if hero is None:
        return problem(404, "Not Found", f"no hero has id {hero_id}")
    changes = columns(changes)
    for field in ("name", "secret_name", "age", "team_id", "rank", "powers", "profile", "salary"):
        if field in changes:
            setattr(hero, field, changes[field])
    await db.commit()
    return hero


@app.delete("/heroes/{hero_id}", status_code=204)
async def delete_hero(hero_id: int, db: AsyncSession = Depends(get_session)):
    hero = await db.get(HeroModel, hero_id)
    if hero is None:
        return problem(404, "Not Found", f"no hero has id {hero_id}")
    await db.delete(hero)
    await db.commit()
    return Response(status_code=204)


@app.post("/teams", status_code=201, response_model=TeamOut)
async def create_team(team: TeamIn, db: AsyncSession = Depends(get_session)):
    row = TeamModel(**team.model_dump())
    db.add(row)
    await db.commit()
    return row


@app.get("/teams", response_model=Union[List[TeamWithHeroesOut], List[TeamOut]])
async def list_teams(include: Optional[str] = None, db: AsyncSession = Depends(get_session)):
    if include not in (None, "heroes"):
        return problem(422, "Unprocessable Entity", "include: only 'heroes' can be included")
    stmt = select(TeamModel).order_by(TeamModel.id)
    if include == "heroes":
        # The study's cure for MissingGreenlet: load the relationship eagerly.
        stmt = stmt.options(selectinload(TeamModel.heroes))
        teams = (await db.execute(stmt)).scalars().all()
        return [TeamWithHeroesOut.model_validate(t) for t in teams]
    return [TeamOut.model_validate(t) for t in (await db.execute(stmt)).scalars().all()]


@app.get("/teams/{team_id}/heroes", response_model=List[HeroOut])
async def team_heroes(team_id: int, db: AsyncSession = Depends(get_session)):
    if await db.get(TeamModel, team_id) is None:
        return problem(404, "Not Found", f"no team has id {team_id}")
    stmt = select(HeroModel).join(TeamModel).where(TeamModel.id == team_id).order_by(HeroModel.id)
    return (await db.execute(stmt)).scalars().all()


@app.get("/healthz")
async def healthz():
    return {"status": "ok"}


@app.get("/readyz")
async def readyz(db: AsyncSession = Depends(get_session)):
    await db.execute(select(1))
    return {"status": "ready"}
