"""Run a module (-m NAME) or a script like python would, then write this process's own peak RSS.

The peak (KiB, RUSAGE_SELF) goes to the file descriptor named by $BENCH_RSS_FD,
so it is the measured program's own, not its children's.

    python3 benchmarks/_self_rss.py -m reconciler plan ...
    python3 benchmarks/_self_rss.py script.py ARGS...
"""

import os
import resource
import runpy
import sys


def main() -> None:
    code = 0
    try:
        if sys.argv[1] == "-m":
            sys.argv = [sys.argv[2]] + sys.argv[3:]
            runpy.run_module(sys.argv[0], run_name="__main__", alter_sys=True)
        else:
            sys.argv = sys.argv[1:]
            sys.path[0] = os.path.dirname(os.path.abspath(sys.argv[0]))
            runpy.run_path(sys.argv[0], run_name="__main__")
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    finally:
        fd = os.environ.get("BENCH_RSS_FD")
        if fd:
            os.write(int(fd), str(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss).encode())
    sys.exit(code)


if __name__ == "__main__":
    main()
