"""`python -m bot` / `faultline`: run the service; `package`: the Teams app; `config-reference`: the settings."""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

from aiohttp import web

from bot.app import create_app
from bot.config import ConfigError
from bot.logs import configure_logging
from bot.settings import Settings, SettingsError, reference_table, settings_from_env

log = logging.getLogger("faultline")


def _serve(settings: Settings, args: argparse.Namespace) -> int:
    configure_logging(settings.log_format, settings.log_level)
    app = create_app(settings)
    host = settings.bind_host() if settings.local or not args.host else args.host
    if settings.local:
        log.warning("LOCAL MODE: inbound authentication is OFF and the bot listens on 127.0.0.1 only. "
                    "Use it with the Agents Playground or the Bot Framework Emulator, never in production.")
    log.info("listening on %s:%s", host, args.port or settings.port)
    web.run_app(app, host=host, port=args.port or settings.port, access_log=None, print=lambda *_: None)
    return 0


def _package(settings: Settings, args: argparse.Namespace) -> int:
    from infra.teams.package import build_package

    path = build_package(settings, Path(args.out))
    print(f"Teams app package written to {path}")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="faultline", description="The fault desk bot for Microsoft Teams.")
    parser.add_argument("--host", help="address to listen on (local mode always uses 127.0.0.1)")
    parser.add_argument("--port", type=int, default=None, help="port (default 3978)")
    commands = parser.add_subparsers(dest="command")
    package = commands.add_parser("package", help="build the Teams app package (zip) from the settings")
    package.add_argument("--out", default="dist/faultline-teams-app.zip", help="where to write the zip")
    commands.add_parser("config-reference", help="print the configuration reference (Markdown)")
    args = parser.parse_args(argv)
    if args.command == "config-reference":
        print(reference_table())
        return 0
    try:
        settings = settings_from_env(to_serve=args.command != "package")
        return (_package if args.command == "package" else _serve)(settings, args)
    except (SettingsError, ConfigError) as exc:
        sys.stderr.write(f"faultline: {exc}\n")
        return 2


if __name__ == "__main__":
    sys.exit(main())
