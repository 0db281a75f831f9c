"""Keep personal data and secret links out of the logs.

Django logs the path of every failed request ("Not Found: /r/<token>/") and the text of every
exception; database errors can quote the row ("Key (email)=(erika@example.org) already exists").
`RedactPersonalData` rewrites each record before a handler formats it: e-mail addresses become
"[e-mail]", the token in secret links becomes "[token]".
"""

import logging
import re

EMAIL = re.compile(r"[\w.!#$%&'*+/=?^`{|}~-]+@[\w-]+(?:\.[\w-]+)+", re.UNICODE)
SECRET_PATH = re.compile(r"/r/[A-Za-z0-9_-]{8,}")


def redact(text: str) -> str:
    return SECRET_PATH.sub("/r/[token]", EMAIL.sub("[e-mail]", text))


class RedactPersonalData(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        redacted = redact(message)
        if redacted != message:
            record.msg, record.args = redacted, ()
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        return True
