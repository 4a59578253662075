"""The agent console in a real browser (headless Chromium through Selenium) against a real
``frontdesk serve``: what an agent does all day, and what a test of the API cannot see (the page
redraws a conversation every three seconds, and must not lose the reply being written).

Runs when Chromium and its driver are installed (``.ci/run`` installs them); mandatory with
``CI=true``."""

from __future__ import annotations

import os
import re
import shutil
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import IN_CI
from tests.serving import frontdesk_serve

os.environ.setdefault("SE_AVOID_STATS", "true")  # Selenium would report usage over the network
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
DRIVER = shutil.which("chromedriver")

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, nlu_model: Path) -> Iterator[str]:
    """``frontdesk serve`` on a migrated, seeded SQLite database, as ``make run`` starts it."""
    if not (CHROMIUM and DRIVER):
        if IN_CI:
            pytest.fail("Chromium and chromedriver are required in CI (.ci/run installs them)")
        pytest.skip("Chromium or chromedriver not installed")
    with frontdesk_serve(tmp_path_factory.mktemp("console"), nlu_model) as served:
        yield served.url


@pytest.fixture
def browser(server: str) -> Iterator[Any]:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for arg in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1400,900"):
        options.add_argument(arg)
    driver = webdriver.Chrome(options=options, service=Service(executable_path=str(DRIVER)))
    driver.implicitly_wait(5)
    try:
        yield driver
    finally:
        driver.quit()


def say(server: str, sender: str, text: str) -> list[dict[str, Any]]:
    answer = httpx.post(
        f"{server}/webhooks/rest/webhook", json={"sender": sender, "message": text}, timeout=30
    )
    assert answer.status_code == 200, answer.text
    replies: list[dict[str, Any]] = answer.json()
    return replies


def feed(server: str, sender: str) -> list[str]:
    body = httpx.get(
        f"{server}/webhooks/rest/messages", params={"sender": sender, "after": "0"}, timeout=10
    ).json()
    return [m["text"] for m in body["messages"]]


def bearer(server: str, email: str) -> dict[str, str]:
    """The API's authorisation header for a demo agent, from a real sign-in."""
    login = httpx.post(
        f"{server}/api/v1/auth/login", json={"email": email, "password": "frontdesk-demo"}, timeout=10
    )
    assert login.status_code == 200, login.text
    return {"Authorization": f"Bearer {login.json()['token']}"}


def report(server: str, sender: str, said: str, more: str) -> str:
    """Report ``said`` over the web chat, answering whatever the report still asks (not solved,
    the first button, else ``more``), until its ticket opens; its reference."""
    for _ in range(6):
        replies = say(server, sender, said)
        opened = re.search(r"\bINC-\d+", " ".join(r.get("text", "") for r in replies))
        if opened:
            return opened.group(0)
        buttons = [b["payload"] for r in replies for b in r.get("buttons") or []]
        said = "/not_solved" if "/not_solved" in buttons else buttons[0] if buttons else more
    raise AssertionError(f"no ticket opened: {replies}")


def open_ticket(server: str, auth: dict[str, str], subject: str, email: str, **fields: Any) -> dict[str, Any]:
    """A ticket opened through the API for ``email``, in hardware unless ``fields`` say otherwise."""
    body = {"subject": subject, "requester": {"email": email}, "category": "hardware", **fields}
    made = httpx.post(f"{server}/api/v1/tickets", json=body, headers=auth, timeout=10)
    assert made.status_code == 201, made.text
    ticket: dict[str, Any] = made.json()
    return ticket


def sign_in(
    driver: Any,
    server: str,
    email: str,
    password: str = "frontdesk-demo",  # noqa: S107 (the demo's)
    *,
    at: str = "",
) -> None:
    """Sign in on the console, opened at ``at`` (an address within it, such as ``#INC-3``)."""
    from selenium.webdriver.common.by import By

    driver.get(f"{server}/console{at}")
    driver.find_element(By.ID, "email").send_keys(email)
    driver.find_element(By.ID, "password").send_keys(password)
    driver.find_element(By.CSS_SELECTOR, "#login button[type=submit]").click()
    driver.find_element(By.CSS_SELECTOR, "#app:not(.hidden)")


def wait_for(check: Any, seconds: float = 20) -> Any:
    """What ``check`` returns once it is truthy; retried until ``seconds`` pass. A guard against a
    hang, not a measure of speed: on two cores shared with another test worker, Chromium and the
    server, a list redrawn every 3 s once took more than 10 s to show a new ticket."""
    end = time.monotonic() + seconds
    while True:
        try:
            result = check()
            if result:
                return result
        except Exception:  # an element redrawn between finding and reading it
            if time.monotonic() > end:
                raise
        if time.monotonic() > end:
            raise AssertionError("timed out")
        time.sleep(0.2)


def click_when(find: Any) -> None:
    """Click what ``find`` finds, once it is there. The page redraws its lists and panes, so an
    element found may be gone by the click: found again and retried."""

    def attempt() -> bool:
        find().click()
        return True

    wait_for(attempt)


def click_filter(driver: Any, title: str) -> None:
    """Click the list's filter button ``title``."""
    from selenium.webdriver.common.by import By

    click_when(
        lambda: next(b for b in driver.find_elements(By.CSS_SELECTOR, "#filters button") if b.text == title)
    )


def text_of(driver: Any, css: str) -> str:
    """The text of what ``css`` finds, read again if the page redraws it between find and read."""
    from selenium.webdriver.common.by import By

    return str(wait_for(lambda: driver.find_element(By.CSS_SELECTOR, css).text))


def show_ticket(driver: Any, ref: str, view: str = "All") -> str:
    """Open the Tickets tab's ``view`` and the ticket ``ref`` in it; its line in the list."""
    from selenium.webdriver.common.by import By

    driver.find_element(By.ID, "tabTick").click()
    click_filter(driver, view)
    return open_item(driver, ref, tab="tick")


def click_action(driver: Any, title: str) -> None:
    """Click the open ticket's or conversation's action button ``title``."""
    from selenium.webdriver.common.by import By

    click_when(
        lambda: next(
            b for b in driver.find_elements(By.CSS_SELECTOR, "#pane .actions button") if b.text == title
        )
    )


def open_item(driver: Any, needle: str, tab: str = "conv") -> str:
    """Click the item of the ``tab`` list ("conv", "tick", "queue") that contains ``needle``; its
    text. The list is redrawn every 3 s, so an item found may be gone a moment later: retried.
    Until the list of ``tab`` has arrived, the one before it is still on screen: waited for."""
    from selenium.webdriver.common.by import By

    def attempt() -> str:
        items = driver.find_elements(By.CSS_SELECTOR, f"#items[data-list^='{tab}:'] .item")
        item = next(i for i in items if needle in i.text)
        text: str = item.text
        item.click()
        return text

    result: str = wait_for(attempt)
    return result


