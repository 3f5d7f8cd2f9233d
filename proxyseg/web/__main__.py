"""Serve the segmentation page: ``python -m proxyseg.web --config CFG --port 8000`` (or ``proxyseg-web``).

The model is loaded once at start-up. Only 127.0.0.1 by default; another host needs
``--allow-remote`` (there is no authentication). Never runs Flask's debug mode.
"""
from __future__ import annotations

import argparse
import ipaddress
import sys
from typing import List, Optional

from ..cli import run_main
from ..errors import UsageError

DEFAULT_CONFIG = "proxyclip_vit-b16_dino-b8_coco-object"


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    import os

    prog = "python -m proxyseg.web" if sys.argv[0].endswith("__main__.py") else os.path.basename(sys.argv[0])
    p = argparse.ArgumentParser(prog=prog, description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--config", default=DEFAULT_CONFIG,
                   help=f"config path, name under configs/, or 'tiny' (random weights) (default: {DEFAULT_CONFIG})")
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1: this machine only)")
    p.add_argument("--port", type=int, default=8000, help="port (default 8000; 0 = any free port)")
    p.add_argument("--allow-remote", action="store_true",
                   help="allow a non-loopback --host such as 0.0.0.0 (anyone who can reach it can use the model)")
    p.add_argument("--device", default="auto", help="cpu | cuda | cuda:N (default: cuda if available)")
    p.add_argument("--max-upload-mb", type=float, default=20, help="largest upload in MB (default 20)")
    p.add_argument("--max-megapixels", type=float, default=40, help="largest image in megapixels (default 40)")
    p.add_argument("--max-classes", type=int, default=50, help="most classes per request (default 50)")
    p.add_argument("--max-name-len", type=int, default=80, help="longest class name (default 80)")
    p.add_argument("--max-side", type=int, default=1024,
                   help="downscale larger images to this longer side for inference (0 = original; default 1024)")
    p.add_argument("--max-active", type=int, default=2,
                   help="segmentations holding an upload at once (memory bound; default 2)")
    p.add_argument("--max-queued", type=int, default=4,
                   help="requests waiting for a slot; more get 503 with Retry-After (default 4)")
    p.add_argument("--checkpoint", help="weights directory searched for every model (sets PROXYSEG_WEIGHTS)")
    p.add_argument("--compare-methods", metavar="SPECS",
                   help="method specs offered by the compare page, e.g. clip,maskclip,proxyclip,proxyclip:dino-s16 "
                        "(default: every method the config can run, and its method +fa)")
    p.add_argument("--debug", action="store_true", help="full tracebacks on start-up errors (never Flask debug mode)")
    args = p.parse_args(argv)
    if not 0 <= args.port <= 65535:
        p.error("--port must be in 0..65535")
    if args.max_queued < 0:
        p.error("--max-queued must be >= 0")
    for name in ("max_upload_mb", "max_megapixels", "max_classes", "max_name_len", "max_active"):
        if not getattr(args, name) > 0:
            p.error(f"--{name.replace('_', '-')} must be > 0")
    if args.max_side < 0:
        p.error("--max-side must be >= 0")
    return args


def is_loopback(host: str) -> bool:
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def _probe_port(host: str, port: int) -> None:
    """Raise ``OSError`` if ``host:port`` cannot be bound (as werkzeug binds it, address reuse on)."""
    import socket

    if port == 0:
        return
    for family, _, _, _, addr in socket.getaddrinfo(host.strip("[]"), port, type=socket.SOCK_STREAM)[:1]:
        with socket.socket(family, socket.SOCK_STREAM) as s:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            s.bind(addr)


def _main(argv: Optional[List[str]] = None) -> int:
    import os
    from pathlib import Path

    args = parse_args(argv)
    local = is_loopback(args.host)
    if not local and not args.allow_remote:
        raise UsageError(f"--host {args.host} would expose the page (and your machine's compute) to the network "
                         f"without authentication; use the default 127.0.0.1, or pass --allow-remote on purpose")
    if args.checkpoint:
        if not Path(args.checkpoint).expanduser().is_dir():
            raise UsageError(f"--checkpoint {args.checkpoint}: not a directory")
        os.environ["PROXYSEG_WEIGHTS"] = str(Path(args.checkpoint).expanduser())
    try:
        import flask  # noqa: F401
    except ImportError:
        raise UsageError("the web page needs Flask: pip install -e '.[web]'") from None
    from werkzeug.serving import make_server

    from ..apis import Segmenter
    from .app import create_app

    print(f"loading {args.config} ...", file=sys.stderr, flush=True)
    # text embeddings stay in memory only: a public page must not grow a disk cache per request
    seg = Segmenter.from_config(args.config, device=args.device, text_cache_dir=None)
    trusted = None if not local else ["127.0.0.1", "localhost", "[::1]", "::1"]
    app = create_app(seg, max_upload_mb=args.max_upload_mb, max_classes=args.max_classes,
                     max_name_len=args.max_name_len, max_pixels=int(args.max_megapixels * 1e6),
                     max_side=args.max_side or None, trusted_hosts=trusted, max_active=args.max_active,
                     max_queued=args.max_queued,
                     compare_methods=args.compare_methods.split(",") if args.compare_methods else None)
    try:
        _probe_port(args.host, args.port)  # werkzeug would print its own lines and exit
        server = make_server(args.host, args.port, app, threaded=True)
    except (OSError, SystemExit) as e:  # werkzeug prints and exits when the port is taken
        why = getattr(e, "strerror", None) or "address in use or not available"
        raise UsageError(f"cannot listen on {args.host}:{args.port} ({why}); pick another --port") from None
    if not local:
        bar = "!" * 78
        print(f"{bar}\nWARNING: listening on {args.host}: anyone who can reach this machine can use the page.\n"
              f"There is no authentication. Put it behind a reverse proxy with auth if you must.\n{bar}",
              file=sys.stderr, flush=True)
    host = f"[{args.host}]" if ":" in args.host else args.host
    print(f"proxyseg web: http://{host}:{server.server_port}/  (model {seg.name} on {seg.device}; Ctrl+C stops)",
          file=sys.stderr, flush=True)
    try:
        server.serve_forever()
    finally:
        server.server_close()
    return 0


def main(argv: Optional[List[str]] = None) -> int:
    """Console-script entry point (``proxyseg-web``)."""
    return run_main(_main, argv)


if __name__ == "__main__":
    sys.exit(main())
