"""One batch job, start to end: image, containers, workers, the hand-out loop, the output and the job record.

The loop runs in one thread: a `selectors` wait on every worker's channel, the scheduler deciding who gets the
next mini-batch, lease deadlines enforcing retry_settings.timeout. Starting a worker (connecting to its
container's driver, which spawns the process) happens in a small thread pool, so a replaced worker never
stalls the others. Whatever happens (failure, Ctrl-C, SIGTERM, SIGHUP), every container is removed before returning
(runtime/lifecycle.py owns them).
"""

from __future__ import annotations

import concurrent.futures
import enum
import secrets
import selectors
import signal
import time
from dataclasses import dataclass, field, replace
from pathlib import Path, PurePosixPath
from typing import Callable, Dict, List, Optional, Sequence, Set, TypeVar

import docker

from localep.batch import layout as output
from localep.batch.channel import (
    Bye,
    ChannelClosed,
    Done,
    Failed,
    InitFailed,
    Ready,
    StartCanceled,
    WorkerChannel,
    WorkerEvent,
    kill_worker,
    wait_for_answer,
)
from localep.batch.inputs import BatchInput
from localep.batch.instances import MAX_RESTARTS, Instance, container_logs, down_reason, restart_instance, start_instance
from localep.batch.jobs import JobRecord, JobStatus, now_iso, write_job
from localep.batch.layout import OutputLayout
from localep.batch.orphans import reap_orphaned_jobs
from localep.batch.plan import host_user, plan_instance, script_in_container
from localep.batch.scheduler import Counts, Scheduler, Task, TaskState, split_into_tasks
from localep.errors import DeploymentFailed, LocalepError
from localep.exitcodes import ExitCode
from localep.fileio import WriteFailed
from localep.images.images import ensure_image
from localep.images.settings import BuildSettings
from localep.interrupts import exit_code_of, signum_of
from localep.progress import Reporter
from localep.runtime.lifecycle import Lifecycle
from localep.runtime.sizing import ContainerSize, machine_of, sku_size
from localep.yamlspec.batch_model import APPEND_ROW, BatchDeployment
from localep.yamlspec.skus import find_sku

WORKER_START_TIMEOUT = 60.0
SHUTDOWN_TIMEOUT = 5.0
PROGRESS_INTERVAL = 1.0
HEALTH_CHECK_INTERVAL = 1.0  # how often instances with workers still starting are checked with the engine
MAX_FAILURES_PER_PROCESS = 10  # the cloud's driver replaces a process after more failed mini-batches than this
T = TypeVar("T")
R = TypeVar("R")


class SlotState(enum.Enum):
    STARTING = "starting"  # the process is being started or runs init()
    IDLE = "idle"
    BUSY = "busy"
    GONE = "gone"


@dataclass
class Slot:
    """One worker process of one instance; a replaced process gets a new slot (and its own log files)."""

    instance: Instance
    process: str
    state: SlotState = SlotState.STARTING
    channel: Optional[WorkerChannel] = None
    failures: int = 0  # mini-batches whose run() raised in this process

    @property
    def worker(self) -> str:
        return f"{self.instance.name}/{self.process}"


@dataclass
class JobOutcome:
    record: JobRecord
    exit_code: ExitCode
    duration: float = 0.0
    startup_seconds: Optional[float] = None  # from the job's start until the first worker was ready
    scoring_seconds: Optional[float] = None  # from the first hand-out until the last mini-batch finished
    workers: List[str] = field(default_factory=list)  # every worker process that finished a mini-batch
    instances_restarted: int = 0  # containers started in place of lost ones

    def to_dict(self) -> Dict[str, object]:
        counts = self.record.counts
        scoring_rate = (counts.items_succeeded + counts.items_failed) / self.scoring_seconds if self.scoring_seconds else None
        return {
            "job": self.record.name,
            "status": self.record.status.value,
            "exit_code": int(self.exit_code),
            "error": self.record.error,
            "endpoint": self.record.endpoint,
            "deployment": self.record.deployment,
            "items": counts.items,
            "succeeded": counts.items_succeeded,
            "failed": counts.items_failed,
            "retried": counts.retries,
            "requeued": counts.requeued,
            "instances_restarted": self.instances_restarted,
            "mini_batches": {"total": counts.mini_batches, "succeeded": counts.mini_batches_succeeded,
                             "failed": counts.mini_batches_failed, "pending": counts.mini_batches_pending},
            "duration_seconds": round(self.duration, 3),
            "startup_seconds": None if self.startup_seconds is None else round(self.startup_seconds, 3),
            "scoring_seconds": None if self.scoring_seconds is None else round(self.scoring_seconds, 3),
            "items_per_second": None if scoring_rate is None else round(scoring_rate, 2),
            "workers": self.workers,
            "output": self.record.output,
            "predictions": self.record.predictions,
            "logs": str(Path(self.record.output) / "logs"),
        }