def test_a_chinese_agent_takes_over_and_answers_with_a_saved_reply(browser: Any, server: str) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    say(server, "web-wang", "我的电脑开不了机，转人工")
    sign_in(browser, server, "li.wei@example.com")  # language zh: the console speaks Chinese
    assert browser.find_element(By.ID, "tabConv").text == "会话"
    assert "排队中" in open_item(browser, "转人工")
    # Its channel, and the bot, in the console's words (they read "rest" and "bot").
    assert "网页聊天 · INC-" in text_of(browser, "#pane .head .sub")
    assert "机器人 · " in text_of(browser, ".msgs")
    click_when(
        lambda: next(b for b in browser.find_elements(By.CSS_SELECTOR, "#pane button") if b.text == "接管")
    )
    box = wait_for(lambda: browser.find_element(By.CSS_SELECTOR, "form.compose textarea"))

    box.send_keys("正在写的回复")
    say(server, "web-wang", "还在吗？")  # the conversation changes: it is redrawn
    wait_for(lambda: "还在吗？" in browser.find_element(By.CSS_SELECTOR, ".msgs").text)
    box = browser.find_element(By.CSS_SELECTOR, "form.compose textarea")
    assert box.get_attribute("value") == "正在写的回复"  # the redraw used to wipe it

    box.clear()
    box.send_keys("/vp")
    shown = wait_for(lambda: [r.text for r in browser.find_elements(By.CSS_SELECTOR, "form.compose .reply")])
    assert shown[0].startswith("/vpn请打开 GlobalProtect")  # the conversation's language first
    box.send_keys(Keys.ENTER)  # takes the first
    assert box.get_attribute("value").startswith("请打开 GlobalProtect")
    box.send_keys(Keys.ENTER)  # sends
    wait_for(lambda: any(t.startswith("请打开 GlobalProtect") for t in feed(server, "web-wang")))
    wait_for(lambda: "✓" in browser.find_element(By.CSS_SELECTOR, ".msgs").text)  # shown as delivered

    browser.find_element(By.CSS_SELECTOR, "header button.lang").click()
    assert browser.find_element(By.ID, "tabConv").text == "Conversations"


def test_saved_reply_placeholders_are_filled_from_the_conversation(browser: Any, server: str) -> None:
    from selenium.webdriver.common.by import By

    httpx.post(
        f"{server}/webhooks/rest/webhook",
        json={"sender": "web-ann", "message": "I want to talk to a person", "metadata": {"name": "Ann Lee"}},
        timeout=30,
    )
    sign_in(browser, server, "tom.baker@example.com")
    open_item(browser, "Ann Lee")
    click_when(
        lambda: next(
            b for b in browser.find_elements(By.CSS_SELECTOR, "#pane button") if b.text == "Take over"
        )
    )
    click_when(
        lambda: browser.find_element(By.XPATH, "//form[contains(@class,'compose')]//button[text()='💬']")
    )
    browser.find_element(By.CSS_SELECTOR, "form.compose .replies input").send_keys("hi")
    click_when(lambda: browser.find_elements(By.CSS_SELECTOR, "form.compose .reply")[0])
    text = browser.find_element(By.CSS_SELECTOR, "form.compose textarea").get_attribute("value")
    assert text.startswith("Hi Ann, this is Tom Baker from the service desk. I'm looking at INC-")


def test_a_ticket_on_screen_shows_new_comments_and_keeps_the_one_being_written(
    browser: Any, server: str
) -> None:
    from selenium.webdriver.common.by import By

    say(server, "web-lee", "my laptop battery drains in an hour, please get me a human")
    sign_in(browser, server, "maria.garcia@example.com")
    browser.find_element(By.ID, "tabTick").click()
    ref = open_item(browser, "battery", tab="tick").split()[0]
    box = wait_for(lambda: browser.find_element(By.CSS_SELECTOR, "form.compose textarea"))
    box.send_keys("checking the battery report")
    note = httpx.post(
        f"{server}/api/v1/tickets/{ref}/comments",
        json={"body": "Battery health is 41%, replacement ordered", "public": False},
        headers=bearer(server, "li.wei@example.com"),
        timeout=10,
    )
    assert note.status_code == 201, note.text
    wait_for(
        lambda: "replacement ordered" in browser.find_element(By.CSS_SELECTOR, ".msgs").text
    )  # no click needed
    box = browser.find_element(By.CSS_SELECTOR, "form.compose textarea")
    assert box.get_attribute("value") == "checking the battery report"


def test_a_list_that_answers_late_is_not_drawn_over_the_tab_chosen_since(browser: Any, server: str) -> None:
    from selenium.webdriver.common.by import By

    say(server, "web-kim", "my mouse scroll wheel stopped working, transfer me to a person")
    sign_in(browser, server, "maria.garcia@example.com")
    open_item(browser, "scroll wheel")  # the conversation list is on screen
    browser.execute_script(
        """const real = window.fetch;
        window.fetch = (path, options) => path.startsWith("/api/v1/conversations?")
          ? new Promise((ok) => setTimeout(() => ok(real(path, options)), 1500))
          : real(path, options);"""
    )
    # Every list drawn from now on, in order (the page redraws the current one every 3 s).
    browser.execute_script(
        """window.drawn = [];
        const box = document.getElementById("items");
        new MutationObserver(() => window.drawn.push(box.dataset.list))
          .observe(box, { attributes: true, attributeFilter: ["data-list"], childList: true });"""
    )
    browser.find_element(By.ID, "tabConv").click()  # asks for conversations: answered in 1.5 s
    browser.find_element(By.ID, "tabTick").click()  # asks for tickets: answered at once
    wait_for(lambda: browser.find_elements(By.CSS_SELECTOR, "#items[data-list^='tick:'] .item"))
    time.sleep(2.5)  # the conversations have come back by now
    drawn = browser.execute_script("return window.drawn")
    after = drawn[next(i for i, d in enumerate(drawn) if d and d.startswith("tick:")) :]
    assert after and all(d.startswith("tick:") for d in after if d), drawn


def test_a_supervisor_keeps_the_saved_replies_and_an_agent_does_not_see_them(
    browser: Any, server: str
) -> None:
    from selenium.webdriver.common.by import By

    sign_in(browser, server, "tom.baker@example.com")  # an agent
    assert not browser.find_element(By.ID, "tabReplies").is_displayed()
    browser.find_element(By.ID, "logout").click()

    sign_in(browser, server, "maria.garcia@example.com")  # a supervisor
    browser.find_element(By.ID, "tabReplies").click()
    open_item(browser, "New saved reply", tab="replies")
    form = wait_for(lambda: browser.find_element(By.CSS_SELECTOR, "form.reply-edit"))
    assert "{name} is the requester's first name" in form.text
    form.find_element(By.NAME, "shortcut").send_keys("printer-queue")
    form.find_element(By.NAME, "text").send_keys("Hi {name}, I cleared the print queue for {ref}.")
    form.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    wait_for(lambda: "/printer-queue" in browser.find_element(By.CSS_SELECTOR, "form.reply-edit h2").text)

    agent = bearer(server, "tom.baker@example.com")

    def saved() -> list[tuple[str, str, str]]:
        listed = httpx.get(
            f"{server}/api/v1/replies", params={"q": "printer-queue"}, headers=agent, timeout=10
        )
        return [(r["shortcut"], r["language"], r["text"]) for r in listed.json()["items"]]

    assert saved() == [("printer-queue", "en", "Hi {name}, I cleared the print queue for {ref}.")]

    # Changed into Chinese, then deleted (after a confirmation).
    form = browser.find_element(By.CSS_SELECTOR, "form.reply-edit")
    form.find_element(By.CSS_SELECTOR, "select[name=language] option[value=zh]").click()
    form.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    wait_for(lambda: saved() and saved()[0][1] == "zh")
    form = wait_for(lambda: browser.find_element(By.CSS_SELECTOR, "form.reply-edit"))
    next(b for b in form.find_elements(By.TAG_NAME, "button") if b.text == "Delete").click()
    browser.switch_to.alert.accept()
    wait_for(lambda: saved() == [])


