"""Group commit across Write streams: the batch runs of every stream that wait are stored in one
transaction and one COMMIT (one fsync for many cars), in one statement of each kind for all the runs
that are plain next writes (see round_writes.py), the others each in a savepoint of its own.

Each stream still prepares (checks, encodes) its runs itself and answers its requests in order; what it
hands here is a prepared run, and it gets the run's answers back only after the shared transaction
committed, so an ack still means committed. A run that fails inside the transaction is rolled back to
its savepoint and answered alone (when a merged statement fails, the round is rolled back and stored
again with a savepoint per run, so that the run at fault is found and fails alone), as it would be in a transaction of its own (a refusal per batch, or
the database error for its stream), while the runs of the other streams beside it commit. A failure of
the shared COMMIT itself fails every run of the round: nothing of it was acked.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

import asyncpg

from racecoach.services.storage import database, round_writes
from racecoach.services.storage.identity import User

GATHER_S = 0.0  # how long a round waits for more streams before it starts (runs arriving meanwhile join the next)


@dataclass
class Round:
    """What one shared transaction held: (stream's user, run, future of its answers)."""

    entries: list = field(default_factory=list)


@dataclass
class GroupCommitter:
    """One per connection pool; rounds run one after another, each taking every run waiting when it starts."""

    pool: asyncpg.Pool
    gather_s: float = GATHER_S
    rounds: int = 0  # shared transactions committed (or failed)
    runs: int = 0  # runs they held
    widest: int = 0  # the most runs one round held
    merged: int = 0  # runs stored by a round's merged statements
    fallbacks: int = 0  # rounds whose merged statements failed and that were stored again run by run
    _waiting: list = field(default_factory=list)
    _worker: asyncio.Task | None = None

    async def commit(self, *, user: User, run) -> list:
        """Store ``run`` (a prepared write_stream.BatchRun) with the others waiting; its answers once committed."""
        future = asyncio.get_running_loop().create_future()
        self._waiting.append((user, run, future))
        if self._worker is None or self._worker.done():
            self._worker = asyncio.create_task(self._work())
        return await future

    async def _work(self) -> None:
        while self._waiting:
            await asyncio.sleep(self.gather_s)  # lets the streams that are ready hand their runs in
            taken, self._waiting = self._waiting, []
            taken = [entry for entry in taken if not entry[2].cancelled()]
            if taken:
                await self._round(taken)

    async def _round(self, taken: list) -> None:
        from racecoach.services.storage.write_stream import commit_run_on

        outcomes: list = []
        pairs = [(user, run) for user, run, _ in taken]
        try:
            async with database.connection(self.pool) as conn:
                try:
                    async with conn.transaction():
                        outcomes, plans = await round_writes.store_round(conn, taken=pairs, store_alone=commit_run_on)
                except round_writes.MergeFailed:  # rolled back: find the run at fault, a savepoint each
                    self.fallbacks += 1
                    outcomes, plans = [], []
                    async with conn.transaction():
                        for user, run in pairs:
                            try:
                                async with conn.transaction():  # a savepoint: this run fails alone
                                    outcomes.append((await commit_run_on(conn, user=user, run=run), None))
                            except round_writes.RUN_ERRORS as exc:
                                outcomes.append((None, exc))  # a revoked token ends its own stream, not the others'
            round_writes.count_merged(plans)
            self.merged += len(plans)
        except BaseException as exc:  # the shared transaction failed: nothing of it is committed
            for _, _, future in taken:
                if not future.done():
                    if isinstance(exc, Exception):
                        future.set_exception(exc)
                    else:
                        future.cancel()
            if not isinstance(exc, Exception):
                raise
            return
        finally:
            self.rounds += 1
            self.runs += len(taken)
            self.widest = max(self.widest, len(taken))
        for (_, _, future), (answers, error) in zip(taken, outcomes):
            if future.done():
                continue
            if error is not None:
                future.set_exception(error)
            else:
                future.set_result(answers)


_COMMITTERS: dict[int, GroupCommitter] = {}  # by id of the pool (a Pool takes no weak reference); a few per process


def committer_for(pool: asyncpg.Pool) -> GroupCommitter:
    """The pool's group committer (made on first use)."""
    committer = _COMMITTERS.get(id(pool))
    if committer is None or committer.pool is not pool:
        committer = _COMMITTERS[id(pool)] = GroupCommitter(pool=pool)
    return committer
