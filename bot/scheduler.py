"""The scheduler: APScheduler 3.11 inside ``dynamo run``, with a ledger for exactly-once.

- Jobs live in the bot's own database (APScheduler's SQLAlchemyJobStore, table
  ``apscheduler_jobs``, created by our migrations). A job is added only when it is missing,
  so a restart keeps the stored next run time and a run missed while the bot was down is
  caught up (``coalesce=True``, a generous ``misfire_grace_time``). A job whose time was
  changed in the config is rescheduled.
- APScheduler is at-most-once: it moves a job's next run time before running it, so a crash
  mid-run would lose that run. Each periodic job writes a ledger row keyed by (kind, period)
  in the transaction that does its work, and at start-up a run the job store moved past
  without a ledger row is run again. The ledger also makes a catch-up, a restart or a second
  process harmless: whoever writes the row sends, the rest find it and stop.
- On PostgreSQL only one process schedules (bot/leader.py: an advisory lock); another takes
  over within ``[schedule] leader_poll_seconds`` if it dies. SQLite serves one process.
- Jobs are stored as ``bot.scheduler:fire`` with the job's name as the only argument.
  APScheduler (its stock executor, public API only) calls that function, which has nothing
  to do: the Scheduler that owns the APScheduler hears of every submitted run
  (``EVENT_JOB_SUBMITTED``, which names the job and the time the run was meant for) and
  runs the job itself, as a task it tracks, with its own JobEnv. So the job store holds no
  reference to a process, several Schedulers can share one process, and a late run still
  knows the period it belongs to.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from apscheduler.events import EVENT_JOB_SUBMITTED, JobSubmissionEvent
from apscheduler.executors.asyncio import AsyncIOExecutor
from apscheduler.job import Job as ApsJob
from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.schedulers.base import STATE_STOPPED
from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger
from sqlalchemy.engine import make_url

from bot.leader import Leadership
from commands.framework import calendar
from commands.framework.job_env import JobEnv
from commands.jobs.table import JOBS, ledger_key
from storage.db import Database
from storage.models import scheduler_jobs
from storage.repos import ledger

logger = logging.getLogger(__name__)

FIRE = "bot.scheduler:fire"
STOP_PATIENCE = 30.0
# A periodic job that fails (the database away for a moment) is tried again after these
# pauses; the ledger makes a retry harmless if an earlier try did get through.
RETRY_DELAYS = (30.0, 120.0, 600.0)


async def fire(name: str) -> None:
    """The function every stored job names, with the job's name. APScheduler's executor
    calls it when the job is due; the work is not here but in the Scheduler, which starts
    it on APScheduler's submission event (Scheduler._submitted)."""


@dataclass(frozen=True)
class _Spec:
    id: str
    trigger: BaseTrigger
    grace: int  # seconds


