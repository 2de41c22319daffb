"""Small helpers: atomic writes, spreadsheet-safe cells, and the context for worker processes."""

from __future__ import annotations

import contextlib
import gc
import multiprocessing
import os
import sys
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO, Any, Generic, TypeVar

T = TypeVar("T")

# A cell starting with one of these is run as a formula by Excel/LibreOffice (CSV injection).
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: object) -> object:
    """Make a text cell inert in spreadsheets: prefix ``'`` when it would start a formula.

    Numbers are returned unchanged; so are strings like ``-0.5`` that are plain numbers.
    """
    if isinstance(value, str) and value.startswith(FORMULA_START):
        try:
            float(value)
            return value
        except ValueError:
            return "'" + value
    return value


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _same_bytes(a: str, b: Path) -> bool:
    """Do the files ``a`` and ``b`` hold the same bytes? (False when ``b`` does not exist.)"""
    try:
        if os.stat(a).st_size != os.stat(b).st_size:
            return False
        with open(a, "rb") as fa, open(b, "rb") as fb:
            while True:
                x, y = fa.read(1 << 20), fb.read(1 << 20)
                if x != y:
                    return False
                if not x:
                    return True
    except OSError:
        return False


@contextlib.contextmanager
def atomic_open(path: str | Path, mode: str = "w", encoding: str | None = "utf-8") -> Iterator[IO]:
    """Open a temp file next to ``path`` and rename it over ``path`` only when the block succeeds.

    When ``path`` already holds exactly the bytes written it is left as it is (its modification time
    too, so tools that rebuild from changed files see no change; and a rename over a large file,
    which waits for its data on ext4, is saved)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        f = os.fdopen(fd, mode) if "b" in mode else os.fdopen(fd, mode, encoding=encoding, newline="")
        with f:
            yield f
        if _same_bytes(tmp, path):
            os.unlink(tmp)
            return
        os.chmod(tmp, 0o666 & ~_umask())  # mkstemp's 0600 would make outputs private whatever the umask
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


@contextlib.contextmanager
def collector_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector while a stage makes or reads bulk plain data.

    Records, rows, matches and graph attributes hold no reference cycles, but every full collection
    walks all of them: on a year (~5 M objects) that was a fifth of a warm build. Whatever cycles
    are made meanwhile are collected once the block ends. Nested uses are fine.
    """
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if _holding:
            gc.freeze()  # see bulk_data_frozen
        if was:
            gc.enable()


_holding = 0  # bulk_data_frozen scopes under way


@contextlib.contextmanager
def bulk_data_frozen() -> Iterator[None]:
    """Keep a build's bulk data out of the garbage collector's passes while it runs.

    Pausing the collector (:func:`collector_paused`) only defers its passes: the first ones after a
    block ended walked every object the block made (~2 s of a warm year's build, seen with
    ``gc.callbacks``). Within this scope what exists is frozen (``gc.freeze()``: moved to the
    permanent generation in O(1)) on entry and again as each such block ends; the objects are still
    freed as usual when their last reference goes (they hold no cycles). Everything is unfrozen when
    the outermost scope ends. Where something else froze objects before (``gc.get_freeze_count()``),
    the scope leaves the collector alone.
    """
    global _holding
    if _holding == 0 and gc.get_freeze_count() > 0:
        yield
        return
    _holding += 1
    gc.freeze()
    try:
        yield
    finally:
        _holding -= 1
        if _holding == 0:
            gc.unfreeze()


def fork_context() -> multiprocessing.context.BaseContext | None:
    """The ``fork`` start method on Linux, None elsewhere.

    Forked workers need no re-import of the caller's ``__main__`` (a spawned or forkserver one
    does, so an unguarded script calling ``build`` would run again in it) and inherit what the
    parent holds without pickling. Callers use the platform default (parse pool) or stay in-process
    (writers) when this is None.
    """
    return multiprocessing.get_context("fork") if sys.platform.startswith("linux") else None


def _run_and_send(fn: Callable[..., Any], args: tuple[Any, ...], conn: Any, then: bool) -> None:
    after = None
    try:
        payload = (True, fn(*args))
        if then:
            payload, after = (True, payload[1][0]), payload[1][1]
    except BaseException:  # the parent computes it again and meets the error the usual way
        payload = (False, None)
    try:
        conn.send(payload)  # pickled whole before anything is written: a failure leaves the pipe clean
    except Exception:
        conn.send((False, None))
    finally:
        conn.close()
    if after is not None:
        with contextlib.suppress(BaseException):  # best-effort work (a cache entry): never a traceback
            after()


def _prepare_and_serve(prepare: Callable[[], Any], call: Callable[..., Any], args_conn: Any, args_end: Any,
                       conn: Any) -> None:
    """A :class:`PreparedCall`'s child: ``prepare()``, then ``call(prepared, *args)`` for the ``args``
    the parent sends (received by a thread meanwhile, so the parent never waits for the
    preparation to send them), as :meth:`ForkedCall.start_then` runs its function."""
    import threading

    args_end.close()  # (the parent's end: with it closed here, a parent that is gone reads as EOF)
    given: list[tuple[Any, ...]] = []

    def receive() -> None:
        with contextlib.suppress(BaseException):
            given.append(args_conn.recv())

    reader = threading.Thread(target=receive, name="irgraph-arguments", daemon=True)
    reader.start()
    try:
        prepared: tuple[bool, Any] = (True, prepare())
    except BaseException:
        prepared = (False, None)
    reader.join()
    args_conn.close()
    if not given or not prepared[0]:  # (the parent is gone or cancelled, or preparing failed)
        with contextlib.suppress(BaseException):
            conn.send((False, None))
        conn.close()
        return
    _run_and_send(call, (prepared[1], *given[0]), conn, True)


