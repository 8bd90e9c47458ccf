"""The web pages in a real browser: Playwright driving Debian's Chromium (/usr/bin/chromium,
installed by .ci/run; Playwright never downloads one) against a real `minutes serve` on a
free port with its own SQLite store.

The scenario signs in, drops a bundled example on the upload zone, watches its job until the
notes are ready, clicks a quote and checks that its transcript line is scrolled to and
highlighted, copies the Markdown, downloads the JSON, marks an action item done and sees it
move (and stay moved after a reload), and reads the charts of the spend page. Every page is
screenshotted under the test's tmp_path (checked not blank: size and pixel variety) and
checked by axe-core (tests/data/axe-core, MPL-2.0): no critical violations. No request may
leave the server, and no Content-Security-Policy violation may be reported.

MINUTES_DOCS_SCREENSHOTS=<folder> also writes the meeting and spend screenshots there
(docs/web-meeting.png and docs/web-spend.png of the README were made that way).
"""

from __future__ import annotations

import base64
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright
from web_helpers import seed_ledger

from conftest import EXAMPLES, make_keys
from minutes.store.budgets import set_budget
from minutes.store.db import open_store

CHROMIUM = Path("/usr/bin/chromium")
AXE = Path(__file__).resolve().parents[1] / "data" / "axe-core" / "axe.min.js"
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SECRET = "browser-test-secret-" + "x" * 24


@dataclass
class Server:
    base: str
    keys: dict[str, str]
    url: str
    log: Path
    meetings: dict[str, str] = field(default_factory=dict)

    def api(self, tenant: str = "acme") -> httpx.Client:
        return httpx.Client(
            base_url=self.base, headers={"Authorization": f"Bearer {self.keys[tenant]}"}
        )


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    root = tmp_path_factory.mktemp("web")
    url = f"sqlite:///{root / 'web.db'}"
    keys = make_keys(url, "acme", "globex")
    config = root / "empty.toml"
    config.write_text("")
    port = _free_port()
    env = {
        **os.environ,
        "MINUTES_DATABASE_URL": url,
        "MINUTES_CONFIG": str(config),
        "MINUTES_WEB_SECRET": SECRET,
        "XDG_DATA_HOME": str(root / "data"),
        "XDG_CACHE_HOME": str(root / "cache"),
    }
    exe = shutil.which("minutes", path=str(Path(sys.executable).parent)) or "minutes"
    log = root / "serve.log"
    with log.open("w") as out:
        proc = subprocess.Popen(
            [exe, "serve", "--host", "127.0.0.1", "--port", str(port)],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            if proc.poll() is not None:
                raise AssertionError(f"minutes serve exited:\n{log.read_text()[-3000:]}")
            try:
                if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise AssertionError(f"minutes serve did not answer:\n{log.read_text()[-3000:]}")
            time.sleep(0.2)
        yield Server(base, keys, url, log)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    assert CHROMIUM.exists(), (
        f"{CHROMIUM} is missing: apt-get install -y chromium (.ci/run installs it); "
        "Playwright must not download a browser"
    )
    with sync_playwright() as p:
        launched = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS, headless=True)
        try:
            yield launched
        finally:
            launched.close()


def _submit(server: Server, name: str, tenant: str, title: str) -> str:
    with server.api(tenant) as api:
        response = api.post(
            "/v1/meetings",
            json={
                "text": (EXAMPLES / name).read_text(),
                "title": title,
                "options": {"engine": "extractive"},
            },
        )
        assert response.status_code in (200, 202), response.text
        job = response.json()["job_id"]
        deadline = time.monotonic() + 60
        while api.get(f"/v1/jobs/{job}").json()["status"] not in ("done", "failed"):
            assert time.monotonic() < deadline, "job not finished in 60 s"
            time.sleep(0.1)
        meeting_id: str = response.json()["meeting_id"]
        return meeting_id


# --- what every page is checked for ----------------------------------------------------


@dataclass
class Watch:
    """What a browser context did: its requests, console messages and script errors."""

    base: str
    requests: list[str] = field(default_factory=list)
    console: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)

    def attach(self, page: Page) -> Page:
        page.on("console", lambda m: self.console.append(f"{m.type}: {m.text}"))
        page.on("pageerror", lambda e: self.errors.append(str(e)))
        page.on(
            "response",
            lambda r: (
                self.refused.append(f"{r.status} {r.request.method} {r.url}")
                if r.status >= 400
                else None
            ),
        )
        return page

    def check(self, *refused: str) -> None:
        """``refused``: patterns of the 4xx/5xx answers the test expected, in order."""
        assert len(self.refused) == len(refused), self.refused
        for got, wanted in zip(self.refused, refused, strict=True):
            assert re.fullmatch(wanted, got.replace(self.base, "")), (got, wanted)
        outside = [
            u for u in self.requests if not u.startswith((self.base, "data:", "blob:", "about:"))
        ]
        assert not outside, outside
        assert not [c for c in self.console if "Content Security Policy" in c], self.console
        # "Failed to load resource" are the refused answers checked above.
        problems = [
            c for c in self.console if c.startswith("error") and "Failed to load resource" not in c
        ]
        assert not problems, self.console
        assert not self.errors, self.errors