def test_the_console_is_told_of_changes_as_they_happen(browser: Any, server: str) -> None:
    """The console listens to GET /api/v1/changes and looks again when told (the dot by the
    agent's name is green), instead of asking for everything every three seconds."""
    from selenium.webdriver.common.by import By

    sign_in(browser, server, "tom.baker@example.com")
    wait_for(lambda: browser.find_element(By.ID, "live").get_attribute("data-live") == "push")
    assert browser.find_element(By.ID, "live").get_attribute("title").startswith("Live")
    say(server, "web-push", "printer on floor 4 is jammed, get me a human")
    open_item(browser, "floor 4")  # the new conversation is in the list
    say(server, "web-push", "it also shows error 0x4e")
    wait_for(lambda: "error 0x4e" in browser.find_element(By.CSS_SELECTOR, ".msgs").text)
    assert browser.find_element(By.ID, "live").get_attribute("data-live") == "push"

    def seen(hidden: bool) -> None:  # the tab goes out of sight, or comes back
        browser.execute_script(
            "Object.defineProperty(document, 'hidden', {value: arguments[0], configurable: true});"
            "document.dispatchEvent(new Event('visibilitychange'));",
            hidden,
        )

    seen(True)  # a tab out of sight gives its connection back
    wait_for(lambda: browser.find_element(By.ID, "live").get_attribute("data-live") == "poll")
    seen(False)
    wait_for(lambda: browser.find_element(By.ID, "live").get_attribute("data-live") == "push")


def test_an_agent_finds_overdue_tickets_and_searches_for_one(browser: Any, server: str) -> None:
    """The ticket list's "Overdue" view (past an SLA target) and its search box."""
    from selenium.webdriver.common.by import By

    admin = bearer(server, "li.wei@example.com")
    week_ago = (datetime.now(UTC) - timedelta(days=7)).isoformat()
    open_ticket(server, admin, "Projector in room 5 flickers", "ann@example.com", created_at=week_ago)
    open_ticket(server, admin, "Badge reader at gate B is dead", "ann@example.com")
    sign_in(browser, server, "maria.garcia@example.com")
    browser.find_element(By.ID, "tabTick").click()

    def listed() -> str:
        return str(browser.find_element(By.CSS_SELECTOR, "#items[data-list^='tick:']").text)

    wait_for(lambda: "Projector" in listed() and "Badge reader" in listed())
    click_filter(browser, "Overdue")
    wait_for(lambda: "Projector" in listed() and "Badge reader" not in listed())
    click_filter(browser, "All")
    browser.find_element(By.ID, "search").send_keys("badge READER")
    wait_for(lambda: "Badge reader" in listed() and "Projector" not in listed())
    time.sleep(3.5)  # the list redrawn on its own keeps the search
    assert "Badge reader" in listed() and "Projector" not in listed()
    assert browser.find_element(By.ID, "search").get_attribute("value") == "badge READER"


def test_the_address_names_what_is_open_and_opens_it(browser: Any, server: str) -> None:
    """An agent could not send a colleague a ticket, nor go from a notification mail to it: the
    console had one address for everything."""
    from selenium.common.exceptions import NoAlertPresentException
    from selenium.webdriver.common.by import By

    admin = bearer(server, "li.wei@example.com")
    ref = open_ticket(server, admin, "Docking station gives no picture", "ann@example.com")["ref"]
    sign_in(browser, server, "maria.garcia@example.com", at=f"#{ref.lower()}")  # followed from a mail
    wait_for(lambda: text_of(browser, "#pane h2").startswith(f"{ref} Docking station"))
    say(server, "deep-link-user", "I want to talk to a person")
    talk = httpx.get(f"{server}/api/v1/conversations?mode=queued", headers=admin, timeout=10).json()["items"]
    conversation = next(c["id"] for c in talk if c["person"]["name"] == "deep-link-user")
    browser.get(f"{server}/console#conversation-{conversation}")  # the same page: the address changes
    wait_for(lambda: "deep-link-user" in text_of(browser, "#pane h2"))
    browser.find_element(By.ID, "tabTick").click()
    click_filter(browser, "All")
    open_item(browser, ref, tab="tick")
    wait_for(lambda: browser.current_url.endswith(f"/console#{ref}"))
    browser.get(f"{server}/console#INC-99999")  # none such: said once, not at every refresh
    wait_for(lambda: browser.switch_to.alert).accept()
    time.sleep(3.5)
    with pytest.raises(NoAlertPresentException):
        browser.switch_to.alert.accept()
    assert text_of(browser, "#pane h2").startswith(ref)  # what was open stays
    # ... under its own address at once: it came back only when the ticket was redrawn, which
    # with the change stream waits for a change (a CI run timed out on it, 2026-12-07).
    assert browser.current_url.endswith(f"/console#{ref}")


def test_a_resolved_ticket_shows_its_solution_and_the_rating_with_its_words(
    browser: Any, server: str
) -> None:
    from selenium.webdriver.common.by import By

    ref = report(
        server, "web-ola", "my second monitor stays black, the cable is plugged in", "since I moved desks"
    )
    admin = bearer(server, "li.wei@example.com")
    done = httpx.post(
        f"{server}/api/v1/tickets/{ref}/resolve",
        json={"solution": "Swapped the DisplayPort cable"},
        headers=admin,
        timeout=10,
    )
    assert done.status_code == 200, done.text
    say(server, "web-ola", "5 stars, fixed in ten minutes")
    sign_in(browser, server, "maria.garcia@example.com")
    browser.find_element(By.ID, "tabTick").click()
    click_filter(browser, "All")
    assert "★5" in open_item(browser, ref, tab="tick")
    outcome = text_of(browser, "#pane .outcome")
    assert "Solution: Swapped the DisplayPort cable" in outcome
    assert "Satisfaction: ★★★★★ 5/5 · “5 stars, fixed in ten minutes”" in outcome
    # Reopened, its solution is what was tried, not how it ended (it said "Solution:" still).
    again = report(server, "web-oli", "the dock does not charge my laptop any more", "since this morning")
    httpx.post(
        f"{server}/api/v1/tickets/{again}/resolve",
        json={"solution": "Reseated the dock"},
        headers=admin,
        timeout=10,
    )
    say(server, "web-oli", f"/reopen {again}")  # "No, still broken"
    open_item(browser, again, tab="tick")
    outcome = wait_for(lambda: "dock" in (said := text_of(browser, "#pane .outcome")) and said)
    assert outcome == "Tried before it was reopened: Reseated the dock"


