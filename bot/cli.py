"""The `stadsvraag` command."""

from __future__ import annotations

import argparse
import sys

from bot.config import ConfigError, Settings


def _cmd_train(args: argparse.Namespace) -> int:
    from bot.training import train_if_stale

    train_if_stale(force=args.force)
    return 0


def _cmd_model_path(args: argparse.Namespace) -> int:
    from bot.training import model_path

    print(model_path())
    return 0


def _cmd_migrate(args: argparse.Namespace) -> int:
    from bot.db import upgrade

    upgrade(Settings.from_env().database_url)
    print("==> database schema up to date")
    return 0


def _cmd_run(args: argparse.Namespace) -> int:
    from bot.runner import run

    return run(Settings.from_env())


def _cmd_web(args: argparse.Namespace) -> int:
    import uvicorn

    settings = Settings.from_env()
    uvicorn.run("bot.web.app:create_app", factory=True, host=settings.web_host, port=settings.web_port,
                log_level="warning", ws="none")
    return 0


def _cmd_export(args: argparse.Namespace) -> int:
    from bot.db import session_factory, upgrade
    from bot.intakes import export_jsonl

    url = Settings.from_env().database_url
    upgrade(url)
    out = open(args.output, "w", encoding="utf-8") if args.output != "-" else sys.stdout
    try:
        with session_factory(url)() as session:
            n = export_jsonl(session, out, include_contact=not args.no_contact)
    finally:
        if out is not sys.stdout:
            out.close()
    print(f"{n} intakes exported", file=sys.stderr)
    return 0


def _cmd_structure(args: argparse.Namespace) -> int:
    from bot import structure

    if args.csv:
        n = structure.structure_csv(args.csv[0], args.csv[1], progress=not args.quiet)
        print(f"{n} questions structured into {args.csv[1]}", file=sys.stderr)
        return 0
    sys.stdin.reconfigure(encoding="utf-8", errors="replace")  # type: ignore[attr-defined]
    sys.stdout.reconfigure(encoding="utf-8")  # type: ignore[attr-defined]
    structure.structure_stream(sys.stdin, sys.stdout)
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="stadsvraag",
        description="Stadsvraag: the intake assistant of Leren met de Stad (Leiden).",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    p = sub.add_parser("run", help="run assistant, action server and web app on the configured database")
    p.set_defaults(func=_cmd_run)

    p = sub.add_parser("train", help="train the Rasa model if config, domain or data changed")
    p.add_argument("--force", action="store_true", help="train even when the model is up to date")
    p.set_defaults(func=_cmd_train)

    p = sub.add_parser("model-path", help="print the path of the model for the current inputs")
    p.set_defaults(func=_cmd_model_path)

    p = sub.add_parser("migrate", help="create or upgrade the database schema")
    p.set_defaults(func=_cmd_migrate)

    p = sub.add_parser("web", help="run only the web app (chat page)")
    p.set_defaults(func=_cmd_web)

    p = sub.add_parser("structure", help="structure questions: stdin lines (text or JSON with 'text') to JSON lines")
    p.add_argument("--csv", nargs=2, metavar=("IN", "OUT"), help="structure a CSV file with a 'text' column")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=_cmd_structure)

    p = sub.add_parser("export", help="export intakes")
    p.add_argument("--format", choices=["jsonl"], default="jsonl")
    p.add_argument("--output", "-o", default="-", help="file to write (default: standard output)")
    p.add_argument("--no-contact", action="store_true", help="leave contact details out")
    p.set_defaults(func=_cmd_export)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 0
    try:
        return int(args.func(args) or 0)
    except ConfigError as exc:
        print(f"stadsvraag: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