def _context(browser: Browser, server: Server, **kwargs: Any) -> tuple[Any, Watch]:
    context = browser.new_context(accept_downloads=True, reduced_motion="reduce", **kwargs)
    context.add_init_script(path=str(AXE))  # added to each document before its own scripts
    watch = Watch(server.base)
    context.on("request", lambda r: watch.requests.append(r.url))
    return context, watch


def _sign_in(page: Page, server: Server, tenant: str) -> None:
    page.goto(f"{server.base}/sign-in")
    page.fill("#api_key", server.keys[tenant])
    page.click("form[action='/sign-in'] button[type=submit]")
    expect(page).to_have_url(re.compile(r"/meetings$"))


_PIXELS = """async (b64) => {
  const img = new Image();
  img.src = "data:image/png;base64," + b64;
  await img.decode();
  const canvas = document.createElement("canvas");
  canvas.width = img.width; canvas.height = img.height;
  const ctx = canvas.getContext("2d");
  ctx.drawImage(img, 0, 0);
  const data = ctx.getImageData(0, 0, img.width, img.height).data;
  const counts = new Map();
  let samples = 0;
  const step = Math.max(1, Math.floor(img.width * img.height / 20000));
  for (let i = 0; i < img.width * img.height; i += step) {
    const k = (data[i*4] << 16) | (data[i*4+1] << 8) | data[i*4+2];
    counts.set(k, (counts.get(k) || 0) + 1);
    samples += 1;
  }
  const top = Math.max(...counts.values());
  return {width: img.width, height: img.height, colours: counts.size, dominant: top / samples};
}"""

_AXE = """async () => {
  const result = await axe.run(document, {resultTypes: ["violations"]});
  return result.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
    nodes: v.nodes.slice(0, 3).map(n => n.target.join(" "))}));
}"""


def _inspect(page: Page, shots: Path, name: str, *, full_page: bool = True) -> Path:
    """Screenshot (not blank) and axe-core (no critical violation) of the page as it is."""
    path = shots / f"{name}.png"
    page.screenshot(path=str(path), full_page=full_page)
    data = path.read_bytes()
    assert len(data) > 10_000, (name, len(data))
    blank = page.context.new_page()  # no page CSP there: the PNG is read through a canvas
    try:
        stats = blank.evaluate(_PIXELS, base64.b64encode(data).decode("ascii"))
    finally:
        blank.close()
    assert stats["width"] >= 300 and stats["height"] >= 300, (name, stats)
    assert stats["colours"] >= 16 and stats["dominant"] < 0.97, (name, stats)
    violations = page.evaluate(_AXE)
    critical = [v for v in violations if v["impact"] == "critical"]
    assert not critical, (name, critical)
    serious = [v for v in violations if v["impact"] == "serious"]
    assert not serious, (name, serious)
    return path


