"""The `stadsvraag` command."""

from __future__ import annotations

import argparse
import json
import os
import sys

from bot.config import ConfigError, Settings


def _database() -> str:
    """The configured database's URL, with its schema brought up to date (every command that uses it)."""
    from bot.storage.db import upgrade

    url = Settings.from_env().database_url
    upgrade(url)
    return url


def _cmd_train(args: argparse.Namespace) -> int:
    from bot.runtime.training import train_if_stale

    train_if_stale(force=args.force)
    return 0


def _cmd_model_path(args: argparse.Namespace) -> int:
    from bot.runtime.training import model_path

    print(model_path())
    return 0


def _cmd_migrate(args: argparse.Namespace) -> int:
    _database()
    print("==> database schema up to date")
    return 0


def _cmd_run(args: argparse.Namespace) -> int:
    from bot.runtime.runner import run

    return run(Settings.from_env(), prod=args.prod)


def _cmd_web(args: argparse.Namespace) -> int:
    import uvicorn

    settings = Settings.from_env().check()
    uvicorn.run("bot.web.app:create_app", factory=True, host=settings.web_host, port=settings.web_port,
                log_level="warning", ws="none")
    return 0


def _cmd_purge(args: argparse.Namespace) -> int:
    """Apply the retention periods once, or keep doing it (`--daily`, `--every`): the compose service and
    `stadsvraag run` use the loop. A failed run (database unreachable) is retried within the hour, not fatal."""
    import time

    from bot.config import RetentionSettings
    from bot.privacy.retention import purge
    from bot.storage.db import session_factory

    every = 24 * 3600.0 if args.daily else args.every
    url = _database()
    while True:
        try:
            with session_factory(url).begin() as session:
                counts = purge(session, RetentionSettings.from_env())
            print(json.dumps(counts), flush=True)
            pause = every
        except Exception as exc:  # noqa: BLE001 - only in the loop; the message names the kind, never the data
            if not every:
                raise
            print(f"stadsvraag purge: failed ({type(exc).__name__}), trying again", file=sys.stderr, flush=True)
            pause = min(every, 3600.0)
        if not every:
            return 0
        time.sleep(pause)


def _on_intake(reference: str, change) -> int:
    """Run `change(session, intake, handoff_settings)` on one intake, locked, in one transaction.

    `change` returns the line to print, or raises ValueError with the reason it cannot be done.
    """
    from bot.config import HandoffSettings
    from bot.storage.db import session_factory
    from bot.storage.intakes import find_intake

    url = _database()
    handoff = HandoffSettings.from_env()
    with session_factory(url).begin() as session:
        intake = find_intake(session, reference, lock=True)
        if intake is None:
            print(f"stadsvraag: no intake {reference}", file=sys.stderr)
            return 1
        try:
            line = change(session, intake, handoff)
        except ValueError as exc:
            print(f"stadsvraag: {reference}: {exc}", file=sys.stderr)
            return 1
    print(line)
    return 0


def _cmd_erase(args: argparse.Namespace) -> int:
    """Erase an intake's personal data on a request received outside the chat (letter, phone, e-mail)."""
    from bot.privacy.erasure import BROKER, erase_intake

    if not args.reason.strip():
        print("stadsvraag: --reason is required (it is recorded in the history)", file=sys.stderr)
        return 2
    return _on_intake(args.reference, lambda session, intake, handoff: json.dumps(
        erase_intake(session, intake, args.actor, args.reason, BROKER, handoff).__dict__))


def _cmd_export(args: argparse.Namespace) -> int:
    from bot.storage.db import session_factory
    from bot.storage.intakes import export_jsonl

    url = _database()
    if args.person:
        from bot.privacy.access import person_export

        with session_factory(url)() as session:
            print(json.dumps(person_export(session, args.person), ensure_ascii=False, indent=2, default=str))
        return 0
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
    from bot.structuring import structure
    from bot.structuring.municipality import load

    if args.municipality:
        load(args.municipality)  # a wrong id stops here, listing the ids that exist
        os.environ["MUNICIPALITY"] = args.municipality  # what every part reads: the places of this city
    if args.csv:
        n = structure.structure_csv(args.csv[0], args.csv[1], progress=not args.quiet)
        print(f"{n} questions structured into {args.csv[1]}", file=sys.stderr)
        return 0
    sys.stdin.reconfigure(encoding="utf-8", errors="replace")  # type: ignore[union-attr]
    sys.stdout.reconfigure(encoding="utf-8")  # type: ignore[union-attr]
    structure.structure_stream(sys.stdin, sys.stdout)
    return 0


