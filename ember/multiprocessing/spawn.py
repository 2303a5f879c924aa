"""`torch.multiprocessing.spawn` / `start_processes`: run `fn(i, *args)` in `nprocs` new
processes and wait for them; the first one to fail stops the others and its exception (with
the child's traceback) or exit code is raised in the parent."""
import multiprocessing
import multiprocessing.connection
import signal
import sys
import warnings

__all__ = ["ProcessContext", "ProcessException", "ProcessExitedException",
           "ProcessRaisedException", "spawn", "SpawnContext", "start_processes"]


class ProcessException(Exception):
    __slots__ = ["error_index", "error_pid"]

    def __init__(self, msg, error_index, error_pid):
        super().__init__(msg)
        self.msg = msg
        self.error_index = error_index
        self.error_pid = error_pid

    def __reduce__(self):
        return type(self), (self.msg, self.error_index, self.error_pid)


class ProcessRaisedException(ProcessException):
    """A process failed with an exception raised by `fn` (its traceback is in the message)."""


class ProcessExitedException(ProcessException):
    """A process exited with a non-zero code or was killed by a signal."""
    __slots__ = ["exit_code", "signal_name"]

    def __init__(self, msg, error_index, error_pid, exit_code, signal_name=None):
        super().__init__(msg, error_index, error_pid)
        self.exit_code = exit_code
        self.signal_name = signal_name

    def __reduce__(self):
        return type(self), (self.msg, self.error_index, self.error_pid, self.exit_code,
                            self.signal_name)


def _wrap(fn, i, args, error_conn):
    """The child's entry point: run fn(i, *args); on an exception send its traceback to the
    parent and exit 1."""
    try:
        fn(i, *args)
    except KeyboardInterrupt:
        pass                        # the parent stopped us
    except Exception:
        import traceback
        error_conn.send(traceback.format_exc())
        sys.exit(1)
    finally:
        error_conn.close()


class ProcessContext:
    def __init__(self, processes, error_conns):
        self.processes = processes
        self.error_conns = error_conns
        self.sentinels = {p.sentinel: i for i, p in enumerate(processes)}

    def pids(self):
        return [int(p.pid) for p in self.processes]

    def _join_all(self, timeout):
        import time
        end = time.monotonic() + timeout
        for p in self.processes:
            p.join(max(0.0, end - time.monotonic()))

    def join(self, timeout=None, grace_period=None):
        """Wait for processes to end (up to `timeout` seconds). True once all ended
        cleanly, False while some still run; raises for the first one that failed, after
        stopping the rest (SIGTERM, then SIGKILL after `grace_period` or 30 s)."""
        if not self.sentinels:
            return True
        ready = multiprocessing.connection.wait(list(self.sentinels), timeout=timeout)
        failed = None
        for sentinel in ready:
            i = self.sentinels.pop(sentinel)
            self.processes[i].join()
            if self.processes[i].exitcode != 0:
                failed = i
                break
        if failed is None:
            return not self.sentinels
        if grace_period is not None:
            self._join_all(grace_period)
        for p in self.processes:
            if p.is_alive():
                p.terminate()
        self._join_all(30 if grace_period is None else grace_period)
        for p in self.processes:
            if p.is_alive():
                p.kill()
            p.join()
        proc = self.processes[failed]
        conn = self.error_conns[failed]
        trace = None
        try:
            if conn.poll():
                trace = conn.recv()
        except (EOFError, OSError):
            pass
        if trace is None:
            code = proc.exitcode
            if code < 0:
                try:
                    name = signal.Signals(-code).name
                except ValueError:
                    name = f"<Unknown signal {-code}>"
                raise ProcessExitedException(f"process {failed:d} terminated with signal {name}",
                                             error_index=failed, error_pid=proc.pid,
                                             exit_code=code, signal_name=name)
            raise ProcessExitedException(f"process {failed:d} terminated with exit code "
                                         f"{code:d}", error_index=failed, error_pid=proc.pid,
                                         exit_code=code)
        msg = f"\n\n-- Process {failed:d} terminated with the following error:\n" + trace
        raise ProcessRaisedException(msg, failed, proc.pid)


class SpawnContext(ProcessContext):
    def __init__(self, processes, error_conns):
        warnings.warn("SpawnContext is renamed to ProcessContext since 1.4 release.",
                      stacklevel=2)
        super().__init__(processes, error_conns)


def start_processes(fn, args=(), nprocs=1, join=True, daemon=False, start_method="spawn"):
    """Start `nprocs` processes with `start_method` running fn(i, *args); with join=True wait
    for all of them, else return the ProcessContext."""
    ctx = multiprocessing.get_context(start_method)
    processes, conns = [], []
    for i in range(nprocs):
        reader, writer = ctx.Pipe(duplex=False)
        p = ctx.Process(target=_wrap, args=(fn, i, args, writer), daemon=daemon)
        p.start()
        writer.close()              # the child holds its own end now
        processes.append(p)
        conns.append(reader)
    context = ProcessContext(processes, conns)
    if not join:
        return context
    while not context.join():
        pass


def spawn(fn, args=(), nprocs=1, join=True, daemon=False, start_method="spawn"):
    """Spawn `nprocs` processes running fn(i, *args) (`fn` must be importable: defined at a
    module's top level). Returns None when join=True, else the ProcessContext."""
    if start_method != "spawn":
        warnings.warn(f"This method only supports start_method=spawn (got: {start_method}).\n"
                      "To use a different start_method use:\n\t\t"
                      " torch.multiprocessing.start_processes(...)", FutureWarning,
                      stacklevel=2)
    return start_processes(fn, args, nprocs, join, daemon, start_method="spawn")
