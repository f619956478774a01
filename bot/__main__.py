"""`python -m bot` / `faultline`: start the service (or refuse, saying what to set)."""

from __future__ import annotations

import argparse
import logging
import sys

from aiohttp import web

from bot.app import create_app
from bot.config import ConfigError
from bot.settings import SettingsError, settings_from_env

log = logging.getLogger("faultline")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="faultline", description="Run the fault desk bot.")
    parser.add_argument("--host", help="address to listen on (local mode always uses 127.0.0.1)")
    parser.add_argument("--port", type=int, default=None, help="port (default 3978)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        settings = settings_from_env()
        app = create_app(settings)
    except (SettingsError, ConfigError) as exc:
        sys.stderr.write(f"faultline: {exc}\n")
        return 2
    host = settings.bind_host() if settings.local or not args.host else args.host
    if settings.local:
        log.warning("LOCAL MODE: inbound authentication is OFF and the bot listens on 127.0.0.1 only. "
                    "Use it with the Agents Playground or the Bot Framework Emulator, never in production.")
    web.run_app(app, host=host, port=args.port or settings.port, access_log=None, print=lambda *_: None)
    return 0


if __name__ == "__main__":
    sys.exit(main())
