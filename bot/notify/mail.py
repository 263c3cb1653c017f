"""The one client for e-mail: SMTP (SMTP_URL) with Python's own smtplib and email packages, or, without
SMTP_URL, one .eml file per mail under var/mail/ so a newcomer can read what would have been sent.

Each mail carries a Message-ID made from its outbox row, and a List-Unsubscribe link (RFC 2369) that
mail programs show as an "unsubscribe" button; List-Unsubscribe-Post (RFC 8058) lets them stop the updates
in one click without opening a page.
"""

from __future__ import annotations

import smtplib
import ssl
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from pathlib import Path
from urllib.parse import unquote, urlsplit

from bot.config import NotifySettings


class MailError(RuntimeError):
    def __init__(self, detail: str, retry: bool) -> None:
        super().__init__(detail)
        self.retry = retry


def build(settings: NotifySettings, to: str, subject: str, body: str, message_key: str, language: str,
          stop_url: str) -> EmailMessage:
    message = EmailMessage()
    message["From"] = settings.mail_from
    message["To"] = to
    message["Subject"] = subject
    message["Date"] = formatdate(localtime=False)
    domain = settings.mail_from.rsplit("@", 1)[-1].strip(" >") or "localhost"
    message["Message-ID"] = make_msgid(idstring=message_key, domain=domain)
    message["Auto-Submitted"] = "auto-generated"  # RFC 3834: no out-of-office replies to this
    message["List-Unsubscribe"] = f"<{stop_url}>"
    message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    message.set_content(body, charset="utf-8")
    message["Content-Language"] = language  # after set_content, which replaces every Content-* header
    return message


class Mailer:
    def __init__(self, settings: NotifySettings) -> None:
        self.settings = settings

    def send(self, message: EmailMessage, key: str) -> str:
        """Send (or, without SMTP_URL, write) the mail; raises MailError. Returns where it went."""
        if not self.settings.smtp_url:
            return self._write(message, key)
        url = urlsplit(self.settings.smtp_url)
        host, scheme = url.hostname or "localhost", url.scheme
        port = url.port or (465 if scheme == "smtps" else 587 if scheme == "smtp+starttls" else 25)
        try:
            if scheme == "smtps":
                client: smtplib.SMTP = smtplib.SMTP_SSL(host, port, timeout=self.settings.timeout,
                                                        context=ssl.create_default_context())
            else:
                client = smtplib.SMTP(host, port, timeout=self.settings.timeout)
            with client:
                client.ehlo()
                if scheme == "smtp+starttls" or (scheme == "smtp" and client.has_extn("starttls")):
                    client.starttls(context=ssl.create_default_context())
                    client.ehlo()
                if url.username:
                    client.login(unquote(url.username), unquote(url.password or ""))
                refused = client.send_message(message)
        except smtplib.SMTPRecipientsRefused as exc:
            raise MailError(f"recipient refused: {sorted(exc.recipients.values())[0][0]}", retry=False) from None
        except smtplib.SMTPResponseException as exc:
            raise MailError(f"SMTP {exc.smtp_code}", retry=exc.smtp_code < 500) from None
        except (OSError, smtplib.SMTPException) as exc:
            raise MailError(f"{type(exc).__name__}", retry=True) from None
        if refused:
            raise MailError("recipient refused", retry=False)
        return f"smtp://{host}:{port}"

    def _write(self, message: EmailMessage, key: str) -> str:
        folder: Path = self.settings.mail_dir
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"{key}.eml"
        if not path.exists():  # one file per outbox row: never twice
            tmp = path.with_suffix(".tmp")
            tmp.write_bytes(bytes(message))
            tmp.replace(path)
        return str(path)