class JobAborted(Exception):
    def __init__(self, message: str, exit_code: ExitCode):
        super().__init__(message)
        self.exit_code = exit_code


@dataclass(frozen=True)
class Verdict:
    exit_code: ExitCode
    status: JobStatus
    error: Optional[str] = None


class BatchJob:
    def __init__(self, client: docker.DockerClient, deployment: BatchDeployment, batch_input: BatchInput,
                 layout: OutputLayout, record: JobRecord, build: BuildSettings, reporter: Reporter):
        self.client = client
        self.deployment = deployment
        self.input = batch_input
        self.layout = layout
        self.record = record
        self.build = build
        self.reporter = reporter
        settings = deployment.settings
        self.settings = settings
        self.scheduler = Scheduler(split_into_tasks(batch_input.files, settings.mini_batch_size),
                                   max_tries=settings.retry_settings.max_retries,
                                   error_threshold=settings.error_threshold)
        self.token = secrets.token_hex(16)
        self.started = time.monotonic()
        self.first_ready: Optional[float] = None
        self.first_lease: Optional[float] = None
        self.last_result: Optional[float] = None
        self.slots: List[Slot] = []
        self.process_numbers: Dict[int, int] = {}
        self.init_failures = 0
        self.restarted = 0  # instances restarted after they were lost
        self.workers_used: Set[str] = set()
        self.selector = selectors.DefaultSelector()
        self.starter = concurrent.futures.ThreadPoolExecutor(max_workers=4, thread_name_prefix="batch-start")
        self.instances: Dict[int, Instance] = {}  # the current container of each instance
        self.owned: Optional[Lifecycle] = None
        self.starting: Dict[concurrent.futures.Future, Slot] = {}
        self.last_progress = 0.0
        self.last_health_check = 0.0

    # --- the whole job -------------------------------------------------------------------------------------------

    def run(self) -> JobOutcome:
        """The job from start to end; whatever happens, every container is removed and the record is final."""
        self.verdict = Verdict(ExitCode.ERROR, JobStatus.FAILED, "the runner failed unexpectedly")
        try:
            with Lifecycle(self.client) as owned:
                self.verdict = self._attempt(owned)
        finally:
            self.starter.shutdown(wait=True)  # quick: their containers are gone and every instance is `gone`
            self._finish(self.verdict)
        return JobOutcome(
            record=self.record, exit_code=self.verdict.exit_code, duration=time.monotonic() - self.started,
            startup_seconds=None if self.first_ready is None else self.first_ready - self.started,
            scoring_seconds=(self.last_result - self.first_lease) if self.first_lease and self.last_result else None,
            workers=sorted(self.workers_used), instances_restarted=self.restarted,
        )

    def _attempt(self, owned: Lifecycle) -> Verdict:
        """Start, hand out, judge; an error or a stop request becomes the job's verdict (an unexpected error, e.g.
        the Docker engine going away, is recorded, then raised for the caller to report)."""
        try:
            write_job(self.record)
            self._start(owned)
            self._loop()
            return self._verdict()
        except JobAborted as aborted:
            return Verdict(aborted.exit_code, JobStatus.FAILED, str(aborted))
        except WriteFailed as failure:
            return Verdict(failure.exit_code, JobStatus.FAILED, f"{failure}; the job stopped. What was written before "
                           f"is kept, whole: the rows of every mini-batch counted as succeeded are in "
                           f"{self.layout.partial_predictions}")
        except LocalepError as failure:
            return Verdict(failure.exit_code, JobStatus.FAILED, str(failure) + (f"\n{failure.detail}" if failure.detail else ""))
        except KeyboardInterrupt as interrupt:
            name = signal.Signals(signum_of(interrupt)).name.replace("SIGINT", "Ctrl-C")
            return Verdict(exit_code_of(interrupt), JobStatus.CANCELED, f"canceled ({name})")
        except Exception as unexpected:
            self.verdict = Verdict(ExitCode.ERROR, JobStatus.FAILED, f"{type(unexpected).__name__}: {unexpected}")
            raise

    def _start(self, owned: Lifecycle) -> None:
        deployment = self.deployment
        reap_orphaned_jobs(self.client, self.reporter)
        image = ensure_image(self.client, deployment, self.build, self.reporter)
        for warning in image.warnings if image.cached else []:
            self.reporter.warn(warning)
        if not image.server.localep_layer:
            raise LocalepError(
                "a batch deployment needs an environment localep builds (image with conda_file, or build); "
                "environment.inference_config describes an online custom container", deployment.location("environment"))
        counts = self.scheduler.counts()
        self.reporter.step(
            f"job {self.record.name}: {counts.items} file(s) in {counts.mini_batches} mini-batch(es) of up to "
            f"{self.settings.mini_batch_size}, {deployment.instance_count} instance(s) x "
            f"{self.settings.max_concurrency_per_instance} worker(s)")
        user = host_user()
        size = batch_size(self.client, deployment, self.reporter)
        plans = [plan_instance(self.record.name, deployment, image.tag, index, self.input, self.layout, self.token, user,
                               size) for index in range(deployment.instance_count)]
        # Containers start side by side (the engine takes a fraction of a second for each).
        self.owned = owned
        started = _side_by_side(lambda indexed: start_instance(owned, indexed[1], indexed[0]), list(enumerate(plans)))
        owned.defer(self._stop_workers)  # before the containers go: a completed job's idle workers call shutdown()
        for instance in started:
            self._add_instance(instance)
        self.reporter.step(f"started {deployment.instance_count} container(s); workers run init()")

    # --- workers ----------------------------------------------------------------------------------------------------

    def _add_instance(self, instance: Instance) -> None:
        self.instances[instance.index] = instance
        for _ in range(self.settings.max_concurrency_per_instance):
            self._start_worker(instance)

    def _start_worker(self, instance: Instance) -> None:
        number = self.process_numbers.get(instance.index, 0) + 1
        self.process_numbers[instance.index] = number
        slot = Slot(instance, f"process{number:03d}")
        self.slots.append(slot)
        stdout = self.layout.container_user_stream("stdout", instance.name, slot.process)
        stderr = self.layout.container_user_stream("stderr", instance.name, slot.process)
        future = self.starter.submit(WorkerChannel.open, instance.port, self.token, stdout, stderr,
                                     time.monotonic() + WORKER_START_TIMEOUT, instance.gone)
        self.starting[future] = slot

    def _collect_started(self) -> None:
        for future in [future for future in self.starting if future.done()]:
            slot = self.starting.pop(future)
            try:
                channel = future.result()
            except (OSError, LocalepError, StartCanceled) as error:
                self._start_failed(slot, error)
                continue
            if slot.instance.gone.is_set():  # started just before its container was lost
                channel.close()
                continue
            slot.channel = channel
            script = script_in_container(self.deployment)
            output.log_line(self.layout.master_role, f"{slot.worker} started (pid {channel.pid} in its container)")
            try:
                channel.init(script, str(PurePosixPath(script).parent), self.settings.output_action,
                             self.settings.logging_level, slot.process)
            except ChannelClosed as closed:
                self._lost(slot, str(closed))
                continue
            self.selector.register(channel.sock, selectors.EVENT_READ, slot)

    def _retire(self, slot: Slot, replace: bool) -> None:
        if slot.channel is not None:
            try:
                self.selector.unregister(slot.channel.sock)
            except (KeyError, ValueError):
                pass
            slot.channel.close()
        slot.state = SlotState.GONE
        if replace and not self.scheduler.finished:
            self._start_worker(slot.instance)

    def _check_starting_instances(self) -> None:
        """A container that dies while its workers are still being started closes no worker connection: the
        starts would wait out WORKER_START_TIMEOUT. So, once a second, ask the engine about those instances."""
        now = time.monotonic()
        if now - self.last_health_check < HEALTH_CHECK_INTERVAL:
            return
        self.last_health_check = now
        waiting = {slot.instance.index: slot.instance for slot in self.starting.values() if not slot.instance.gone.is_set()}
        for instance in waiting.values():
            down = down_reason(instance, settle=0.0)
            if down is not None:
                self._instance_lost(instance, down)

    def _start_failed(self, slot: Slot, error: Exception) -> None:
        """A worker that never started: nothing to do when its container is already lost, the instance's loss
        when the container died meanwhile, else the driver is broken and the job cannot run."""
        slot.state = SlotState.GONE
        if slot.instance.gone.is_set():
            return
        down = down_reason(slot.instance)
        if down is None:
            raise DeploymentFailed(f"cannot start a worker in {slot.instance.name}: {error}",
                                   detail=container_logs(slot.instance))
        self._instance_lost(slot.instance, down)

    def _instance_lost(self, instance: Instance, reason: str) -> None:
        """Its mini-batches go back to the queue (tries not counted), its workers are retired, and a new container
        takes its place while the restart budget lasts; the job fails only when no instance is left."""
        instance.gone.set()
        message = f"{instance.name} lost: {reason}"
        self.reporter.warn(f"{message}; its mini-batches go back to the queue")
        output.log_line(self.layout.master_role, message)
        for slot in [slot for slot in self.slots if slot.instance is instance and slot.state is not SlotState.GONE]:
            task = self.scheduler.lease_of(slot.worker)
            if task is not None and self.scheduler.requeue(task.id, slot.worker, message) is not None:
                output.log_line(self.layout.master_role, f"mini-batch {task.id} returned to the queue ({slot.worker} lost)")
            self._retire(slot, replace=False)
        if not self.scheduler.finished and instance.can_restart:
            self._restart(instance)
        running = any(not current.gone.is_set() for current in self.instances.values())
        if not running and not self.scheduler.finished:
            raise DeploymentFailed(f"no instance can run the job: {message} (restarted {instance.restarts} time(s), "
                                   f"at most {MAX_RESTARTS})", detail=container_logs(instance))

    def _restart(self, lost: Instance) -> None:
        assert self.owned is not None
        try:
            fresh = restart_instance(self.owned, lost)
        except (docker.errors.DockerException, LocalepError) as error:
            output.log_line(self.layout.master_role, f"{lost.name} could not be restarted: {error}")
            return
        self.restarted += 1
        self.reporter.step(f"{fresh.name} restarted ({fresh.restarts} of at most {MAX_RESTARTS})")
        output.log_line(self.layout.master_role, f"{fresh.name} restarted as a new container "
                        f"({fresh.restarts} of at most {MAX_RESTARTS})")
        self._add_instance(fresh)

    def _stop_workers(self) -> None:
        """Idle workers of a completed job call the script's shutdown(); the others just go."""
        graceful = self.verdict.status is JobStatus.COMPLETED
        for instance in self.instances.values():
            instance.gone.set()
        for future in list(self.starting):
            future.cancel()
        live = [slot for slot in self.slots if slot.channel is not None and slot.state is not SlotState.GONE]
        if graceful:
            # Idle workers call the script's shutdown(); one still in init() never got work and just goes.
            for slot in (slot for slot in live if slot.state is SlotState.IDLE):
                try:
                    assert slot.channel is not None
                    slot.channel.shutdown()
                except ChannelClosed:
                    continue
            deadline = time.monotonic() + SHUTDOWN_TIMEOUT
            for slot in (slot for slot in live if slot.state is SlotState.IDLE):
                assert slot.channel is not None
                wait_for_answer(slot.channel, max(0.0, deadline - time.monotonic()))
        for slot in live:
            self._retire(slot, replace=False)
        self.selector.close()
        self.reporter.step(f"removing {self.deployment.instance_count} container(s) of {self.record.name}")

    # --- the hand-out loop ------------------------------------------------------------------------------------------

    def _loop(self) -> None:
        while not self.scheduler.finished:
            self._collect_started()
            self._check_starting_instances()
            timeout = 0.05 if self.starting else 0.25
            deadline = self.scheduler.next_deadline()
            if deadline is not None:
                timeout = max(0.0, min(timeout, deadline - time.monotonic()))
            for key, _ in self.selector.select(timeout):
                slot = key.data
                try:
                    events = slot.channel.receive()
                except ChannelClosed as closed:
                    self._lost(slot, str(closed))
                    continue
                for event in events:
                    self._handle(slot, event)
            self._expire_leases()
            self._check_threshold()
            self._hand_out()
            self._progress()
        self._progress(force=True)
        self._check_threshold()

    def _check_threshold(self) -> None:
        if self.scheduler.threshold_exceeded:
            counts = self.scheduler.counts()
            raise JobAborted(
                f"error_threshold exceeded: {counts.items_failed} failed item(s) > "
                f"{self.settings.error_threshold} ({self.deployment.settings_key('error_threshold')})",
                ExitCode.BATCH_JOB_FAILED)

    def _handle(self, slot: Slot, event: WorkerEvent) -> None:
        now = time.monotonic()
        if isinstance(event, Ready):
            slot.state = SlotState.IDLE
            self.first_ready = self.first_ready or now
            output.log_line(self.layout.master_role, f"{slot.worker} ready (init() done)")
        elif isinstance(event, InitFailed):
            self._init_failed(slot, event.error)
        elif isinstance(event, Done):
            self._done(slot, event, now)
        elif isinstance(event, Failed):
            self._failed_try(slot, self.scheduler.fail(event.task, slot.worker, event.error), event.error,
                             "failed", event.seconds)
            slot.failures += 1
            slot.state = SlotState.IDLE
            if slot.failures > MAX_FAILURES_PER_PROCESS:
                output.log_line(self.layout.master_role, f"{slot.worker} replaced after {slot.failures} failed "
                                "mini-batches")
                self._retire(slot, replace=True)
        elif isinstance(event, Bye):
            slot.state = SlotState.GONE

    def _done(self, slot: Slot, event: Done, now: float) -> None:
        """run() returned: its rows are written (whole, or the job stops with WriteFailed) before they are counted."""
        task = self.scheduler.tasks[event.task]
        if self.scheduler.holds(event.task, slot.worker):
            if self.settings.output_action == APPEND_ROW and event.rows:
                output.append(self.layout.partial_predictions, event.rows)
            self.scheduler.succeed(event.task, slot.worker, event.count)
            self.last_result = now
            self.workers_used.add(slot.worker)
            if event.count > len(task.files):
                output.log_line(self.layout.master_role, f"mini-batch {task.id}: run() returned {event.count} "
                                f"item(s) for {len(task.files)} file(s); counted as {len(task.files)}")
        self._process_log(slot, task, f"succeeded, returned {event.count}", event.seconds)
        slot.state = SlotState.IDLE

    def _init_failed(self, slot: Slot, error: str) -> None:
        self.init_failures += 1
        output.append(self.layout.process_errors(slot.instance.name, slot.process), f"init() failed:\n{error}\n")
        output.log_line(self.layout.error_summary, f"{slot.worker}: init() failed")
        limit = 2 * self.worker_count
        self._retire(slot, replace=self.init_failures < limit)
        if self.init_failures >= limit:
            raise JobAborted(f"init() failed in {self.init_failures} worker process(es) "
                             f"(last in {slot.worker}):\n{error.rstrip()}", ExitCode.BATCH_INIT_FAILED)
        self.reporter.warn(f"init() failed in {slot.worker}; starting a new worker process "
                           f"({self.init_failures} of at most {limit} init failures)")

    @property
    def worker_count(self) -> int:
        """instance_count x max_concurrency_per_instance: the cloud fails a job after twice as many init failures."""
        return self.deployment.instance_count * self.settings.max_concurrency_per_instance

    def _lost(self, slot: Slot, reason: str) -> None:
        """The worker process ended on its own: during init() it is an init failure, else its try failed.
        If its whole container is gone (killed, out of memory), the instance was lost."""
        if slot.instance.gone.is_set():
            self._retire(slot, replace=False)
            return
        down = down_reason(slot.instance)
        if down is not None:
            self._instance_lost(slot.instance, down)
            return
        if slot.state is SlotState.STARTING:
            self._init_failed(slot, f"the worker process exited during init(): {reason}")
            return
        task = self.scheduler.lease_of(slot.worker)
        if task is not None:
            error = f"the worker process exited while run() was running ({reason})"
            self._failed_try(slot, self.scheduler.fail(task.id, slot.worker, error, "worker lost"),
                             error, "worker lost", None)
        self._retire(slot, replace=True)

    def _expire_leases(self) -> None:
        now = time.monotonic()
        for task in self.scheduler.expired(now):
            slot = next(slot for slot in self.slots if slot.worker == task.worker)
            timeout = self.settings.retry_settings.timeout
            error = (f"run() took longer than {self.deployment.settings_key('retry_settings.timeout')} "
                     f"({timeout}s): the worker process was stopped and replaced")
            if slot.channel is not None:
                try:
                    kill_worker(slot.instance.port, self.token, slot.channel.pid)
                except OSError:
                    pass
            self._failed_try(slot, self.scheduler.fail(task.id, slot.worker, error, "timed out"), error,
                             "timed out", now - task.attempts[-1].started)
            self._retire(slot, replace=True)

    def _failed_try(self, slot: Slot, task: Optional[Task], error: str, outcome: str, seconds: Optional[float]) -> None:
        if task is None:
            return
        final = task.state is TaskState.FAILED
        verdict = "failed for good" if final else "will be retried"
        output.append(self.layout.process_errors(slot.instance.name, slot.process),
                      f"mini-batch {task.id} try {len(task.attempts)} {outcome} ({verdict}); files: "
                      f"{', '.join(file.name for file in task.files)}\n{error.rstrip()}\n\n")
        output.log_line(self.layout.error_summary, f"mini-batch {task.id} try {len(task.attempts)} in {slot.worker}: "
                        f"{outcome}, {verdict}: {error.strip().splitlines()[-1] if error.strip() else outcome}")
        output.log_line(self.layout.master_role, f"mini-batch {task.id} {outcome} in {slot.worker}; {verdict}")
        self._process_log(slot, task, outcome, seconds)

    def _process_log(self, slot: Slot, task: Task, outcome: str, seconds: Optional[float]) -> None:
        took = "" if seconds is None else f" in {seconds:.3f}s"
        output.log_line(self.layout.process_log(slot.instance.name, slot.process),
                        f"mini-batch {task.id} ({len(task.files)} file(s)) try {len(task.attempts)}: {outcome}{took}")

    def _hand_out(self) -> None:
        for slot in self.slots:
            if slot.state is not SlotState.IDLE or not self.scheduler.has_waiting:
                continue
            now = time.monotonic()
            task = self.scheduler.lease(slot.worker, now, float(self.settings.retry_settings.timeout))
            if task is None:
                return
            self.first_lease = self.first_lease or now
            assert slot.channel is not None
            try:
                slot.channel.run(task.id, [self.input.container_path(file) for file in task.files])
            except ChannelClosed as closed:
                self._lost(slot, str(closed))
                continue
            slot.state = SlotState.BUSY

    # --- progress and the end ---------------------------------------------------------------------------------------

    def _progress(self, force: bool = False) -> None:
        now = time.monotonic()
        if not force and now - self.last_progress < PROGRESS_INTERVAL:
            return
        self.last_progress = now
        counts = self.scheduler.counts()
        self.record.counts = counts
        write_job(self.record)
        line = progress_line(counts, now - (self.first_lease or now))
        output.log_line(self.layout.progress_overview, line)
        if self.first_lease is not None:
            self.reporter.detail(line)
        elif now - self.started > 2 * PROGRESS_INTERVAL:
            ready = sum(slot.state is SlotState.IDLE for slot in self.slots)
            self.reporter.detail(f"{ready}/{self.worker_count} worker(s) ready; init() is running")

    def _verdict(self) -> Verdict:
        counts = self.scheduler.counts()
        if counts.items_succeeded == 0:
            return Verdict(ExitCode.BATCH_NO_SUCCESS, JobStatus.FAILED,
                           "run() was unable to successfully process any mini batches: no item succeeded "
                           "(see logs/user/error.txt)")
        return Verdict(ExitCode.OK, JobStatus.COMPLETED)

    def _finish(self, verdict: Verdict) -> None:
        status, error, exit_code = verdict.status, verdict.error, verdict.exit_code
        counts_before = self.scheduler.counts()
        self.scheduler.abandon()
        counts = self.scheduler.counts()
        # Abandoned mini-batches stay counted as not run (pending) in the record.
        self.record.counts = replace(counts, mini_batches_pending=counts_before.mini_batches_pending)
        self.record.status, self.record.error, self.record.exit_code = status, error, int(exit_code)
        self.record.end_time = now_iso()
        try:
            self._write_outcome(verdict, counts, counts_before.mini_batches_pending)
        except (WriteFailed, OSError) as failure:  # e.g. the disk the output is on is full: the record still says it
            self.reporter.warn(f"the job's outcome files in {self.layout.root} were not all written: {failure}")
        write_job(self.record)

    def _write_outcome(self, verdict: Verdict, counts: Counts, not_run: int) -> None:
        """The output file (or INCOMPLETE.txt), the last progress line and logs/job_result.txt."""
        status, error = verdict.status, verdict.error
        if status is JobStatus.COMPLETED:
            keep = self.settings.output_action == APPEND_ROW
            output.finish_complete(self.layout, keep_predictions=keep)
            self.record.predictions = str(self.layout.predictions) if keep else None
        else:
            output.mark_incomplete(self.layout, status.value, (error or "").splitlines()[0] if error else status.value,
                                   counts.mini_batches_done, counts.mini_batches)
        scoring = (self.last_result - self.first_lease) if self.first_lease and self.last_result else 0.0
        output.log_line(self.layout.progress_overview, f"job {status.value}: " + progress_line(counts, scoring))
        result = [f"status: {status.value}", f"job: {self.record.name}",
                  f"items: {counts.items}, succeeded: {counts.items_succeeded}, failed: {counts.items_failed}",
                  f"mini-batches: {counts.mini_batches}, succeeded: {counts.mini_batches_succeeded}, "
                  f"failed: {counts.mini_batches_failed}, not run: {not_run}, "
                  f"retries: {counts.retries}, returned to the queue from lost instances: {counts.requeued}, "
                  f"instances restarted: {self.restarted}"]
        if error:
            result.append(f"error: {error}")
        output.append(self.layout.job_result, "\n".join(result) + "\n")