def _cmd_check_municipality(args: argparse.Namespace) -> int:
    from bot.structuring.municipality import check, load

    problems = check(args.id)
    for problem in problems:
        print(f"stadsvraag: {args.id}: {problem}", file=sys.stderr)
    if problems:
        return 1
    muni = load(args.id)
    print(f"==> {args.id}: complete ({muni.data['name']['nl']}, {muni.code}; places, polygons and texts agree)")
    return 0


def _cmd_approve(args: argparse.Namespace) -> int:
    from bot.handoff.outbox import approve

    def change(session, intake, handoff) -> str:
        message = approve(session, intake, args.actor, handoff)  # TransitionError is a ValueError
        where = "queued for the matching backend" if handoff.url else "waiting for the matching backend (not configured)"
        return f"{args.reference} approved; handoff {message.webhook_id} {where}"

    return _on_intake(args.reference, change)


def _cmd_handoff(args: argparse.Namespace) -> int:
    import logging
    import signal

    from bot.config import HandoffSettings
    from bot.handoff.delivery import Dispatcher
    from bot.handoff.outbox import DEAD, outbox_counts, retry_dead
    from bot.storage.db import session_factory

    url = _database()
    sessions = session_factory(url)
    handoff = HandoffSettings.from_env()
    if args.action == "run":
        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
        from bot.privacy.logscrub import install

        install()  # the dispatcher logs delivery errors: mask personal data in them
        dispatcher = Dispatcher(sessions, handoff)
        signal.signal(signal.SIGTERM, lambda *_: dispatcher.stop.set())
        signal.signal(signal.SIGINT, lambda *_: dispatcher.stop.set())
        dispatcher.run(once=args.once)
        return 0
    if args.action == "retry":
        with sessions.begin() as session:
            ok = retry_dead(session, args.id)
        print("queued again" if ok else f"no dead-lettered message {args.id}")
        return 0 if ok else 1
    with sessions() as session:
        counts = outbox_counts(session)
        from sqlalchemy import select

        from bot.storage.models import OutboxMessage

        dead = session.scalars(select(OutboxMessage).where(OutboxMessage.status == DEAD,
                                                           OutboxMessage.destination == "matching")).all()
        print(json.dumps({"matching_backend": handoff.url or "not configured: waiting for the matching backend",
                          "outbox": counts,
                          "dead_letters": [{"id": m.id, "webhook_id": m.webhook_id, "status_code": m.last_status_code,
                                            "error": m.last_error} for m in dead]}, indent=2))
    return 0


def _cmd_notify(args: argparse.Namespace) -> int:
    """Send status updates to residents (e-mail, Telegram, WhatsApp) from the outbox."""
    import logging
    import signal

    from bot.config import HandoffSettings, NotifySettings
    from bot.handoff.delivery import Dispatcher
    from bot.notify.sender import ResidentClient
    from bot.storage.db import session_factory
    from bot.storage.outbox import RESIDENT

    sessions = session_factory(_database())
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    from bot.privacy.logscrub import install

    install()
    notify = NotifySettings.from_env()
    dispatcher = Dispatcher(sessions, HandoffSettings.from_env(), name=f"notifier-{os.getpid()}",
                            destination=RESIDENT, at_most_once=True)
    signal.signal(signal.SIGTERM, lambda *_: dispatcher.stop.set())
    signal.signal(signal.SIGINT, lambda *_: dispatcher.stop.set())
    if not notify.smtp_url:
        logging.getLogger(__name__).info("SMTP_URL is not set: e-mails are written to %s", notify.mail_dir)
    dispatcher.run(once=args.once, client=ResidentClient(sessions, notify))
    return 0


