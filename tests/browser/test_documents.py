"""Documents in real browsers: two people type into one document at once and end with the
same text holding every keystroke; one goes offline, types, comes back and merges.

Served by uvicorn (tests/browser/asgi_server.py): the page loads the vendored Yjs, ProseMirror
and y-prosemirror through its import map, so this also proves the vendored modules load with no
build step. People type into the rich-text editor (ProseMirror's contenteditable) with the
keyboard; the text compared is the editor's document (blocks separated by a newline), and the
server's is the Markdown it reads from the same Yjs state.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, WebSocketRoute, expect

from documents import crdt, services
from documents.models import Document
from tests.browser.asgi_server import AsgiServer, asgi_live_server  # noqa: F401 (fixture)
from tests.browser.helpers import VIEWPORT, log_in
from tests.browser.screenshots import capture
from tests.conftest import World
from tests.factories.core import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]


@pytest.fixture
def new_context(browser: Browser, asgi_live_server: AsgiServer, settings) -> Iterator:  # noqa: F811
    settings.SESSION_EXPIRE_AT_BROWSER_CLOSE = True
    settings.CSRF_COOKIE_AGE = None
    settings.LIVE_PAGES = True
    made: list[BrowserContext] = []

    def make() -> BrowserContext:
        context = browser.new_context(base_url=asgi_live_server.url, viewport=VIEWPORT)
        context.set_default_timeout(10_000)
        made.append(context)
        return context

    yield make
    for context in made:
        context.close()


def _open(new_context, email: str, url: str, network: Network | None = None) -> Page:
    context = new_context()
    if network is not None:
        context.route_web_socket("**/documents/**", network.handle)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.errors = errors  # type: ignore[attr-defined]
    log_in(page, email=email, password=PASSWORD)
    page.wait_for_url("**/w/**")
    page.goto(url)
    expect(page.locator("#document-status")).to_have_text("All changes saved")
    return page


class Network:
    """A switchable network for one browser's document socket: offline drops the socket and
    refuses reconnects (the page keeps retrying with its backoff), online lets them through."""

    def __init__(self) -> None:
        self.online = True
        self.current: WebSocketRoute | None = None

    def handle(self, route: WebSocketRoute) -> None:
        if not self.online:
            route.close(code=1001, reason="offline")
            return
        route.connect_to_server()
        self.current = route

    def go_offline(self) -> None:
        self.online = False
        if self.current is not None:
            self.current.close(code=1001, reason="offline")


EDITOR = "#document-text"


def _text(page: Page) -> str:
    return page.evaluate("() => document.getElementById('document-editor').plainText()")


def _focus(page: Page) -> None:
    """Click into the text as a person would: on its first block (a click in the empty space
    below the text leaves Chromium's caret where keys like Ctrl+Home do not move it)."""
    page.locator(f"{EDITOR} > *").first.click()
    # For 200 ms after the editor gains focus, prosemirror-view takes a caret that lands at the
    # very start for the browser resetting it and puts its own selection back (its DOM
    # observer, reading `view.input.lastFocus`): a person's Ctrl+Home comes later than that,
    # Playwright's at once and would be undone. Wait until that window has passed.
    page.wait_for_function(
        "() => { const view = document.getElementById('document-editor').editorView;"
        " return view.hasFocus() && Date.now() - view.input.lastFocus > 250; }"
    )


def _expect_text(page: Page, expected: str | re.Pattern[str], timeout: float = 10_000) -> None:
    """Wait until the editor's text is `expected` (or matches it), exactly: no whitespace
    folding, unlike to_have_text."""
    if isinstance(expected, re.Pattern):
        pattern = expected
    else:
        pattern = re.compile(f"^{re.escape(expected)}$")
    flags = "s" if pattern.flags & re.S else ""
    try:
        page.wait_for_function(
            "([source, flags]) => new RegExp(source, flags)"
            ".test(document.getElementById('document-editor').plainText())",
            arg=[pattern.pattern, flags],
            timeout=timeout,
        )
    except Exception as exc:
        raise AssertionError(f"editor text {_text(page)!r} is not {expected!r}") from exc


def test_two_browsers_typing_at_once_end_identical(new_context, world: World) -> None:
    document = services.create_document(actor=world.member, title="Launch PRD", text="Start.")
    url = f"/w/{world.workspace.slug}/documents/{document.pk}/"
    alice = _open(new_context, world.member.user.email, url)
    bob = _open(new_context, world.admin.user.email, url)
    expect(alice.locator("#document-presence")).to_contain_text(world.admin.user.display_name)
    a_words, b_words = " alpha beta gamma", " one two three 45"
    # Both carets in the same place, typing interleaved key by key, before either hears of
    # the other's last key.
    for page in (alice, bob):
        _focus(page)
        page.keyboard.press("End")
    for a_key, b_key in zip(a_words, b_words, strict=True):
        alice.keyboard.type(a_key)
        bob.keyboard.type(b_key)
    # Every keystroke of both reaches both pages (the length says so), then they are equal.
    length = len("Start." + a_words + b_words)
    for page in (alice, bob):
        expect(page.locator("#document-status")).to_have_text("All changes saved")
        _expect_text(page, re.compile(f"^.{{{length}}}$", re.S))
    _expect_text(bob, _text(alice))
    final = _text(alice)
    assert Counter(final) == Counter("Start." + a_words + b_words)
    assert crdt.text_of(Document.objects.get(pk=document.pk)) == final
    assert alice.errors == []  # type: ignore[attr-defined]
    assert bob.errors == []  # type: ignore[attr-defined]


def test_offline_edits_merge_when_the_browser_reconnects(new_context, world: World) -> None:
    document = services.create_document(actor=world.member, title="Retro", text="Keep:")
    url = f"/w/{world.workspace.slug}/documents/{document.pk}/"
    network = Network()
    alice = _open(new_context, world.member.user.email, url, network)
    bob = _open(new_context, world.admin.user.email, url)
    network.go_offline()
    expect(alice.locator("#document-status")).to_contain_text("Reconnecting")
    _focus(alice)
    alice.keyboard.press("End")
    alice.keyboard.type(" offline")
    _focus(bob)
    bob.keyboard.press("Home")
    bob.keyboard.type("Online ")
    expect(bob.locator("#document-status")).to_have_text("All changes saved")
    assert "offline" not in crdt.text_of(Document.objects.get(pk=document.pk))
    network.online = True
    _expect_text(alice, "Online Keep: offline", timeout=40_000)
    _expect_text(bob, "Online Keep: offline", timeout=40_000)


def _hex_to_rgb(colour: str) -> str:
    r, g, b = (int(colour[i : i + 2], 16) for i in (1, 3, 5))
    return f"rgb({r}, {g}, {b})"


def _select(page: Page, start: int, end: int) -> None:
    """Select [start, end) of the text as a person would (focus, then shift-select)."""
    _focus(page)
    page.keyboard.press("Control+Home")
    for _ in range(start):
        page.keyboard.press("ArrowRight")
    for _ in range(end - start):
        page.keyboard.press("Shift+ArrowRight")


def test_five_browsers_typing_at_once_end_identical(new_context, world: World) -> None:
    document = services.create_document(actor=world.member, title="Five", text="Go:")
    url = f"/w/{world.workspace.slug}/documents/{document.pk}/"
    people = [world.member, world.admin, world.owner, world.member, world.admin]
    pages = [_open(new_context, m.user.email, url) for m in people]
    # Each types its own letters (distinct per page), one key per page in turn, all at the
    # same place: the keys of five people interleave before any hears of the others.
    words = [f" {letter * 6}{n}" for n, letter in enumerate("abcde")]
    for page in pages:
        _focus(page)
        page.keyboard.press("Control+End")
    for keys in zip(*words, strict=True):
        for page, key in zip(pages, keys, strict=True):
            page.keyboard.type(key)
    expected = Counter("Go:" + "".join(words))
    length = sum(expected.values())
    for page in pages:
        expect(page.locator("#document-status")).to_have_text("All changes saved")
        _expect_text(page, re.compile(f"^.{{{length}}}$", re.S))
    final = _text(pages[0])
    for page in pages[1:]:
        _expect_text(page, final)
    assert Counter(final) == expected
    assert crdt.text_of(Document.objects.get(pk=document.pk)) == final
    for page in pages:
        assert page.errors == []  # type: ignore[attr-defined]


def test_a_server_restart_mid_session_loses_nothing_acknowledged(
    new_context,
    world: World,
    asgi_live_server: AsgiServer,  # noqa: F811
) -> None:
    document = services.create_document(actor=world.member, title="Restart", text="A")
    url = f"/w/{world.workspace.slug}/documents/{document.pk}/"
    alice = _open(new_context, world.member.user.email, url)
    bob = _open(new_context, world.admin.user.email, url)
    for page, keys in ((alice, "bc"), (bob, "de")):
        _focus(page)
        page.keyboard.press("Control+End")
        page.keyboard.type(keys)
        expect(page.locator("#document-status")).to_have_text("All changes saved")
    acknowledged = crdt.text_of(Document.objects.get(pk=document.pk))
    assert Counter(acknowledged) == Counter("Abcde")
    # The server goes away (open sockets closed with 1012) and comes back on the same port;
    # meanwhile both keep typing into their pages.
    asgi_live_server.stop()
    for page in (alice, bob):
        expect(page.locator("#document-status")).to_contain_text("Reconnecting")
    alice.keyboard.type("XY")
    bob.keyboard.type("Z")
    asgi_live_server.start()
    # Both reconnect by themselves, send what they typed and hear the other's.
    expected = Counter("AbcdeXYZ")
    for page in (alice, bob):
        _expect_text(page, re.compile("^.{8}$", re.S), timeout=30_000)
        expect(page.locator("#document-status")).to_have_text("All changes saved")
    assert _text(alice) == _text(bob)
    assert Counter(_text(alice)) == expected
    stored = crdt.text_of(Document.objects.get(pk=document.pk))
    assert stored == _text(alice)
    # What was acknowledged before the restart is still there, in its order.
    remaining = iter(stored)
    assert all(char in remaining for char in acknowledged), (acknowledged, stored)
    # And they keep editing together after it.
    alice.keyboard.type("!")
    _expect_text(bob, re.compile("!"))


def test_others_carets_selections_and_presence_show_with_name_and_colour(
    new_context, world: World
) -> None:
    from documents.awareness import colour_of

    document = services.create_document(actor=world.member, title="Carets", text="alpha beta")
    url = f"/w/{world.workspace.slug}/documents/{document.pk}/"
    alice = _open(new_context, world.member.user.email, url)
    bob = _open(new_context, world.admin.user.email, url)
    name = world.member.user.display_name
    _select(alice, 6, 10)  # "beta"
    caret = bob.locator(f'.remote-caret[data-user="{name}"]')
    expect(caret).to_have_count(1)
    expect(caret).to_have_attribute("data-index", "10")
    expect(caret).to_have_css("background-color", _hex_to_rgb(colour_of(world.member.user.pk)))
    expect(bob.locator(".remote-caret-name")).to_have_text(name)
    expect(bob.locator(".remote-selection")).to_have_count(1)
    chip = bob.locator("#document-presence .presence-chip", has_text=name)
    expect(chip).to_have_count(1)
    # The caret moves with the text: bob types before it, it stays after "beta".
    _focus(bob)
    bob.keyboard.press("Control+Home")
    bob.keyboard.type("NEW ")
    expect(caret).to_have_attribute("data-index", "14")
    # A page that leaves takes its caret with it at once.
    alice.close()
    expect(bob.locator(".remote-caret")).to_have_count(0)
    # Presence is coalesced per process (live.presence): a little slower than the caret.
    expect(bob.locator("#document-presence")).to_have_text("Nobody else is here.", timeout=20_000)


def test_a_comment_on_a_selection_follows_the_text_and_resolves(new_context, world: World) -> None:
    document = services.create_document(actor=world.member, title="Review", text="alpha beta gamma")
    url = f"/w/{world.workspace.slug}/documents/{document.pk}/"
    alice = _open(new_context, world.member.user.email, url)
    bob = _open(new_context, world.admin.user.email, url)
    viewer = _open(new_context, world.viewer.user.email, url)
    expect(viewer.locator("#document-comment-start")).to_have_count(0)
    _select(alice, 6, 10)
    alice.get_by_role("button", name="Comment").click()
    expect(alice.locator("#document-comment-quote")).to_have_text("beta")
    alice.get_by_label("Your comment").fill("Which beta?")
    alice.get_by_role("button", name="Add comment").click()
    for page in (alice, bob, viewer):  # the others hear of it over their sockets
        expect(page.locator(".document-comment", has_text="Which beta?")).to_have_count(1)
    expect(viewer.locator(".document-comment button")).to_have_count(0)
    # Bob types before the anchored words and inside the gap after them, concurrently with
    # alice typing at the end: the comment still points at "beta".
    _focus(bob)
    bob.keyboard.press("Control+Home")
    bob.keyboard.type("New ")
    _focus(alice)
    alice.keyboard.press("Control+End")
    alice.keyboard.type(" delta")
    for page in (alice, bob):
        _expect_text(page, "New alpha beta gamma delta")
    bob.reload()
    expect(bob.locator("#document-status")).to_have_text("All changes saved")
    comment = bob.locator(".document-comment", has_text="Which beta?")
    expect(comment.locator(".document-comment-quote")).to_have_text("beta")
    comment.locator(".document-comment-body").click()
    assert (
        bob.evaluate(
            "() => { const v = document.getElementById('document-editor').editorView;"
            " const s = v.state.selection; return v.state.doc.textBetween(s.from, s.to); }"
        )
        == "beta"
    )
    expect(bob.locator(".comment-highlight")).to_have_count(1)
    expect(bob.locator(".remote-caret")).to_have_count(1)  # alice's, at the end
    capture(bob, "documents-editor")  # docs/documents.md (DOCS_SCREENSHOTS=1)
    comment.get_by_role("button", name="Resolve").click()
    for page in (alice, bob, viewer):
        expect(page.locator(".document-comment.resolved", has_text="Which beta?")).to_have_count(1)
    expect(alice.locator(".comment-highlight")).to_have_count(0)
    from documents.models import DocumentComment

    stored = DocumentComment.objects.get(document=document)
    assert stored.resolved_by == world.admin.user
    assert stored.quote == "beta"


def test_rich_text_formatting_by_shortcut_and_toolbar_converges_and_exports(
    new_context, world: World
) -> None:
    document = services.create_document(actor=world.member, title="Format", text="alpha beta")
    url = f"/w/{world.workspace.slug}/documents/{document.pk}/"
    alice = _open(new_context, world.member.user.email, url)
    bob = _open(new_context, world.admin.user.email, url)
    viewer = _open(new_context, world.viewer.user.email, url)
    # Alice: bold by shortcut, then a heading by shortcut.
    _select(alice, 0, 5)
    alice.keyboard.press("Control+b")
    expect(alice.get_by_role("button", name="Bold")).to_have_attribute("aria-pressed", "true")
    alice.keyboard.press("Control+Alt+h")
    # Bob: italic on "beta" by the toolbar, at the same time.
    _select(bob, 6, 10)
    bob.get_by_role("button", name="Italic").click()
    for page in (alice, bob, viewer):
        expect(page.locator(f"{EDITOR} h2 strong")).to_have_text("alpha")
        expect(page.locator(f"{EDITOR} h2 em")).to_have_text("beta")
    # A list by the toolbar, a link by the shortcut (its address asked for).
    _focus(alice)
    alice.keyboard.press("Control+End")
    alice.keyboard.press("Enter")
    alice.get_by_role("button", name="Bulleted list").click()
    alice.keyboard.type("item")
    alice.keyboard.press("Shift+Home")
    alice.once("dialog", lambda dialog: dialog.accept("https://example.com/spec"))
    alice.keyboard.press("Control+k")
    for page in (alice, bob, viewer):
        expect(page.locator(f"{EDITOR} li a")).to_have_text("item")
        expect(page.locator(f"{EDITOR} li a")).to_have_attribute("href", "https://example.com/spec")
    for page in (alice, bob):
        expect(page.locator("#document-status")).to_have_text("All changes saved")
    _expect_text(bob, "alpha beta\nitem")
    capture(bob, "documents-rich-text")  # docs/documents.md (DOCS_SCREENSHOTS=1)
    markdown = "## **alpha** _beta_\n\n- [item](https://example.com/spec)"
    assert crdt.text_of(Document.objects.get(pk=document.pk)) == markdown
    # The export is that Markdown; the preview (the viewer's too) renders it with chips.
    export = alice.request.get(f"{url}export.md")
    assert export.ok
    assert markdown in export.text()
    for page in (alice, viewer):
        preview = page.locator("#document-preview")
        expect(preview.locator("h2 strong")).to_have_text("alpha")
        expect(preview.locator("li a")).to_have_text("item")
    # The viewer cannot type: the editor is read-only for them.
    expect(viewer.locator(EDITOR)).to_have_attribute("contenteditable", "false")
    for page in (alice, bob, viewer):
        assert page.errors == []  # type: ignore[attr-defined]
