"""The text a person wrote in a mail: quoted history and signature removed, HTML made text.

Quoted history ("On ... wrote:" and ``>`` lines, Outlook's ``From:/Sent:`` blocks, in English
and Chinese among others) and signatures are removed with mail-parser-reply, plus two rules
measured to do better on the test corpora (``tests/channels/test_email_text.py``): quoted
blocks with their attribution go first, and a trailing block of short lines that starts with
the sender's own name is their signature.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

from mailparser_reply import EmailReplyParser

__all__ = ["html_to_text", "strip_reply"]

_QUOTED = re.compile(r"^\s*>")
_RULE = re.compile(r"^\s*([-_=*]\s*){4,}$")
_CLOSING = re.compile(
    r"^\s*(thanks|thank you|regards|best|cheers|br|kind regards|best regards|谢谢|此致)\W*$", re.I
)
_PARSER = EmailReplyParser(languages=["en", "zh", "de", "fr", "es", "ja"])
# A line after which everything is the mail replied to: Outlook's "-----Original Message-----"
# and "-----原始邮件-----", QQ Mail's and Foxmail's "------------------ 原始邮件 ------------------",
# and NetEase's "在 <date>，<sender> 写道：" above history it does not mark with ">".
_HISTORY = re.compile(
    r"^\s*[-_]{3,}[\s\u00a0]*(?:original message|原始邮件|原邮件)[\s\u00a0]*[-_]{3,}\s*$"
    r"|^\s*在[^\n]{4,120}写道[:：]\s*$",
    re.IGNORECASE,
)


def _drop_quoted(lines: list[str]) -> list[str]:
    """Remove ``>`` blocks and the attribution line(s) just above each ("On ... wrote:")."""
    out: list[str] = []
    for line in lines:
        if _QUOTED.match(line):
            # Walk back over blank lines to an attribution ending in a colon, and the line it
            # was wrapped from (long "On <date>, <name> <address> wrote:" lines wrap).
            k = len(out)
            while k and not out[k - 1].strip():
                k -= 1
            if k and out[k - 1].rstrip().endswith((":", "：")):
                k -= 1
                if (
                    k
                    and re.search(r"[<@\d]", out[k - 1])
                    and not out[k - 1].rstrip().endswith((".", "!", "?"))
                ):
                    k -= 1
                del out[k:]
            continue
        out.append(line)
    return out


def _drop_history(lines: list[str]) -> list[str]:
    """Everything from the first line that opens the mail replied to (:data:`_HISTORY`), when
    something was written above it."""
    for i, line in enumerate(lines):
        if _HISTORY.match(line) and any(above.strip() for above in lines[:i]):
            return lines[:i]
    return lines


def _drop_signature(lines: list[str], sender_name: str, sender_address: str) -> list[str]:
    """A trailing block of short lines starting at the sender's own name is a signature (with a
    closing like "Thanks," just above it and a rule line starting it)."""
    names = {w.lower() for w in re.split(r"[\s,.]+", sender_name) if len(w) >= 2}
    local = sender_address.split("@")[0].lower()
    names |= {w for w in re.split(r"[._+-]", local) if len(w) >= 3}
    if not names:
        return lines
    filled = [i for i, line in enumerate(lines) if line.strip()]
    window = filled[-12:]
    for i in window:
        words = {w.lower() for w in re.findall(r"[\w\u4e00-\u9fff]+", lines[i])}
        text = lines[i].lower()
        mine = bool(words & names) or any(n in text for n in names if re.search(r"[\u4e00-\u9fff]", n))
        if not mine or len(lines[i].strip()) > 60 or i == filled[0]:
            continue
        if any(len(lines[j]) > 80 for j in filled if j > i):
            continue
        start = i
        before = [j for j in filled if j < i][-3:]
        for j in reversed(before):
            if _RULE.match(lines[j]) or _CLOSING.match(lines[j]):
                start = j
                break
            if len(lines[j].strip()) > 30:
                break
        return lines[:start]
    return lines


def strip_reply(text: str, *, sender_name: str = "", sender_address: str = "") -> str:
    """The new text of a reply: no quoted history, no signature, no trailing rule lines.

    When nothing would be left (a forward, a mail that is all quote), the text is kept whole.
    """
    lines = _drop_history(_drop_quoted(text.replace("\r\n", "\n").replace("\r", "\n").split("\n")))
    unquoted = "\n".join(lines).strip()
    try:
        parsed = _PARSER.read(unquoted)
        kept = parsed.replies[0].body if parsed.replies else unquoted
    except Exception:  # a third-party regex set; never let it lose a mail
        kept = unquoted
    lines = kept.split("\n")
    while lines and (not lines[-1].strip() or _RULE.match(lines[-1])):
        lines.pop()
    lines = _drop_signature(lines, sender_name, sender_address)
    while lines and (not lines[-1].strip() or _RULE.match(lines[-1])):
        lines.pop()
    result = "\n".join(lines).strip()
    return result or unquoted or text.strip()


_BLOCKS = {"p", "div", "br", "tr", "li", "h1", "h2", "h3", "h4", "h5", "h6", "table", "ul", "ol", "hr", "pre"}
_SKIP = {"script", "style", "head", "title"}


class _HtmlText(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.lines: list[list[str]] = [[]]
        self.quoted: list[bool] = [False]
        self.depth = 0
        self.skip = 0
        self.stack: list[bool] = []

    def _newline(self) -> None:
        if self.lines[-1]:
            self.lines.append([])
            self.quoted.append(self.depth > 0)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _SKIP:
            self.skip += 1
            return
        classes = " ".join(v or "" for k, v in attrs if k in ("class", "id")).lower()
        is_quote = tag == "blockquote" or "gmail_quote" in classes or "divrplyfwdmsg" in classes
        if tag in ("div", "blockquote"):
            self.stack.append(is_quote)
        if is_quote:
            self._newline()
            self.depth += 1
            self.quoted[-1] = True
        elif tag in _BLOCKS:
            self._newline()
            if tag == "li":
                self.lines[-1].append("- ")

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIP:
            self.skip = max(0, self.skip - 1)
            return
        if tag in ("div", "blockquote") and self.stack and self.stack.pop():
            self.depth = max(0, self.depth - 1)
            self._newline()
            self.quoted[-1] = self.depth > 0
        elif tag in _BLOCKS:
            self._newline()

    def handle_data(self, data: str) -> None:
        if self.skip:
            return
        text = " ".join(data.split())
        if text:
            if not self.lines[-1]:
                self.quoted[-1] = self.depth > 0
            elif data[:1].isspace():
                text = " " + text
            self.lines[-1].append(text + (" " if data[-1:].isspace() else ""))


def html_to_text(html: str) -> str:
    """Readable text from an HTML mail: blocks become lines, quoted parts (``blockquote``,
    Gmail's and Outlook's quote containers) become ``>`` lines so that :func:`strip_reply`
    removes them like quoted plain text."""
    parser = _HtmlText()
    try:
        parser.feed(html)
        parser.close()
    except Exception:  # HTMLParser is lenient; this is for the truly hostile
        return re.sub(r"<[^>]+>", " ", html)
    out: list[str] = []
    for parts, quoted in zip(parser.lines, parser.quoted, strict=True):
        line = "".join(parts).strip()
        if not line and out and not out[-1]:
            continue
        out.append(f"> {line}" if quoted and line else line)
    return "\n".join(out).strip()