def _trim_heap() -> None:
    """Give the C heap's free pages back to the system before a fork (glibc ``malloc_trim``): a
    child's allocations would otherwise land in those pages, shared with the parent, and copy them."""
    try:
        import ctypes

        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):  # not glibc
        pass


def _fork_process(ctx: Any, target: Callable[..., None], args: tuple[Any, ...], name: str) -> Any | None:
    """A started daemon process forked to run ``target(*args)``, None when none can be had. The C
    heap is trimmed and the collector's objects frozen around the fork (``gc.freeze()`` keeps the
    child's collector from copying the inherited pages)."""
    _trim_heap()
    gc.freeze()
    try:
        process = ctx.Process(target=target, args=args, name=name, daemon=True)
        process.start()
    except OSError:
        return None
    finally:
        if not _holding:  # (inside bulk_data_frozen, what exists stays frozen)
            gc.unfreeze()
    return process


class ForkedCall(Generic[T]):
    """``fn(*args)`` computed by a forked process while this one goes on.

    The child inherits ``fn``'s arguments (nothing is pickled on the way in, and ``gc.freeze()``
    keeps its collector from copying the inherited pages); only the return value comes back,
    pickled. :meth:`result` takes a fallback that computes the value here: it is used when the
    child failed for any reason, so an error is raised where the caller expects it.
    """

    def __init__(self, process: Any, conn: Any, wait_exit: bool = True) -> None:
        self._process = process
        self._conn = conn
        self._value: tuple[bool, Any] | None = None
        self._wait_exit = wait_exit  # False: the child has work left after sending (multiprocessing reaps it)

    @classmethod
    def start(cls, fn: Callable[..., T], *args: Any, name: str = "irgraph-worker") -> ForkedCall[T] | None:
        """The call under way, or None where fork is not the safe default or no process can be had."""
        return cls._start(fn, args, name, then=False)

    @classmethod
    def start_then(cls, fn: Callable[..., tuple[T, Callable[[], None]]], *args: Any,
                   name: str = "irgraph-worker") -> ForkedCall[T] | None:
        """Like :meth:`start` for an ``fn`` returning ``(value, after)``: the child sends ``value``,
        then runs ``after()`` (e.g. storing a cache entry) while the parent goes on with ``value``."""
        return cls._start(fn, args, name, then=True)

    @classmethod
    def _start(cls, fn: Callable[..., Any], args: tuple[Any, ...], name: str, then: bool) -> ForkedCall[T] | None:
        ctx = fork_context()
        if ctx is None:
            return None
        recv, send = ctx.Pipe(duplex=False)
        process = _fork_process(ctx, _run_and_send, (fn, args, send, then), name)
        send.close()
        if process is None:
            recv.close()
            return None
        return cls(process, recv, wait_exit=not then)

    def result(self, fallback: Callable[[], T]) -> T:
        """The child's value (waiting for it), or ``fallback()`` when the child did not deliver one."""
        if self._value is None:
            try:
                self._value = self._conn.recv()
            except (EOFError, OSError):
                self._value = (False, None)
            finally:
                self._conn.close()
                if self._wait_exit or not self._value[0]:
                    self._process.join()
        ok, value = self._value
        return value if ok else fallback()

    @property
    def delivered(self) -> bool:
        """Did the child send its value? (False until :meth:`result` received it.)"""
        return self._value is not None and self._value[0]

    def cancel(self) -> None:
        """Stop the child (when its value is no longer wanted)."""
        if self._value is None:
            self._process.kill()
            self._process.join()
            self._conn.close()
            self._value = (False, None)


class PreparedCall(Generic[T]):
    """A forked process that gets a call ready before its arguments are known: it runs
    ``prepare()`` (loading what the call needs) while this process goes on; :meth:`give` then sends
    the arguments (pickled), and the child computes ``call(prepared, *args)``, which returns
    ``(value, after)`` as for :meth:`ForkedCall.start_then`. Fork it early, while the process is
    small: its pages are copied only as they are written.
    """

    def __init__(self, process: Any, args_conn: Any, conn: Any) -> None:
        self._process = process
        self._args = args_conn
        self._conn = conn

    @classmethod
    def start(cls, prepare: Callable[[], Any], call: Callable[..., tuple[T, Callable[[], None]]], *,
              name: str = "irgraph-worker") -> PreparedCall[T] | None:
        """The child under way, or None where fork is not the safe default or no process can be had."""
        ctx = fork_context()
        if ctx is None:
            return None
        recv, send = ctx.Pipe(duplex=False)
        args_recv, args_send = ctx.Pipe(duplex=False)
        process = _fork_process(ctx, _prepare_and_serve, (prepare, call, args_recv, args_send, send), name)
        send.close()
        args_recv.close()
        if process is None:
            recv.close()
            args_send.close()
            return None
        return cls(process, args_send, recv)

    def give(self, *args: Any) -> ForkedCall[T]:
        """Send the call's arguments; the :class:`ForkedCall` whose :meth:`~ForkedCall.result` is its
        value (the fallback's, should the child fail or the arguments not pickle)."""
        try:
            self._args.send(args)
        except Exception:  # (a child gone: the result is the fallback's)
            self._process.kill()
        finally:
            self._args.close()
        return ForkedCall(self._process, self._conn, wait_exit=False)

    def cancel(self) -> None:
        """Stop the child (its call is not wanted)."""
        self._process.kill()
        self._process.join()
        self._args.close()
        self._conn.close()