def test_an_agent_raises_a_problem_from_an_incident_and_its_fix_reaches_the_user(
    browser: Any, server: str
) -> None:
    """The console's problem records: raise one from an incident, follow the link both ways, and
    resolve it; the incident is resolved with it and its requester told on their channel."""
    from selenium.webdriver.common.by import By

    admin = bearer(server, "li.wei@example.com")
    ref = report(server, "web-pia", "the shared drive S: is gone from my computer", "since this morning")
    sign_in(browser, server, "tom.baker@example.com")
    show_ticket(browser, ref, "All")
    click_action(browser, "Problem…")
    wait_for(lambda: browser.switch_to.alert).accept()  # empty: raise a new problem from it
    problem = text_of(browser, "#pane .links a.ref")
    assert problem.startswith("PRB-") and "Caused by problem" in text_of(browser, "#pane .links")
    raised = httpx.get(f"{server}/api/v1/tickets/{problem}", headers=admin, timeout=10).json()
    assert raised["subject"].startswith("the shared drive S:") and raised["incidents"] == [ref]
    click_when(lambda: browser.find_element(By.CSS_SELECTOR, "#pane .links a.ref"))
    wait_for(lambda: text_of(browser, "#pane h2").startswith(problem))
    links = text_of(browser, "#pane .links")
    assert f"Incidents: {ref}" in links
    assert "respond by" not in text_of(browser, "#pane .head")  # a problem has no SLA target
    kinds = wait_for(
        lambda: [o.text for o in browser.find_elements(By.CSS_SELECTOR, "#pane .compose select option")]
    )
    assert kinds == ["Internal note"]  # its requester is the desk itself
    click_action(browser, "Tell new reporters")  # whoever reports a problem of its kind is asked
    wait_for(lambda: "Known issue" in text_of(browser, "#pane .head"))
    assert httpx.get(f"{server}/api/v1/tickets/{problem}", headers=admin, timeout=10).json()["known_issue"]
    click_action(browser, "Resolve…")
    ask = wait_for(lambda: browser.switch_to.alert)
    assert "every open incident of this problem" in ask.text
    ask.send_keys("Remapped S: by group policy; sign out and in again")
    ask.accept()
    wait_for(lambda: browser.switch_to.alert).dismiss()  # no knowledge-base draft
    wait_for(lambda: f"{ref} resolved" in text_of(browser, "#pane .links"))
    # The pane drawn again in place gains the outcome it did not have.
    outcome = text_of(browser, "#pane .outcome")
    assert "Solution: Remapped S: by group policy" in outcome
    logged = browser.get_log("browser")
    assert not [e for e in logged if e["source"] == "javascript"]
    assert not [e for e in logged if "favicon" in e["message"]]  # the page names its icon: no 404
    incident = httpx.get(f"{server}/api/v1/tickets/{ref}", headers=admin, timeout=10).json()
    assert incident["status"] == "resolved" and incident["problem"] == problem
    assert any("Remapped S: by group policy" in text for text in feed(server, "web-pia"))


def test_an_agent_sees_a_request_wait_for_approval_and_records_the_managers_yes(
    browser: Any, server: str
) -> None:
    """A request that needs the manager's yes is marked so in the list and the ticket; the
    manager said yes on the phone: the agent records it, and the requester hears."""
    sender = "web-noor"
    said = ["I need access to the finance shared drive", "Read only", "my manager is tom.baker@example.com"]
    replies = say(server, sender, said[0])
    replies = say(server, sender, replies[-1]["buttons"][0]["payload"])  # the share named, one tap away
    for text in said[1:]:
        replies = say(server, sender, text)
    ref = re.search(r"REQ-\d+", " ".join(r["text"] for r in replies))
    assert ref, replies
    sign_in(browser, server, "maria.garcia@example.com")
    item = show_ticket(browser, ref[0], "Awaiting approval")  # the list of those waiting
    assert "Awaiting approval" in item
    wait_for(lambda: "Awaiting approval" in text_of(browser, "#pane .head"))
    assert "Approval: asked of Tom Baker <tom.baker@example.com>" in text_of(browser, "#pane .outcome")
    assert "respond by" not in text_of(browser, "#pane .head")  # no clock until the yes
    click_action(browser, "Approved by phone")
    ask = wait_for(lambda: browser.switch_to.alert)
    ask.send_keys("Tom said yes in the 10:00 meeting")
    ask.accept()
    wait_for(
        lambda: (
            "Approved" in text_of(browser, "#pane .head") and "respond by" in text_of(browser, "#pane .head")
        )
    )
    assert "Tom said yes in the 10:00 meeting" in text_of(browser, "#pane .outcome")
    assert not [e for e in browser.get_log("browser") if e["source"] == "javascript"]
    assert any(f"{ref[0]}" in text and "approved by Tom Baker" in text for text in feed(server, sender))


def test_a_supervisor_tells_the_users_of_a_problem_and_sends_a_bulletin(browser: Any, server: str) -> None:
    from selenium.webdriver.common.by import By

    admin = bearer(server, "li.wei@example.com")
    for email in ("kim@example.com", "lee@example.com"):
        made = open_ticket(server, admin, "Teams calls drop after a minute", email, category="software")
    raised = httpx.post(
        f"{server}/api/v1/problems", json={"subject": "Teams media relay"}, headers=admin, timeout=10
    )
    problem = raised.json()["ref"]
    httpx.post(
        f"{server}/api/v1/problems/{problem}/incidents", json={"ref": made["ref"]}, headers=admin, timeout=10
    )
    sign_in(browser, server, "maria.garcia@example.com")
    show_ticket(browser, problem, "Problems")
    click_action(browser, "Update its users…")
    ask = wait_for(lambda: browser.switch_to.alert)
    ask.send_keys("A fix is being rolled out; calls should hold by 15:00")
    ask.accept()
    done = wait_for(lambda: browser.switch_to.alert)
    assert done.text == "Sent: 1 reached, 0 unreachable."  # lee's incident only: kim's is not linked
    done.accept()
    told = httpx.get(f"{server}/api/v1/tickets/{made['ref']}", headers=admin, timeout=10).json()
    assert [e["note"] for e in told["events"] if e["action"] == "broadcast"] == [
        "A fix is being rolled out; calls should hold by 15:00"
    ]
    browser.find_element(By.ID, "bulletin").click()
    wait_for(lambda: browser.switch_to.alert).send_keys("Teams is back")
    browser.switch_to.alert.accept()
    wait_for(lambda: browser.switch_to.alert).send_keys("software")
    browser.switch_to.alert.accept()
    assert wait_for(lambda: browser.switch_to.alert).text.startswith("Sent: ")
    browser.switch_to.alert.accept()
    browser.find_element(By.ID, "logout").click()
    sign_in(browser, server, "tom.baker@example.com")  # an agent sends no bulletins
    assert not browser.find_element(By.ID, "bulletin").is_displayed()