def _cmd_matching(args: argparse.Namespace) -> int:
    """The matching service of this repository (bot/matching/): run it, or move a question a step."""
    from bot.config import MatchingSettings

    settings = MatchingSettings.from_env()
    if args.action == "run":
        import uvicorn

        from bot.matching.app import create_app

        uvicorn.run(create_app(settings), host="127.0.0.1", port=settings.port, log_level="warning", ws="none")
        return 0
    from sqlalchemy import select

    from bot.matching.service import TransitionError, change_status
    from bot.matching.store import Question, sessions_for

    if args.action == "catalogue":
        from bot.matching.catalogue import export_csv, import_csv

        with sessions_for(settings.database_url).begin() as session:
            if args.direction == "export":
                with open(args.file, "w", encoding="utf-8", newline="") as out:
                    print(f"{export_csv(session, out)} slots written to {args.file}")
                return 0
            with open(args.file, encoding="utf-8") as f:
                result = import_csv(session, f.read())
            if not result.ok:
                session.rollback()
                print("nothing imported:\n  " + "\n  ".join(result.errors), file=sys.stderr)
                return 1
        print(f"{result.added} slots added, {result.updated} updated")
        return 0
    with sessions_for(settings.database_url).begin() as session:
        question = session.scalars(select(Question).where(
            (Question.reference == args.reference) | (Question.match_id == args.reference))).one_or_none()
        if question is None:
            print(f"no question {args.reference} on the matching side", file=sys.stderr)
            return 1
        if args.action == "suggest":
            from bot.matching.reasons import in_words
            from bot.matching.suggest import suggest

            for n, found in enumerate(suggest(session, question), start=1):
                slot = found.slot
                example = " [voorbeeld]" if slot.example else ""
                print(f"{n}. {slot.code} {slot.title} — {slot.institution} ({slot.level}){example}\n"
                      f"   {in_words(found.reasons, args.language)}")
            return 0
        try:
            change_status(session, question, args.status, args.actor, args.note, args.public_note)
        except TransitionError as exc:
            print(exc, file=sys.stderr)
            return 1
    print(f"{args.reference}: {args.status}; the assistant hears it by callback")
    return 0


def _cmd_broker(args: argparse.Namespace) -> int:
    import getpass

    from bot.review.users import UserError, create_user
    from bot.storage.db import session_factory

    url = _database()
    if args.password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = getpass.getpass("Password (at least 12 characters): ")
        if getpass.getpass("Again: ") != password:
            print("stadsvraag: the passwords differ", file=sys.stderr)
            return 1
    try:
        with session_factory(url).begin() as session:
            create_user(session, args.username, password, args.role)
    except UserError as exc:
        print(f"stadsvraag: {exc}", file=sys.stderr)
        return 1
    print(f"account {args.username.strip().lower()} ({args.role}) created")
    return 0


