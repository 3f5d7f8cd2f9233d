"""``python -m proxyseg COMMAND``: ``doctor [CONFIG]`` checks an install (see proxyseg/doctor.py)."""
from __future__ import annotations

import sys
from typing import List, Optional

COMMANDS = {"doctor": "check versions, mmcv ops, weights, datasets, device and bf16 support"}


def main(argv: Optional[List[str]] = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] in ("-h", "--help") or argv[0] not in COMMANDS:
        usage = "usage: python -m proxyseg {" + ",".join(COMMANDS) + "} ...\n" + \
                "".join(f"  {k:<8} {v}\n" for k, v in COMMANDS.items())
        if argv and argv[0] not in ("-h", "--help"):
            print(f"error: unknown command {argv[0]!r}; choose one of: {', '.join(COMMANDS)}", file=sys.stderr)
            return 2
        print(usage, end="", file=sys.stdout if argv else sys.stderr)
        return 0 if argv else 2
    from .cli import run_main
    from .doctor import main as doctor

    return run_main(doctor, argv[1:])


if __name__ == "__main__":
    sys.exit(main())