def test_a_supervisor_reads_the_reports_in_the_console(browser: Any, server: str) -> None:
    from selenium.webdriver.common.by import By

    admin = bearer(server, "li.wei@example.com")
    made = open_ticket(server, admin, "Docking station dead", "ann@example.com")
    mine = httpx.post(
        f"{server}/api/v1/tickets/{made['ref']}/assign", json={"agent": "me"}, headers=admin, timeout=10
    )
    assert mine.status_code == 200, mine.text
    httpx.post(
        f"{server}/api/v1/tickets/{made['ref']}/resolve",
        json={"solution": "New dock"},
        headers=admin,
        timeout=10,
    )
    sign_in(browser, server, "maria.garcia@example.com")
    browser.find_element(By.ID, "tabReports").click()

    def tile(metric: str) -> str:
        return text_of(browser, f"#pane .tile[data-metric='{metric}'] .value")

    wait_for(lambda: tile("created"))
    since = (datetime.now(UTC) - timedelta(days=7)).isoformat()  # the console's "7 days", asked just before
    expected = httpx.get(
        f"{server}/api/v1/reports/summary", params={"from": since}, headers=admin, timeout=10
    ).json()
    assert (tile("created"), tile("resolved")) == (
        str(expected["tickets_created"]),
        str(expected["tickets_resolved"]),
    )
    channels = text_of(browser, "#pane .bars[data-metric='by_channel']")
    assert "Agents (API)" in channels  # the channel's name, not its key
    categories = text_of(browser, "#pane .bars[data-metric='by_category']")
    assert "Hardware" in categories and "hardware" not in categories  # its name too, not its path
    agents = text_of(browser, "#pane .bars[data-metric='by_agent']")
    assert "Li Wei" in agents and "li.wei@example.com" not in agents  # who resolved it, by name
    click_filter(browser, "Today")
    wait_for(
        lambda: "Today" in [b.text for b in browser.find_elements(By.CSS_SELECTOR, "#filters button.on")]
    )
    assert int(wait_for(lambda: tile("created"))) >= 1
    csv = httpx.get(
        f"{server}/api/v1/reports/summary",
        params={"from": since, "format": "csv"},
        headers=admin,
        timeout=10,
    )
    assert f"tickets_created,{expected['tickets_created']}" in csv.text
    browser.find_element(By.ID, "logout").click()
    sign_in(browser, server, "tom.baker@example.com")  # reports are for supervisors and admins
    assert not browser.find_element(By.ID, "tabReports").is_displayed()


def test_an_agent_sets_a_ticket_pending_raises_its_urgency_and_cancels_it(browser: Any, server: str) -> None:
    """The ticket's fields in the console: status, impact, urgency, category."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    admin = bearer(server, "li.wei@example.com")
    made = open_ticket(server, admin, "Webcam not detected", "uma@example.com")
    ref = made["ref"]
    # Given to Tom first: in office hours routing gave it to him anyway as he signed in, and the
    # statuses offered below were those of an assigned ticket (the test failed by the clock).
    given = {"assignee": "tom.baker@example.com"}
    assert (
        httpx.patch(f"{server}/api/v1/tickets/{ref}", json=given, headers=admin, timeout=10).status_code
        == 200
    )
    sign_in(browser, server, "tom.baker@example.com")
    show_ticket(browser, ref, "All")

    def field(name: str) -> Any:
        return wait_for(
            lambda: browser.find_element(By.CSS_SELECTOR, f"#pane .props select[data-field='{name}']")
        )

    def choose(name: str, value: str) -> None:  # the pane may redraw between finding and choosing
        wait_for(lambda: Select(field(name)).select_by_value(value) or True)

    def shown(name: str) -> str:
        return str(wait_for(lambda: Select(field(name)).first_selected_option.get_attribute("value")))

    def ticket() -> dict[str, Any]:
        answer: dict[str, Any] = httpx.get(f"{server}/api/v1/tickets/{ref}", headers=admin, timeout=10).json()
        return answer

    # A field in use is not redrawn under the agent, though the pane is (a new note arrives).
    click_when(lambda: field("urgency"))  # found again if the pane redraws under the click
    urgency = field("urgency")  # focused now: kept through redraws
    note = {"body": "checked the USB hub", "public": False}
    httpx.post(f"{server}/api/v1/tickets/{ref}/comments", json=note, headers=admin, timeout=10)
    wait_for(lambda: "checked the USB hub" in browser.find_element(By.CSS_SELECTOR, "#pane .msgs").text)
    assert urgency.is_displayed() and browser.switch_to.active_element == urgency
    Select(urgency).select_by_value("high")
    wait_for(lambda: ticket()["urgency"] == "high")
    assert ticket()["priority"] != made["priority"]  # the priority follows
    choose("category", "hardware/laptop")
    wait_for(lambda: ticket()["category"] == "hardware/laptop")
    # Only where it can go from assigned: resolving takes a solution, giving back is routing's.
    wait_for(
        lambda: (
            [o.get_attribute("value") for o in Select(field("status")).options]
            == ["assigned", "cancelled", "in_progress", "pending"]
        )
    )
    click_action(browser, "Rename…")  # the subject says what it is, in the list too
    ask = wait_for(lambda: browser.switch_to.alert)
    ask.send_keys("Webcam not detected after the dock firmware update")
    ask.accept()
    wait_for(lambda: ticket()["subject"] == "Webcam not detected after the dock firmware update")
    wait_for(
        lambda: text_of(browser, "#pane h2") == f"{ref} Webcam not detected after the dock firmware update"
    )
    wait_for(lambda: "after the dock firmware update" in text_of(browser, "#items"))
    choose("status", "in_progress")  # taken: the agent's now
    wait_for(lambda: ticket()["status"] == "in_progress")
    choose("status", "pending")  # waiting on the requester: the SLA pauses
    wait_for(lambda: ticket()["status"] == "pending")
    assert ticket()["assignee"]["email"] == "tom.baker@example.com" and ticket()["sla"]["paused"] is True
    wait_for(lambda: shown("status") == "pending")
    choose("status", "cancelled")
    wait_for(lambda: browser.switch_to.alert).dismiss()  # not after all
    wait_for(lambda: shown("status") == "pending")
    assert ticket()["status"] == "pending"
    choose("status", "cancelled")
    wait_for(lambda: browser.switch_to.alert).accept()
    wait_for(lambda: ticket()["status"] == "cancelled")
    wait_for(lambda: not field("status").is_enabled())


def test_an_agent_reviews_a_drafted_article_and_publishes_it(browser: Any, server: str) -> None:
    """A resolution's solution becomes a draft; in the Knowledge tab it is read, corrected and
    published, and the bot then offers it."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    admin = bearer(server, "li.wei@example.com")
    made = open_ticket(server, admin, "Headset crackles in Teams calls", "vic@example.com")
    solution = {"solution": "Set the headset as the default device in Teams settings", "kb": True}
    httpx.post(f"{server}/api/v1/tickets/{made['ref']}/resolve", json=solution, headers=admin, timeout=10)
    sign_in(browser, server, "tom.baker@example.com")
    browser.find_element(By.ID, "tabKb").click()
    open_item(browser, "Headset crackles", tab="kb")
    form = text_of(browser, "#pane form.article-edit")
    assert made["ref"] in form and "Draft" in form  # where it came from
    title = browser.find_element(By.CSS_SELECTOR, "#pane input[name=title]")
    title.clear()
    title.send_keys("Teams headset crackles or is not heard")
    browser.find_element(By.CSS_SELECTOR, "#pane input[name=tags]").send_keys("teams, headset, audio")
    Select(browser.find_element(By.CSS_SELECTOR, "#pane select[name=category]")).select_by_value("software")
    click_when(lambda: browser.find_element(By.CSS_SELECTOR, "#pane button[data-to=published]"))
    wait_for(
        lambda: "Published" in [b.text for b in browser.find_elements(By.CSS_SELECTOR, "#filters button.on")]
    )
    listed = httpx.get(
        f"{server}/api/v1/kb/articles", params={"q": "headset"}, headers=admin, timeout=10
    ).json()
    article = listed["items"][0]
    assert (article["title"], article["status"], article["tags"], article["category"]) == (
        "Teams headset crackles or is not heard",
        "published",
        ["audio", "headset", "teams"],
        "software",
    )
    # Another keeper changes it meanwhile: Tom's save on top of the version he opened is refused.
    wait_for(lambda: browser.find_element(By.CSS_SELECTOR, "#pane button[data-to=archived]"))
    theirs = {"body": "In Teams, Settings > Devices: choose the headset as speaker and microphone."}
    httpx.put(f"{server}/api/v1/kb/articles/{article['id']}", json=theirs, headers=admin, timeout=10)
    body = browser.find_element(By.CSS_SELECTOR, "#pane textarea[name=body]")
    body.send_keys(" Restart Teams.")
    click_when(lambda: browser.find_element(By.CSS_SELECTOR, "#pane button[data-to=published]"))
    wait_for(lambda: "Someone else changed this article" in text_of(browser, "#pane form .sub"))
    kept = httpx.get(f"{server}/api/v1/kb/articles/{article['id']}", headers=admin, timeout=10).json()
    assert kept["body"] == theirs["body"]
    replies = say(server, "web-vic", "my headset crackles in teams calls")
    assert any("Teams headset crackles" in (r.get("text") or "") for r in replies), replies


