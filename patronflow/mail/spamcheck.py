"""A mail's spam score before it is sent: SpamAssassin's local tests (-L: no network, no
blocklists, nothing learnt) on the mail composed as it would leave, with its deliverability
headers. The mail designer shows the score beside the preview; the same command scores the
built-in mails in tests/mail/test_content_quality.py.

Where SpamAssassin is not installed the check says so instead of a score. A run has a time
limit and its result is cached by the mail's content, so typing and previewing again does
not score the same mail twice.
"""

import hashlib
import re
import shutil
import subprocess
import tempfile
import uuid
from dataclasses import dataclass
from email.utils import formatdate
from pathlib import Path

from django.core.cache import cache

from patronflow.mail import mime
from patronflow.mail.rendering import RenderedMail
from patronflow.members.models import Library

SECONDS = 20  # SpamAssassin loads its rules for every run: several seconds on a slow machine
CACHED_FOR = 24 * 3600
THRESHOLD = 5.0  # SpamAssassin's own: a score from here on is spam for most mail servers
_SETTINGS = ("use_bayes 0", "bayes_auto_learn 0", "report_safe 0")


class SpamCheckUnavailable(RuntimeError):
    """The score cannot be had: SpamAssassin is not installed, failed or took too long.
    str() says which, for the operator; the designer says it in the marketer's words."""

    def __init__(self, message: str, *, reason: str) -> None:
        super().__init__(message)
        self.reason = reason  # "missing", "slow" or "failed"


@dataclass(frozen=True)
class SpamScore:
    score: float
    rules: tuple[str, ...]  # SpamAssassin's names of the tests that hit

    @property
    def is_spam(self) -> bool:
        return self.score >= THRESHOLD


def spamassassin() -> str | None:
    return shutil.which("spamassassin")


def scored_mail(library: Library, rendered: RenderedMail, *, to: str) -> bytes:
    """The mail's bytes with the headers a journey's mail has (compose.py), so the score is
    the score of the mail members would get (without its DKIM signature, which -L cannot
    check anyway)."""
    domain = library.sender_email.rpartition("@")[2] or "example.org"
    sender = library.sender_email or f"noreply@{domain}"
    headers = [
        ("From", mime.header_address(library.sender_name or library.name, sender)),
        ("To", mime.header_address("", to)),
        ("Subject", mime.header_text(rendered.subject, "Subject")),
        ("Date", b" " + formatdate(usegmt=True).encode()),
        ("Message-ID", f" <pf0.{uuid.uuid4().hex[:12]}@{domain}>".encode()),
        ("List-Unsubscribe", f" <{rendered.unsubscribe_url}>".encode()),
        ("List-Unsubscribe-Post", b" List-Unsubscribe=One-Click"),
        *mime.CONTENT_HEADERS,
    ]
    return mime.assemble(headers, mime.body(rendered.text, rendered.html))


def content_key(library: Library, rendered: RenderedMail) -> str:
    """What the score depends on, hashed: the sender and the mail's subject, text and HTML."""
    digest = hashlib.sha256()
    for part in (library.sender_name, library.sender_email, rendered.subject, rendered.text):
        digest.update(part.encode() + b"\0")
    digest.update(rendered.html.encode())
    return digest.hexdigest()


def spam_score(library: Library, rendered: RenderedMail, *, to: str) -> SpamScore:
    """The mail's score, from the cache when this content was scored before. Raises
    SpamCheckUnavailable."""
    key = f"spamscore:{content_key(library, rendered)}"
    cached = cache.get(key)
    if cached is not None:
        return SpamScore(cached[0], tuple(cached[1]))
    score = score_mail(scored_mail(library, rendered, to=to))
    cache.set(key, (score.score, list(score.rules)), CACHED_FOR)
    return score


def score_mail(raw: bytes, *, seconds: float = SECONDS) -> SpamScore:
    """SpamAssassin's verdict on one mail's bytes, local tests only, with empty user
    preferences of its own (nothing read from or written to a home folder)."""
    executable = spamassassin()
    if executable is None:
        raise SpamCheckUnavailable("spamassassin is not installed", reason="missing")
    with tempfile.TemporaryDirectory(prefix="patronflow-spam-") as folder:
        prefs = Path(folder) / "user_prefs"
        prefs.write_text("")
        command = [executable, "-L", "-t", "-p", str(prefs)]
        command += [argument for setting in _SETTINGS for argument in ("--cf", setting)]
        try:
            result = subprocess.run(
                command, input=raw, capture_output=True, timeout=seconds, check=False
            )
        except subprocess.TimeoutExpired:
            raise SpamCheckUnavailable(
                f"spamassassin took longer than {seconds} seconds", reason="slow"
            ) from None
    return _verdict(result.stdout, result.stderr)


_STATUS = re.compile(rb"^X-Spam-Status:(.*(?:\r?\n[ \t].*)*)", re.M)


def _verdict(output: bytes, errors: bytes) -> SpamScore:
    status = _STATUS.search(output)  # the first: the header SpamAssassin added
    if status is None:
        raise SpamCheckUnavailable(
            f"spamassassin gave no score: {errors.decode(errors='replace')[-500:]}",
            reason="failed",
        )
    text = " ".join(status[1].decode(errors="replace").split())
    score = float(re.search(r"score=(-?[\d.]+)", text)[1])
    found = re.search(r"tests=(.*?)(?: autolearn=| version=|$)", text)
    rules = tuple(rule for rule in (found[1] if found else "").replace(" ", "").split(",") if rule)
    return SpamScore(score, rules)