def _docs_copy(path: Path, name: str) -> None:
    folder = os.environ.get("MINUTES_DOCS_SCREENSHOTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, Path(folder) / name)


def _line_visible(page: Page, segment: str) -> bool:
    """Whether the transcript line is inside both the transcript's scroll box and the window."""
    return bool(
        page.evaluate(
            """(seg) => {
              const li = document.getElementById("seg-" + seg);
              const box = document.getElementById("transcript").getBoundingClientRect();
              const r = li.getBoundingClientRect();
              return r.top >= Math.max(box.top, 0) - 1
                && r.bottom <= Math.min(box.bottom, innerHeight) + 1;
            }""",
            segment,
        )
    )


# --- the scenario ----------------------------------------------------------------------


def test_sign_in_upload_quote_commit_and_spend(
    server: Server, browser: Browser, tmp_path: Path
) -> None:
    seed_ledger(server.url, "acme", days=6)
    store = open_store(server.url)
    try:
        with store.transaction() as session:
            set_budget(session, "acme", daily_usd=Decimal("0.40"), monthly_usd=Decimal("25"))
    finally:
        store.close()
    context, watch = _context(browser, server, viewport={"width": 1280, "height": 900})
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=server.base)
    page = watch.attach(context.new_page())

    # Sign in: a bad key first.
    page.goto(f"{server.base}/meetings")
    expect(page).to_have_url(re.compile(r"/sign-in\?next=/meetings$"))
    page.fill("#api_key", "mk_not-a-key")
    page.click("form[action='/sign-in'] button[type=submit]")
    expect(page.locator("#signin-error")).to_contain_text("not valid")
    _inspect(page, tmp_path, "sign-in")
    page.fill("#api_key", server.keys["acme"])
    page.click("form[action='/sign-in'] button[type=submit]")
    expect(page).to_have_url(re.compile(r"/meetings$"))
    cookies = {c["name"]: c for c in context.cookies()}
    assert cookies["minutes_session"]["httpOnly"] is True
    assert cookies["minutes_session"]["sameSite"] == "Lax"
    assert page.evaluate("document.cookie") == ""  # nothing a script can read

    # Upload: a file dropped on the zone, then its job watched until the notes are ready.
    text = (EXAMPLES / "standup.vtt").read_text()
    transfer = page.evaluate_handle(
        """([name, text]) => { const d = new DataTransfer();
             d.items.add(new File([text], name, {type: "text/vtt"})); return d; }""",
        ["standup.vtt", text],
    )
    page.dispatch_event("#dropzone", "drop", {"dataTransfer": transfer})
    expect(page.locator("#file-name")).to_have_text("standup.vtt")
    page.fill("#title", "Standup")
    page.fill("#date", "2025-03-11")
    page.select_option("#engine", "extractive")
    page.click("#upload-button")
    expect(page.locator("#open-notes")).to_be_visible(timeout=60_000)
    expect(page.locator("#job-status")).to_have_text("done")
    _inspect(page, tmp_path, "meetings-uploaded")

    # One meeting: notes beside the transcript; a quote finds its line.
    page.click("#open-notes")
    expect(page.locator("h1")).to_have_text("Standup")
    expect(page.locator(".notice")).to_contain_text("Extractive notes (no LLM)")
    expect(page.locator("#kp-h .badge")).to_have_text("extractive")
    quotes = page.locator("button.quote")
    assert quotes.count() >= 10
    segments = [int(s) for s in quotes.evaluate_all("bs => bs.map(b => b.dataset.segment)")]
    last = max(range(len(segments)), key=lambda i: segments[i])
    target = str(segments[last])
    assert not _line_visible(page, target)  # off screen before the click
    quote = quotes.nth(last)
    quote_text = quote.locator("q").inner_text()
    quote.click()
    line = page.locator(f"#seg-{target}")
    expect(line).to_have_class(re.compile(r"\bhighlighted\b"))
    expect(line).to_have_attribute("aria-current", "true")
    assert line.locator("mark").inner_text().casefold() == quote_text.casefold()
    assert _line_visible(page, target)
    assert page.locator(".transcript li.highlighted").count() == 1
    meeting_shot = _inspect(page, tmp_path, "meeting", full_page=False)
    _docs_copy(meeting_shot, "web-meeting.png")
    _inspect(page, tmp_path, "meeting-full")

    # The keyboard reaches a quote, and Enter on it moves the highlight there.
    page.locator("body").focus()
    page.evaluate("window.scrollTo(0, 0); document.activeElement.blur()")
    for _ in range(80):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.matches('button.quote')"):
            break
    else:
        raise AssertionError("no quote reached with Tab")
    first_segment = page.evaluate("document.activeElement.dataset.segment")
    page.keyboard.press("Enter")
    expect(page.locator(f"#seg-{first_segment}")).to_have_class(re.compile(r"\bhighlighted\b"))
    assert page.evaluate("document.activeElement.id") == f"seg-{first_segment}"

    # Copy as Markdown, download JSON.
    page.click("#copy-md")
    expect(page.locator("#copy-status")).to_have_text("Copied.")
    assert page.evaluate("navigator.clipboard.readText()").startswith("# Standup")
    with page.expect_download() as download:
        page.click("text=Download JSON")
    notes = json.loads(Path(download.value.path()).read_text())
    assert notes["title"] == "Standup" and notes["key_points"] and notes["action_items"]

    # Commitments: overdue ones marked; one marked done moves to the done list, and stays.
    page.click("nav >> text=Commitments")
    expect(page.locator("h1")).to_have_text("Commitments")
    assert page.locator('ul[data-list="open"] li.action.overdue .overdue-badge').count() >= 5
    item = page.locator('ul[data-list="open"] li.action.overdue').first
    action_id = item.get_attribute("data-action")
    who = item.evaluate("li => li.closest('.group').dataset.assignee")
    group = page.locator(f'section.group[data-assignee="{who}"]')
    item.locator("button").click()
    moved = group.locator(f'ul[data-list="done"] #action-{action_id}')
    expect(moved).to_be_visible()
    expect(moved.locator("button")).to_have_text("Reopen")
    expect(moved.locator(".status")).to_have_text("done")
    assert group.locator(f'ul[data-list="open"] #action-{action_id}').count() == 0
    _inspect(page, tmp_path, "commitments")
    page.reload()
    expect(group.locator(f'ul[data-list="done"] #action-{action_id}')).to_be_visible()
    group.locator(f"#action-{action_id} button").click()
    back = group.locator(f'ul[data-list="open"] #action-{action_id}')
    expect(back).to_be_visible()
    expect(back).to_have_class(re.compile(r"\boverdue\b"))
    expect(back.locator(".overdue-badge")).to_be_visible()

    # Decisions, newest first, each with its meeting.
    page.click("nav >> text=Decisions")
    expect(page.locator("h1")).to_have_text("Decisions")
    assert page.locator("li.decision").count() >= 3
    expect(page.locator("li.decision a").first).to_have_attribute(
        "href", re.compile(r"^/meetings/[0-9a-f]{32}$")
    )
    _inspect(page, tmp_path, "decisions")

    # Spend and health: every chart has data points, drawn.
    page.goto(f"{server.base}/spend?days=7")
    expect(page.locator("h1")).to_have_text("Spend and health")
    figures = page.locator("figure.chart")
    assert figures.count() == 8
    for i in range(figures.count()):
        fig = figures.nth(i)
        caption = fig.locator("figcaption").inner_text()
        assert fig.locator("svg .point").count() >= 1, caption
    day_bars = page.locator("figure.chart:has(figcaption:text-is('Cost per day')) rect.point")
    assert day_bars.count() == 7
    heights = [day_bars.nth(i).bounding_box()["height"] for i in range(7)]  # type: ignore[index]
    assert (
        sum(h > 1 for h in heights) == 6 - 0 - (1 if heights[0] <= 1 else 0)
        or sum(h > 1 for h in heights) >= 5
    )
    p95 = page.locator("figure.chart:has(figcaption:text-is('p95 latency per model'))")
    assert p95.locator("circle.point").count() >= 10
    assert p95.locator(".legend li").count() == 2
    assert page.locator("rect.point[data-limit='0.4']").count() == 1
    spend_shot = _inspect(page, tmp_path, "spend")
    _docs_copy(spend_shot, "web-spend.png")

    # Sign out: the pages are closed again.
    page.click("text=Sign out")
    expect(page).to_have_url(re.compile(r"/sign-in$"))
    page.goto(f"{server.base}/commitments")
    expect(page).to_have_url(re.compile(r"/sign-in\?next=/commitments$"))
    watch.check(r"401 POST /sign-in")
    context.close()