class Scheduler:
    def __init__(self, env: JobEnv, *, job_store: Callable[[], sa.Engine] | None = None) -> None:
        self.env = env
        self.schedule = env.schedule
        self._job_store = job_store or (lambda: job_store_engine(env.db))
        self._aps: AsyncIOScheduler | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        # What this process schedules, by job name, and the run of each job under way.
        self._specs: dict[str, _Spec] = {}
        self._current: dict[str, asyncio.Task[None]] = {}
        self.leadership: Leadership | None = None
        self.runs: dict[str, int] = {}

    @property
    def running(self) -> bool:
        """True while this process schedules (the leader, on PostgreSQL)."""
        return self._aps is not None

    async def start(self) -> None:
        if self.env.db.dialect == "postgresql":
            self.leadership = Leadership(
                self.env.db,
                "dynamo-scheduler",
                poll_seconds=self.schedule.leader_poll_seconds,
                on_gain=self._begin,
                on_lose=self._end,
            )
            await self.leadership.start()
        else:
            await self._begin()

    async def stop(self) -> None:
        if self.leadership is not None:
            await self.leadership.stop()
            self.leadership = None
        else:
            await self._end()

    def track(self, task: asyncio.Task[None]) -> None:
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def _submitted(self, event: JobSubmissionEvent) -> None:
        """APScheduler's listener for submitted runs (it has moved the job's next run time
        already): run the job for the time it was meant for."""
        self._launch(event.job_id, event.scheduled_run_times)

    def _launch(self, name: str, run_times: Sequence[datetime]) -> None:
        """Run a job for its scheduled times (one: jobs coalesce) in a task of its own,
        unless its last run is still going (one at a time, as ``max_instances=1``)."""
        if name in self._current:
            logger.warning("job %s of %s skipped: its last run is not done", name, run_times[-1])
            return
        task = asyncio.get_running_loop().create_task(
            self._run_times(name, run_times), name=f"job:{name}"
        )
        self._current[name] = task
        task.add_done_callback(lambda _: self._current.pop(name, None))
        self.track(task)

    async def _run_times(self, name: str, run_times: Sequence[datetime]) -> None:
        grace = timedelta(seconds=self._specs[name].grace)
        for run_time in run_times:
            late = self.env.clock() - run_time
            if late > grace:
                logger.warning("job %s of %s missed by %s; skipped", name, run_time, late)
                continue
            try:
                await self.run(name, run_time)
            except Exception:
                logger.exception("job %s of %s failed", name, run_time)

    async def run(self, name: str, scheduled_for: datetime) -> None:
        periodic = ledger_key(name, scheduled_for, self.schedule) is not None
        for pause in (*RETRY_DELAYS, None):
            try:
                queued = await JOBS[name](self.env, scheduled_for)
                break
            except Exception:
                if pause is None or not periodic:
                    raise
                logger.exception("job %s failed; trying again in %.0f s", name, pause)
                await asyncio.sleep(pause)
        self.runs[name] = self.runs.get(name, 0) + 1
        # The sweep runs every minute and usually finds nothing: only work is worth a line.
        logger.log(
            logging.INFO if queued else logging.DEBUG,
            "job %s (scheduled %s) queued %d deliveries",
            name,
            scheduled_for,
            queued,
        )

    async def run_due(self) -> None:
        """Run whatever is due now and wait for it (for tests that move the clock)."""
        if self._aps is None:
            return
        self._aps.wakeup()
        for _ in range(5):
            await asyncio.sleep(0)
        await self.idle()

    async def idle(self) -> None:
        """Wait until no job is running."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    # -- leading ------------------------------------------------------------------------
    def specs(self) -> list[_Spec]:
        tz = self.schedule.zone
        specs = [
            _Spec(
                "sweep",
                IntervalTrigger(seconds=self.schedule.sweep_seconds, timezone=tz),
                3600,
            )
        ]
        weekly = calendar.parse_weekly(self.schedule.weekly_update)
        if weekly is not None:
            day, hour, minute = weekly
            trigger = CronTrigger(
                day_of_week=calendar.WEEKDAYS[day], hour=hour, minute=minute, timezone=tz
            )
            specs.append(_Spec("weekly_update", trigger, 3 * 86400))
        daily = calendar.parse_daily(self.schedule.daily_digest)
        if daily is not None:
            specs.append(
                _Spec(
                    "daily_digest", CronTrigger(hour=daily[0], minute=daily[1], timezone=tz), 43200
                )
            )
        return specs

    async def _begin(self) -> None:
        try:
            await self._schedule()
        except BaseException:
            await self._end()
            raise

    async def _schedule(self) -> None:
        quiet_executor_log()
        aps = AsyncIOScheduler(
            jobstores={
                "default": SQLAlchemyJobStore(
                    engine=self._job_store(), tablename=scheduler_jobs.name
                )
            },
            executors={"default": AsyncIOExecutor()},
            job_defaults={"coalesce": True, "max_instances": 1},
            timezone=self.schedule.zone,
        )
        aps.add_listener(self._submitted, EVENT_JOB_SUBMITTED)
        # Paused until the stored jobs match the configuration: nothing runs on a trigger
        # the configuration has changed, or for a job it has switched off.
        aps.start(paused=True)
        self._aps = aps
        self._specs = {spec.id: spec for spec in self.specs()}
        stored = {job.id: job for job in aps.get_jobs()}
        now = self.env.clock()
        recover: list[tuple[str, datetime]] = []
        for spec in self._specs.values():
            job = stored.pop(spec.id, None)
            if job is None:
                aps.add_job(
                    FIRE,
                    trigger=spec.trigger,
                    args=[spec.id],
                    id=spec.id,
                    name=spec.id,
                    misfire_grace_time=spec.grace,
                    coalesce=True,
                    max_instances=1,
                )
                logger.info("scheduled %s", spec.id)
            elif not _same(job.trigger, spec.trigger):
                aps.reschedule_job(spec.id, trigger=spec.trigger)
                logger.info("rescheduled %s after a configuration change", spec.id)
            else:
                lost = await self._lost_run(job, spec, now)
                if lost is not None:
                    recover.append((spec.id, lost))
        for stale in stored:
            aps.remove_job(stale)
            logger.info("unscheduled %s (switched off in the configuration)", stale)
        aps.resume()
        for name, scheduled_for in recover:
            logger.warning(
                "re-running %s of %s, interrupted before it was done", name, scheduled_for
            )
            self._launch(name, [scheduled_for])

    async def _lost_run(self, job: ApsJob, spec: _Spec, now: datetime) -> datetime | None:
        """The last scheduled run if the job store moved past it but the ledger has no
        record of it (the process died while it ran), and it is still within grace."""
        if ledger_key(spec.id, now, self.schedule) is None:
            return None  # not a periodic send (the sweep is idempotent by itself)
        last = _last_fire_time(spec.trigger, now, timedelta(days=8))
        if last is None or now - last > timedelta(seconds=spec.grace):
            return None
        if job.next_run_time is None or job.next_run_time <= last:
            return None  # not run yet: APScheduler itself catches it up
        key = ledger_key(spec.id, last, self.schedule)
        if key is None:
            return None
        async with self.env.db.read() as conn:
            done = await ledger.exists(conn, *key)
        return None if done else last

    async def _end(self) -> None:
        aps, self._aps = self._aps, None
        if aps is not None and aps.running:
            aps.shutdown(wait=False)
            # AsyncIOScheduler shuts down in a loop callback; let it run.
            for _ in range(100):
                if aps.state == STATE_STOPPED:
                    break
                await asyncio.sleep(0)
        if self._tasks:
            _done, pending = await asyncio.wait(list(self._tasks), timeout=STOP_PATIENCE)
            for task in pending:
                task.cancel()
            if pending:
                await asyncio.gather(*pending, return_exceptions=True)


def _same(a: BaseTrigger, b: BaseTrigger) -> bool:
    if isinstance(a, CronTrigger) and isinstance(b, CronTrigger):
        return str(a) == str(b) and str(a.timezone) == str(b.timezone)
    if isinstance(a, IntervalTrigger) and isinstance(b, IntervalTrigger):
        return a.interval == b.interval
    return False


def _last_fire_time(trigger: BaseTrigger, now: datetime, span: timedelta) -> datetime | None:
    last = None
    at: Any = trigger.get_next_fire_time(None, now - span)
    for _ in range(10_000):  # bounded: a daily trigger fires 8 times in 8 days
        if at is None or at > now:
            break
        last = at
        at = trigger.get_next_fire_time(at, at + timedelta(microseconds=1))
    return last


def quiet_executor_log() -> None:
    """Everything APScheduler's executor logs is about its call of ``fire``, which has no
    work of its own: a line at INFO for every sweep, a late run (which the Scheduler reports
    itself), an empty call cancelled at shutdown. The Scheduler logs the real runs."""
    logging.getLogger("apscheduler.executors").setLevel(logging.CRITICAL)


def job_store_engine(db: Database) -> sa.Engine:
    """A synchronous engine on the bot's database for APScheduler's job store (which is
    synchronous; its few quick statements run on the loop's thread)."""
    url = make_url(db.url)
    if db.is_sqlite:
        return sa.create_engine(url.set(drivername="sqlite"), connect_args={"timeout": 2})
    kwargs: dict[str, Any] = {"pool_size": 1, "max_overflow": 2, "pool_pre_ping": True}
    if db.schema:
        kwargs["connect_args"] = {"options": f"-csearch_path={db.schema}"}
    return sa.create_engine(url.set(drivername="postgresql+psycopg"), **kwargs)