def test_an_agent_changes_their_password_in_the_console(browser: Any, server: str) -> None:
    from selenium.common.exceptions import NoAlertPresentException
    from selenium.webdriver.common.by import By

    email = "chen.jing@example.com"  # no other test signs in as her; her console is in Chinese
    sign_in(browser, server, email)
    other = httpx.post(
        f"{server}/api/v1/auth/login", json={"email": email, "password": "frontdesk-demo"}, timeout=10
    )
    elsewhere = {"Authorization": f"Bearer {other.json()['token']}"}  # her phone, say
    browser.find_element(By.ID, "pwdBtn").click()

    def fill(current: str, new: str, again: str) -> str:
        for field, value in (("pwdCurrent", current), ("pwdNew", new), ("pwdRepeat", again)):
            box = browser.find_element(By.ID, field)
            box.clear()
            box.send_keys(value)
        browser.find_element(By.CSS_SELECTOR, "#pwdForm button[type=submit]").click()

        def said() -> str:  # an alert first: reading the page would dismiss it
            try:
                return str(browser.switch_to.alert.text)
            except NoAlertPresentException:
                return str(browser.find_element(By.ID, "pwdErr").text)

        return str(wait_for(said))

    assert fill("frontdesk-demo", "tea-and-biscuits", "tea-and-biscuit") == "两次输入的新密码不一致。"
    assert fill("guess", "tea-and-biscuits", "tea-and-biscuits") == "当前密码不正确。"
    assert fill("frontdesk-demo", "tea", "tea") == "新密码至少需要 8 个字符。"
    assert (
        httpx.get(f"{server}/api/v1/me", headers=elsewhere, timeout=10).status_code == 200
    )  # nothing changed
    done = fill("frontdesk-demo", "tea-and-biscuits", "tea-and-biscuits")
    assert done == "密码已修改，您在其他地方的登录已退出。"
    browser.switch_to.alert.accept()
    assert not browser.find_element(By.ID, "pwdDialog").is_displayed()
    assert httpx.get(f"{server}/api/v1/me", headers=elsewhere, timeout=10).status_code == 401
    browser.find_element(By.ID, "logout").click()
    sign_in(browser, server, email, "tea-and-biscuits")
    assert "Chen Jing" in text_of(browser, "#me")
    assert not [e for e in browser.get_log("browser") if e["source"] == "javascript"]


def test_the_sign_in_says_when_wrong_passwords_have_locked_it(browser: Any, server: str) -> None:
    from selenium.webdriver.common.by import By

    browser.get(f"{server}/console")
    email = "priya.patel@example.com"  # no other test signs in as her
    for guess in ("priya", "password", "123456", "frontdesk", "letmein"):
        for field, value in (("email", email), ("password", guess)):
            box = browser.find_element(By.ID, field)
            box.clear()
            box.send_keys(value)
        browser.find_element(By.CSS_SELECTOR, "#login button[type=submit]").click()
        wait_for(lambda: text_of(browser, "#loginErr") == "wrong e-mail or password")
        browser.execute_script("document.getElementById('loginErr').textContent = ''")
    box = browser.find_element(By.ID, "password")
    box.clear()
    box.send_keys("frontdesk-demo")
    browser.find_element(By.CSS_SELECTOR, "#login button[type=submit]").click()
    said = wait_for(lambda: text_of(browser, "#loginErr"))
    assert said == "Too many wrong passwords: try again in 15 min, or ask an admin to reset yours."
    assert browser.find_element(By.ID, "app").get_attribute("class") == "hidden"