def test_another_tenant_gets_not_found(server: Server, browser: Browser, tmp_path: Path) -> None:
    meeting_id = _submit(server, "one_on_one.txt", "acme", "Acme 1:1")
    context, watch = _context(browser, server)
    page = watch.attach(context.new_page())
    _sign_in(page, server, "globex")
    response = page.goto(f"{server.base}/meetings/{meeting_id}")
    assert response is not None and response.status == 404
    expect(page.locator("h1")).to_have_text("Not found")
    page.goto(f"{server.base}/meetings")
    expect(page.locator("body")).not_to_contain_text("Acme 1:1")
    _inspect(page, tmp_path, "globex-meetings")
    watch.check(r"404 GET /meetings/[0-9a-f]{32}")
    context.close()


def test_a_phone_reads_the_meeting_without_sideways_scrolling(
    server: Server, browser: Browser, tmp_path: Path
) -> None:
    meeting_id = _submit(server, "sales_call.txt", "acme", "Renewal call")
    context, watch = _context(
        browser, server, viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True
    )
    page = watch.attach(context.new_page())
    _sign_in(page, server, "acme")
    for path in (f"/meetings/{meeting_id}", "/meetings", "/commitments", "/spend"):
        page.goto(f"{server.base}{path}")
        wide = page.evaluate("document.documentElement.scrollWidth - innerWidth")
        assert wide <= 1, (path, wide)
    page.goto(f"{server.base}/meetings/{meeting_id}")
    page.locator("button.quote").first.tap()
    expect(page.locator(".transcript li.highlighted")).to_have_count(1)
    _inspect(page, tmp_path, "phone-meeting", full_page=False)
    watch.check()
    context.close()