def _cmd_credentials(args: argparse.Namespace) -> int:
    import os
    from pathlib import Path

    from bot.channels.credentials import write_runtime_credentials
    from bot.config import ROOT

    channels = write_runtime_credentials(ROOT / "credentials.yml", Path(args.out), os.environ)
    print(f"channels: {', '.join(channels)}", file=sys.stderr)
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="stadsvraag",
        description="Stadsvraag: the intake assistant for city questions (the city: MUNICIPALITY).",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    p = sub.add_parser("run", help="run assistant, action server and web app on the configured database")
    p.add_argument("--prod", action="store_true",
                   help="production mode: PostgreSQL, Redis lock store, two Rasa replicas (DATABASE_URL, REDIS_URL)")
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
    p.add_argument("--municipality", metavar="ID", help="the city whose places are used (default: MUNICIPALITY)")
    p.set_defaults(func=_cmd_structure)

    p = sub.add_parser("check-municipality", help="validate a municipality's data folder (docs/municipality.md)")
    p.add_argument("id", help="folder name under data/reference/municipalities/, e.g. denhaag")
    p.set_defaults(func=_cmd_check_municipality)

    p = sub.add_parser("approve", help="approve an intake for matching (queues its handoff)")
    p.add_argument("reference", help="reference (LS-2026-000123) or id")
    p.add_argument("--actor", default="cli", help="who approves (recorded in the history)")
    p.set_defaults(func=_cmd_approve)

    p = sub.add_parser("handoff", help="deliver intakes to the matching backend")
    hsub = p.add_subparsers(dest="action", required=True)
    hr = hsub.add_parser("run", help="run a dispatcher (several may run at once)")
    hr.add_argument("--once", action="store_true", help="deliver what is due now, then stop")
    hsub.add_parser("status", help="outbox counts and dead letters")
    ht = hsub.add_parser("retry", help="queue a dead-lettered message again")
    ht.add_argument("id", type=int)
    p.set_defaults(func=_cmd_handoff)

    p = sub.add_parser("notify", help="send status updates to residents (e-mail, Telegram, WhatsApp)")
    nsub = p.add_subparsers(dest="action", required=True)
    nr = nsub.add_parser("run", help="run a sender (several may run at once)")
    nr.add_argument("--once", action="store_true", help="send what is due now, then stop")
    p.set_defaults(func=_cmd_notify)

    p = sub.add_parser("matching", help="the embedded matching service (docs/matching.md)")
    msub = p.add_subparsers(dest="action", required=True)
    msub.add_parser("run", help="run the matching service (what `make run` starts without MATCHING_BACKEND_URL)")
    mc = msub.add_parser("catalogue", help="import or export the aanbod catalogue as CSV (docs/matching.md)")
    mc.add_argument("direction", choices=["import", "export"])
    mc.add_argument("file")
    mg = msub.add_parser("suggest", help="the best slots for a question, with reasons")
    mg.add_argument("reference", help="reference (LS-2026-000123) or match id")
    mg.add_argument("--language", choices=["nl", "en"], default="nl")
    ms = msub.add_parser("status", help="move a question a step on the matching side (reported to the assistant)")
    ms.add_argument("reference", help="reference (LS-2026-000123) or match id")
    ms.add_argument("status", choices=["under_review", "info_requested", "matched", "in_progress", "done",
                                       "not_suitable"])
    ms.add_argument("--note", default=None, help="for the brokers (history)")
    ms.add_argument("--public-note", default=None, help="for the asker (needed for info_requested, not_suitable)")
    ms.add_argument("--actor", default="cli")
    p.set_defaults(func=_cmd_matching)

    p = sub.add_parser("broker", help="dashboard accounts")
    bsub = p.add_subparsers(dest="action", required=True)
    ba = bsub.add_parser("add-user", help="create a broker or admin account")
    ba.add_argument("username")
    ba.add_argument("--role", choices=["broker", "admin"], default="broker")
    ba.add_argument("--password-stdin", action="store_true", help="read the password from standard input")
    p.set_defaults(func=_cmd_broker)

    p = sub.add_parser("erase", help="erase an intake's personal data (a request for erasure; docs/privacy.md)")
    p.add_argument("reference", help="reference (LS-2026-000123) or id")
    p.add_argument("--reason", required=True, help="why, e.g. 'verzoek per brief van 1 december' (recorded)")
    p.add_argument("--actor", default="cli", help="who erases (recorded in the history)")
    p.set_defaults(func=_cmd_erase)

    p = sub.add_parser("purge", help="apply the retention periods (idempotent; docs/privacy.md)")
    p.add_argument("--daily", action="store_true", help="keep running and purge once a day")
    p.add_argument("--every", type=float, default=0, metavar="SECONDS",
                   help="keep running and purge every SECONDS (--daily is --every 86400)")
    p.set_defaults(func=_cmd_purge)

    p = sub.add_parser("credentials", help="write Rasa credentials with only the channels that are configured")
    p.add_argument("--out", required=True, help="file to write (secrets stay ${VAR} placeholders)")
    p.set_defaults(func=_cmd_credentials)

    p = sub.add_parser("export", help="export intakes")
    p.add_argument("--format", choices=["jsonl"], default="jsonl")
    p.add_argument("--output", "-o", default="-", help="file to write (default: standard output)")
    p.add_argument("--no-contact", action="store_true", help="leave contact details out")
    p.add_argument("--person", metavar="EMAIL_OR_PHONE",
                   help="everything held about one person (a request for access), as JSON")
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