def test_an_admin_adds_a_group_and_an_agent_resets_their_password_and_deactivates_them(
    browser: Any, server: str
) -> None:
    """The Team tab: an admin's own console (Li Wei's, in Chinese) for agents and groups."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    admin = bearer(server, "li.wei@example.com")
    sign_in(browser, server, "li.wei@example.com")
    browser.find_element(By.ID, "tabTeam").click()

    def pane_field(name: str) -> Any:
        return wait_for(lambda: browser.find_element(By.CSS_SELECTOR, f"#pane form [name='{name}']"))

    def type_into(name: str, text: str) -> None:
        box = pane_field(name)
        box.clear()
        box.send_keys(text)

    def submit() -> str:
        browser.find_element(By.CSS_SELECTOR, "#pane form button[type=submit]").click()
        return str(wait_for(lambda: text_of(browser, "#pane .done")))

    def sign_in_status(password: str) -> int:
        body = {"email": "olu.ade@example.com", "password": password}
        return httpx.post(f"{server}/api/v1/auth/login", json=body, timeout=10).status_code

    click_filter(browser, "组")
    open_item(browser, "新建组…", tab="team")
    type_into("name", "Facilities")
    type_into("description", "Desks, chairs and badges")
    Select(pane_field("routing")).select_by_value("least_loaded")
    assert submit() == "已创建组。"
    groups = httpx.get(f"{server}/api/v1/groups", headers=admin, timeout=10).json()["items"]
    made = next(g for g in groups if g["name"] == "Facilities")
    assert (made["routing"], made["description"], made["members"]) == (
        "least_loaded",
        "Desks, chairs and badges",
        [],
    )
    type_into("name", "Workplace")  # a better name, on second thought
    assert submit() == "已保存。"
    groups = httpx.get(f"{server}/api/v1/groups", headers=admin, timeout=10).json()["items"]
    assert [g["routing"] for g in groups if g["id"] == made["id"] and g["name"] == "Workplace"] == [
        "least_loaded"
    ]

    click_filter(browser, "坐席")
    open_item(browser, "新建坐席…", tab="team")
    type_into("name", "Olu Ade")
    type_into("email", "olu.ade@example.com")
    Select(pane_field("role")).select_by_value("supervisor")
    click_when(lambda: browser.find_element(By.CSS_SELECTOR, "#pane input[name='groups'][value='Workplace']"))
    type_into("skills", "desks，chairs")  # a Chinese comma too
    type_into("capacity", "3")
    type_into("password", "olu-first-pass")
    assert submit().startswith("已创建。其 API 令牌（仅显示这一次）：fd_")
    team = httpx.get(f"{server}/api/v1/agents", headers=admin, timeout=10).json()["items"]
    olu = next(a for a in team if a["email"] == "olu.ade@example.com")
    assert (olu["role"], olu["groups"], olu["skills"], olu["capacity"], olu["active"]) == (
        "supervisor", ["Workplace"], ["desks", "chairs"], 3, True,
    )  # fmt: skip
    assert sign_in_status("olu-first-pass") == 200
    wait_for(lambda: "Olu Ade" in text_of(browser, "#items"))

    click_when(
        lambda: next(
            b for b in browser.find_elements(By.CSS_SELECTOR, "#pane form button") if b.text == "重置密码…"
        )
    )
    ask = wait_for(lambda: browser.switch_to.alert)
    ask.send_keys("olu-second-pass")
    ask.accept()
    wait_for(lambda: text_of(browser, "#pane .done") == "已重置 Olu Ade 的密码，其登录已全部退出。")
    assert sign_in_status("olu-first-pass") == 401 and sign_in_status("olu-second-pass") == 200

    active = pane_field("active")
    assert active.is_selected()
    active.click()
    assert submit() == "已保存。其未完成的工单（0）和会话（0）已退回队列。"
    olu = httpx.get(f"{server}/api/v1/agents", headers=admin, timeout=10).json()["items"]
    assert next(a for a in olu if a["email"] == "olu.ade@example.com")["active"] is False
    assert sign_in_status("olu-second-pass") == 401  # gone: no sign-in, no work
    wait_for(lambda: "Olu Ade" in text_of(browser, "#items") and "已停用" in text_of(browser, "#items"))
    assert not [e for e in browser.get_log("browser") if e["source"] == "javascript"]


def test_a_supervisor_sees_the_team_but_only_an_admin_changes_it(browser: Any, server: str) -> None:
    from selenium.webdriver.common.by import By

    sign_in(browser, server, "maria.garcia@example.com")
    browser.find_element(By.ID, "tabTeam").click()
    listed = open_item(browser, "Tom Baker", tab="team")
    assert "tom.baker@example.com" in listed and "New agent…" not in text_of(browser, "#items")
    wait_for(lambda: text_of(browser, "#pane .done") == "Only an admin can change this.")
    fields = browser.find_elements(By.CSS_SELECTOR, "#pane form input, #pane form select")
    assert fields and not [f for f in fields if f.is_enabled()]
    assert browser.find_elements(By.CSS_SELECTOR, "#pane form button") == []
    browser.find_element(By.ID, "logout").click()
    sign_in(browser, server, "tom.baker@example.com")
    assert not browser.find_element(By.ID, "tabTeam").is_displayed()  # an agent has no Team tab


def test_an_agent_makes_an_api_token_and_an_admin_revokes_it_in_the_team_tab(
    browser: Any, server: str
) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    sign_in(browser, server, "maria.garcia@example.com")
    browser.find_element(By.ID, "pwdBtn").click()
    wait_for(lambda: "Console sign-in (this one)" in text_of(browser, "#myTokens"))
    browser.find_element(By.CSS_SELECTOR, "#myTokens input[name=tokenName]").send_keys("Grafana", Keys.ENTER)
    shown = wait_for(lambda: browser.find_element(By.CSS_SELECTOR, "#myTokens .made input"))
    made = {"Authorization": f"Bearer {shown.get_attribute('value')}"}
    assert "Copy it now: it is not shown again." in text_of(browser, "#myTokens .made")
    assert (
        httpx.get(f"{server}/api/v1/me", headers=made, timeout=10).json()["email"]
        == "maria.garcia@example.com"
    )
    browser.find_element(By.ID, "pwdCancel").click()
    browser.find_element(By.ID, "logout").click()

    sign_in(browser, server, "li.wei@example.com")
    browser.find_element(By.ID, "tabTeam").click()
    open_item(browser, "Maria Garcia", tab="team")

    def grafana() -> Any:
        rows = browser.find_elements(By.CSS_SELECTOR, "#pane .tokens tr")
        return next((r for r in rows if r.text.startswith("Grafana")), None)

    wait_for(grafana).find_element(By.TAG_NAME, "button").click()
    ask = wait_for(lambda: browser.switch_to.alert)
    assert "Grafana" in ask.text  # Li Wei's console is in Chinese
    ask.accept()
    wait_for(lambda: grafana() is None)
    assert httpx.get(f"{server}/api/v1/me", headers=made, timeout=10).status_code == 401
    assert not [e for e in browser.get_log("browser") if e["source"] == "javascript"]


def test_an_admin_adds_a_category_and_the_bot_files_tickets_under_it(browser: Any, server: str) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    sign_in(browser, server, "li.wei@example.com")  # her console is in Chinese
    browser.find_element(By.ID, "tabTeam").click()
    click_filter(browser, "分类")
    open_item(browser, "新建分类…", tab="team")
    fields = {"path": "hardware/webcam", "name": "Webcam", "name_zh": "摄像头", "keywords": "webcam, 摄像头"}
    for name, value in fields.items():
        wait_for(lambda n=name: browser.find_element(By.CSS_SELECTOR, f"#pane input[name={n}]")).send_keys(
            value
        )
    Select(browser.find_element(By.CSS_SELECTOR, "#pane select[name=group]")).select_by_value("Applications")
    browser.find_element(By.CSS_SELECTOR, "#pane button[type=submit]").click()
    wait_for(lambda: text_of(browser, "#pane .done") == "分类已添加，机器人从现在起会把工单归入此分类。")
    assert "hardware/webcam" in text_of(browser, "#items")

    said = say(server, "web-wes", "my webcam is broken, it shows only a black picture")
    if any(b["payload"] == "/not_solved" for r in said for b in r.get("buttons") or []):
        said = say(server, "web-wes", "/not_solved")
    said = say(server, "web-wes", "/urgency medium")
    ref = re.search(r"\bINC-\d+", " ".join(r.get("text", "") for r in said))
    assert ref is not None, said
    admin = bearer(server, "li.wei@example.com")
    filed = httpx.get(f"{server}/api/v1/tickets/{ref.group(0)}", headers=admin, timeout=10).json()
    assert (filed["category"], filed["group"]["name"]) == ("hardware/webcam", "Applications")
    # Retired: kept in the list, marked, and out of the bot's choices.
    click_when(lambda: browser.find_element(By.CSS_SELECTOR, "#pane input[name=active]"))
    browser.find_element(By.CSS_SELECTOR, "#pane button[type=submit]").click()
    wait_for(lambda: "已停用" in text_of(browser, "#items"))
    listed = httpx.get(f"{server}/api/v1/categories", headers=admin, timeout=10).json()["items"]
    assert "hardware/webcam" not in [c["path"] for c in listed]
    # Renamed: a new path, and its ticket follows.
    box = browser.find_element(By.CSS_SELECTOR, "#pane input[name=path]")
    box.clear()
    box.send_keys("hardware/camera")
    browser.find_element(By.CSS_SELECTOR, "#pane button[type=submit]").click()
    wait_for(lambda: "hardware/camera" in text_of(browser, "#items"))
    filed = httpx.get(f"{server}/api/v1/tickets/{ref.group(0)}", headers=admin, timeout=10).json()
    assert filed["category"] == "hardware/camera"
    # Holding a ticket, it cannot be deleted: the server says to retire it (it is).
    click_when(
        lambda: next(
            b for b in browser.find_elements(By.CSS_SELECTOR, "#pane form button") if b.text == "删除"
        )
    )
    wait_for(lambda: browser.switch_to.alert).accept()
    refusal = wait_for(lambda: browser.switch_to.alert)
    assert "retire it instead" in refusal.text
    refusal.accept()
    assert not [e for e in browser.get_log("browser") if e["source"] == "javascript"]


def test_an_agent_resolves_in_the_chat_and_the_bot_asks_the_user_to_confirm_and_rate(
    browser: Any, server: str
) -> None:

    said = say(server, "web-yuki", "I need a person, my docking station stopped charging the laptop")
    ref = re.search(r"\bINC-\d+", " ".join(r.get("text", "") for r in said))
    assert ref is not None, said
    sign_in(browser, server, "tom.baker@example.com")
    open_item(browser, "docking station")
    click_action(browser, "Take over")
    click_action(browser, f"Resolve {ref.group(0)}…")  # there only once the chat is his
    ask = wait_for(lambda: browser.switch_to.alert)
    ask.send_keys("Swapped the dock's power supply")
    ask.accept()
    wait_for(lambda: browser.switch_to.alert).dismiss()  # no knowledge-base draft
    wait_for(lambda: text_of(browser, "#pane .head .badge") == "with the bot")  # the chat went back
    last = httpx.get(
        f"{server}/webhooks/rest/messages", params={"sender": "web-yuki", "after": "0"}, timeout=10
    )
    resolution = last.json()["messages"][-1]
    assert "Swapped the dock's power supply" in resolution["text"]
    confirmed = say(server, "web-yuki", resolution["buttons"][0]["payload"])  # "Yes, it's fixed"
    assert [b["payload"] for b in confirmed[-1]["buttons"]][-1] == f"/rate {ref.group(0)} 5"
    assert not [e for e in browser.get_log("browser") if e["source"] == "javascript"]


def test_a_browser_set_to_taiwans_chinese_gets_the_console_in_traditional_characters(
    browser: Any, server: str
) -> None:
    from selenium.webdriver.common.by import By

    agent = browser.execute_script("return navigator.userAgent")
    browser.execute_cdp_cmd("Emulation.setUserAgentOverride", {"userAgent": agent, "acceptLanguage": "zh-TW"})
    sign_in(browser, server, "zhang.min@example.com")  # her console language is Chinese
    assert browser.execute_script("return navigator.language") == "zh-TW"
    wait_for(lambda: browser.find_element(By.ID, "tabConv").text == "會話")
    assert browser.execute_script("return document.documentElement.lang") == "zh-TW"
    browser.find_element(By.CSS_SELECTOR, "header button.lang").click()
    assert browser.find_element(By.ID, "tabConv").text == "Conversations"
    browser.find_element(By.CSS_SELECTOR, "header button.lang").click()
    assert browser.find_element(By.ID, "tabConv").text == "會話"  # back to her Chinese, not to Simplified
    assert not [e for e in browser.get_log("browser") if e["source"] == "javascript"]


@pytest.mark.parametrize(("language", "send"), [("en-US", "Send"), ("zh-CN", "发送"), ("zh-TW", "傳送")])
def test_a_user_talks_to_the_bot_in_the_web_chat_in_their_browsers_language(
    browser: Any, server: str, language: str, send: str
) -> None:
    from selenium.webdriver.common.by import By

    agent = browser.execute_script("return navigator.userAgent")
    browser.execute_cdp_cmd(
        "Emulation.setUserAgentOverride", {"userAgent": agent, "acceptLanguage": language}
    )
    browser.get(f"{server}/chat?sender=web-page-{language}")
    button = browser.find_element(By.ID, "send")
    assert button.text == send  # it said "Send" to everyone
    said = {"en-US": "my printer shows offline", "zh-CN": "打印机显示脱机", "zh-TW": "印表機顯示離線"}[
        language
    ]
    browser.find_element(By.ID, "text").send_keys(said)
    button.click()

    def bot_says() -> list[str]:
        return [m.text for m in browser.find_elements(By.CSS_SELECTOR, "#log .msg.bot")]

    greeting, *answer = wait_for(lambda: len(bot_says()) > 1 and bot_says())
    # The greeting was in both languages for everyone, under a title in the browser's.
    assert (
        greeting
        == {
            "en-US": "Hi! Tell me about your IT problem, or say “help”.",
            "zh-CN": "您好！请描述您的 IT 问题，或输入“帮助”。",
            "zh-TW": "您好！請描述您的 IT 問題，或輸入「幫助」。",
        }[language]
    )
    assert answer and all("Connection problem" not in text for text in answer)
    assert browser.find_elements(By.CSS_SELECTOR, "#log .buttons button")  # something to tap
    assert not [e for e in browser.get_log("browser") if e["source"] == "javascript"]


def test_a_web_address_in_the_web_chat_is_a_link(browser: Any, server: str) -> None:
    # The reset page in the article, an approval link: plain text that had to be copied by hand.
    from selenium.webdriver.common.by import By

    browser.get(f"{server}/chat?sender=web-links")
    browser.find_element(By.ID, "text").send_keys("I forgot my password")
    browser.find_element(By.ID, "send").click()
    link = wait_for(lambda: browser.find_elements(By.CSS_SELECTOR, "#log .msg.bot a[href^='https://']"))[0]
    assert (
        link.get_attribute("href") == "https://password.example.com/"
        and link.text == "https://password.example.com"
    )
    assert link.get_attribute("target") == "_blank"
    text = link.find_element(By.XPATH, "..").text
    assert "Go to https://password.example.com, enter your work e-mail" in text  # the comma stays text
    assert not [e for e in browser.get_log("browser") if e["source"] == "javascript"]


def test_a_web_chat_reopened_shows_the_conversation_so_far(browser: Any, server: str) -> None:
    # A reload showed only the greeting: the report, the bot's questions and an agent's answer
    # were gone from the page, though the chat went on (2026-12-06).
    from selenium.webdriver.common.by import By

    browser.get(f"{server}/chat?sender=web-reload")
    browser.find_element(By.ID, "text").send_keys("my monitor flickers all the time")
    browser.find_element(By.ID, "send").click()
    wait_for(lambda: browser.find_elements(By.CSS_SELECTOR, "#log .buttons button"))
    browser.refresh()
    shown = wait_for(lambda: [m.text for m in browser.find_elements(By.CSS_SELECTOR, "#log .msg")])
    assert shown[0] == "my monitor flickers all the time", shown  # the user's words, then the bot's
    assert "Tell me about your IT problem" not in " ".join(shown)  # no greeting over it
    assert browser.find_elements(By.CSS_SELECTOR, "#log .buttons button")  # the last question's
    assert not [e for e in browser.get_log("browser") if e["source"] == "javascript"]


def test_a_message_over_the_rate_limit_is_kept_in_the_box_to_send_again(browser: Any, server: str) -> None:
    from selenium.webdriver.common.by import By

    sender = "web-flood"
    for n in range(30):  # channels.rest.sender_limit in config.yml: 30 a minute
        say(server, sender, f"hello {n}")
    browser.get(f"{server}/chat?sender={sender}")
    box = browser.find_element(By.ID, "text")
    box.send_keys("my printer shows offline")
    browser.find_element(By.ID, "send").click()
    notes = wait_for(
        lambda: [
            m.text for m in browser.find_elements(By.CSS_SELECTOR, "#log .msg.note") if "too many" in m.text
        ]
    )
    assert re.search(r"That was not sent: too many messages at once\. Send it again in \d+ s\.", notes[0])
    assert "发送过于频繁" in notes[0]
    assert box.get_attribute("value") == "my printer shows offline"  # the words are not lost
    assert "Connection problem" not in browser.find_element(By.ID, "log").text
    assert not [e for e in browser.get_log("browser") if e["source"] == "javascript"]