def _side_by_side(function: Callable[[T], R], items: Sequence[T]) -> List[R]:
    """`function` over `items` in threads of their own (not the worker starters', which may be waiting)."""
    if len(items) <= 1:
        return [function(item) for item in items]
    with concurrent.futures.ThreadPoolExecutor(max_workers=len(items)) as pool:
        return list(pool.map(function, items))


def progress_line(counts: Counts, elapsed: float) -> str:
    done_items = counts.items_succeeded + counts.items_failed
    rate = done_items / elapsed if elapsed > 0 else 0.0
    remaining = counts.items - done_items
    eta = f"{remaining / rate:.0f}s" if rate > 0 and remaining else "-"
    requeued = f", {counts.requeued} requeued" if counts.requeued else ""
    return (f"{counts.mini_batches_done}/{counts.mini_batches} mini-batches done ({counts.mini_batches_failed} failed, "
            f"{counts.retries} retried{requeued}), {done_items}/{counts.items} items ({counts.items_failed} failed), "
            f"{rate:.1f} items/s, ETA {eta}")


def batch_size(client: docker.DockerClient, deployment: BatchDeployment, reporter: Reporter) -> Optional[ContainerSize]:
    """`resources.instance_type`'s CPU and memory for each instance (the same SKU table as online), capped to this
    machine with one line; None (no limits) without one."""
    sku = find_sku(deployment.instance_type or "")
    if sku is None:
        return None
    size = sku_size(sku, deployment.name, deployment.instance_type or sku.display_name, machine_of(client.info()))
    if size.capped:
        reporter.warn(size.capped)
    return size
