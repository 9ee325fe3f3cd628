"""Layout that holds (issue #14 part 8), measured in Chromium: the top bar with a 100-character
workspace name at 1280 and 1440 px, the phone menu by keyboard at 390 px, a many-column board
that scrolls inside itself, toasts beside (never over) the page's buttons, chart labels of
11 px or more, and the dark theme that follows the system setting, checked with axe-core."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tasks.models import StateCategory, WorkflowState
from tests.browser.axe import assert_accessible
from tests.browser.screenshots import capture
from tests.browser.test_work import board_url, story  # noqa: F401 (the fixture)
from tests.conftest import World

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]

LONG_NAME = (
    "Northwind Traders International Holdings — Customer Success and Platform Reliability " * 2
)[:100]

# Every direct piece of the top bar and every navigation link, with its box and whether its
# content is wider than its box (clipped without an ellipsis).
TOPBAR_BOXES = """() => {
  const bar = document.querySelector('.topbar-inner').getBoundingClientRect();
  const pieces = [...document.querySelectorAll(
    '.topbar-inner > *, .nav-panel > *, .mainnav a, .switcher > summary'
  )].filter(el => getComputedStyle(el).display !== 'none');
  const nav = document.querySelector('.mainnav');
  return {
    bar: {left: bar.left, right: bar.right},
    viewport: window.innerWidth,
    pageScrolls: document.documentElement.scrollWidth > window.innerWidth,
    navScrolls: nav.scrollWidth > nav.clientWidth,
    pieces: pieces.map(el => {
      const r = el.getBoundingClientRect();
      return {name: el.className || el.tagName, text: el.textContent.trim().slice(0, 30),
              left: r.left, right: r.right, top: r.top, bottom: r.bottom};
    }),
  };
}"""


def rename(world: World, name: str) -> None:
    world.workspace.name = name
    world.workspace.save(update_fields=["name"])


@pytest.mark.parametrize("width", [1280, 1440])
def test_the_top_bar_holds_a_100_character_workspace_name(
    logged_in_page: Page, world: World, width: int
):
    page = logged_in_page
    rename(world, LONG_NAME)
    assert len(LONG_NAME) == 100
    page.set_viewport_size({"width": width, "height": 800})
    page.goto(f"/w/{world.workspace.slug}/")

    boxes = page.evaluate(TOPBAR_BOXES)
    assert not boxes["pageScrolls"]
    assert not boxes["navScrolls"], "a navigation link is scrolled out of the link strip"
    for piece in boxes["pieces"]:
        assert piece["left"] >= boxes["bar"]["left"] - 0.5, piece
        assert piece["right"] <= boxes["bar"]["right"] + 0.5, piece
        assert piece["right"] <= boxes["viewport"], piece
    # The direct pieces of the bar sit side by side, none over another.
    row = sorted(
        (
            p
            for p in boxes["pieces"]
            if p["name"].split(" ")[0] in {"brand", "menu", "nav-panel", "notification-badge"}
        ),
        key=lambda p: p["left"],
    )
    for before, after in zip(row, row[1:], strict=False):
        assert before["right"] <= after["left"] + 0.5, (before, after)
    for name in ("Home", "Dashboard", "OKRs", "My work", "Boards", "Roadmaps", "Settings"):
        expect(
            page.locator(".mainnav").get_by_role("link", name=name, exact=True)
        ).to_be_in_viewport(ratio=1)
    # The name is cut with an ellipsis, and whole in the title and the accessible name.
    summary = page.locator(".switcher > summary")
    expect(summary).to_have_attribute("title", LONG_NAME)
    cut = page.evaluate(
        "() => { const n = document.querySelector('.switcher-name');"
        " return [n.scrollWidth > n.clientWidth, getComputedStyle(n).textOverflow]; }"
    )
    assert cut == [True, "ellipsis"]
    assert LONG_NAME in (summary.text_content() or "")
    if width == 1280:
        capture(page, "layout-long-workspace-name")


def test_the_phone_menu_opens_and_closes_by_keyboard(logged_in_page: Page, world: World):
    page = logged_in_page
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"/w/{world.workspace.slug}/")
    toggle = page.get_by_role("button", name="Menu")
    okrs = page.locator(".mainnav").get_by_role("link", name="OKRs", exact=True)
    expect(toggle).to_have_attribute("aria-expanded", "false")
    expect(okrs).to_be_hidden()
    assert page.evaluate("() => document.documentElement.scrollWidth") <= 390

    for _ in range(12):  # Tab from the top of the page to the Menu button
        page.keyboard.press("Tab")
        if page.evaluate("() => document.activeElement.hasAttribute('data-nav-toggle')"):
            break
    expect(toggle).to_be_focused()
    page.keyboard.press("Enter")
    expect(toggle).to_have_attribute("aria-expanded", "true")
    expect(okrs).to_be_visible()
    expect(page.locator(".mainnav").get_by_role("link", name="Home", exact=True)).to_be_focused()
    assert page.evaluate("() => document.documentElement.scrollWidth") <= 390
    assert_accessible(page)
    capture(page, "layout-phone-menu")

    page.keyboard.press("Escape")
    expect(toggle).to_have_attribute("aria-expanded", "false")
    expect(okrs).to_be_hidden()
    expect(toggle).to_be_focused()

    page.keyboard.press("Space")
    expect(toggle).to_have_attribute("aria-expanded", "true")
    page.keyboard.press("Tab")  # Home -> Dashboard: the links are in the tab order when open
    expect(
        page.locator(".mainnav").get_by_role("link", name="Dashboard", exact=True)
    ).to_be_focused()
    page.keyboard.press("Enter")
    page.wait_for_url("**/dashboards/**")
    expect(page.get_by_role("button", name="Menu")).to_have_attribute("aria-expanded", "false")


@pytest.mark.usefixtures("story")
def test_a_board_with_many_columns_scrolls_inside_its_own_container(
    logged_in_page: Page, world: World
):
    page = logged_in_page
    team = world.team
    last = WorkflowState.objects.filter(team=team).order_by("-position")[0].position
    for n in range(10):
        WorkflowState.objects.create(
            workspace=world.workspace,
            team=team,
            name=f"Review stage {n + 1}",
            category=StateCategory.STARTED,
            position=last + 1 + n,
        )
    page.set_viewport_size({"width": 1280, "height": 800})
    page.goto(board_url(world))
    expect(page.get_by_role("heading", name="Review stage 10", exact=True)).to_be_attached()

    layout = page.evaluate(
        """() => {
          const box = document.querySelector('.board-columns');
          const r = box.getBoundingClientRect();
          return {
            viewport: window.innerWidth,
            pageScrolls: document.documentElement.scrollWidth > window.innerWidth,
            container: {left: r.left, right: r.right},
            containerScrolls: box.scrollWidth > box.clientWidth,
            scrollable: getComputedStyle(box).overflowX,
            columns: [...box.querySelectorAll('.board-column')].map(c => {
              const b = c.getBoundingClientRect();
              return {left: b.left, right: b.right};
            }),
          };
        }"""
    )
    assert len(layout["columns"]) >= 14
    assert not layout["pageScrolls"], "a board column pushes the page sideways"
    assert layout["container"]["left"] >= 0
    assert layout["container"]["right"] <= layout["viewport"]
    assert layout["containerScrolls"]
    assert layout["scrollable"] == "auto"
    # Columns beyond the right edge are only inside the container's scroll area.
    outside = [c for c in layout["columns"] if c["right"] > layout["viewport"]]
    assert outside, "with 14+ columns some must wait behind the board's own scroll"
    assert all(c["left"] >= layout["container"]["left"] - 1 for c in layout["columns"])

    last_heading = page.get_by_role("heading", name="Review stage 10", exact=True)
    last_heading.scroll_into_view_if_needed()
    expect(last_heading).to_be_in_viewport()
    assert page.evaluate("() => window.scrollX") == 0
    capture(page, "layout-wide-board")


def test_a_toast_sits_beside_the_buttons_and_can_be_dismissed(logged_in_page: Page, world: World):
    page = logged_in_page
    page.goto(f"/w/{world.workspace.slug}/teams/{world.team.pk}/sprints/new/")
    page.get_by_label("Name").fill("Sprint 1")
    page.get_by_role("button", name="Plan the sprint").click()
    toast = page.locator("#flash .flash", has_text="Sprint 1 is planned.")
    expect(toast).to_be_visible()
    # The toast paints before the deferred app.js (its Dismiss handler) has run on a busy
    # machine; DOMContentLoaded comes after the deferred scripts.
    page.wait_for_load_state("domcontentloaded")
    expect(page.locator("#flash")).to_have_attribute("aria-live", "polite")

    covered = page.evaluate(
        """() => {
          const t = document.querySelector('#flash .flash').getBoundingClientRect();
          const hits = [];
          const actions = 'a, button, input, select, summary, textarea';
          for (const el of document.querySelector('main').querySelectorAll(actions)) {
            const r = el.getBoundingClientRect();
            if (!r.width || !r.height) continue;
            const overlaps = r.left < t.right && r.right > t.left
              && r.top < t.bottom && r.bottom > t.top;
            if (overlaps) hits.push(el.outerHTML.slice(0, 80));
          }
          return hits;
        }"""
    )
    assert covered == []
    page.keyboard.press("Escape")
    toast.get_by_role("button", name="Dismiss").click()
    expect(toast).to_have_count(0)


@pytest.mark.usefixtures("story")
def test_chart_labels_render_at_11_px_or_more(logged_in_page: Page, world: World):
    page = logged_in_page
    for width in (1280, 390):
        page.set_viewport_size({"width": width, "height": 800})
        page.goto(f"/w/{world.workspace.slug}/dashboards/teams/{world.team.pk}/")
        labels = page.locator("svg.chart .chart-label")
        expect(labels.first).to_be_attached()
        sizes = page.evaluate(
            """() => [...document.querySelectorAll('svg.chart .chart-label')].map(t => {
              const svg = t.ownerSVGElement;
              const scale = svg.getBoundingClientRect().width / svg.viewBox.baseVal.width;
              return parseFloat(getComputedStyle(t).fontSize) * scale;
            })"""
        )
        assert sizes
        assert min(sizes) >= 11, (width, sizes)
        assert page.evaluate("() => document.documentElement.scrollWidth") <= width


MAIN_PAGES = [
    "/w/{slug}/",
    "/w/{slug}/dashboards/",
    "/w/{slug}/okrs/",
    "/w/{slug}/my-work/",
    "/w/{slug}/teams/{team}/board/",
    "/w/{slug}/roadmaps/",
]


@pytest.mark.usefixtures("story")
def test_the_dark_theme_follows_the_system_and_stays_accessible(logged_in_page: Page, world: World):
    page = logged_in_page
    backgrounds = {}
    for scheme in ("light", "dark"):
        page.emulate_media(color_scheme=scheme)
        for template in MAIN_PAGES:
            path = template.format(slug=world.workspace.slug, team=world.team.pk)
            response = page.goto(path)
            assert response is not None
            assert response.ok, path
            assert_accessible(page)
        page.goto(f"/w/{world.workspace.slug}/")
        backgrounds[scheme] = page.evaluate(
            "() => [getComputedStyle(document.documentElement).backgroundColor,"
            " getComputedStyle(document.querySelector('.topbar')).backgroundColor,"
            " getComputedStyle(document.documentElement).color]"
        )
        capture(page, f"layout-theme-{scheme}")
    assert backgrounds["light"][0] != backgrounds["dark"][0]
    assert backgrounds["light"][1] != backgrounds["dark"][1]
    # Dark: light text on a dark page.
    assert backgrounds["dark"][0] == "rgb(18, 20, 32)"
    assert backgrounds["dark"][2] == "rgb(230, 231, 239)"


@pytest.mark.usefixtures("story")
def test_the_command_palette_finds_pages_actions_and_work_by_keyboard(
    logged_in_page: Page, world: World
):
    page = logged_in_page
    page.goto(f"/w/{world.workspace.slug}/okrs/")
    page.keyboard.press("Control+k")
    palette = page.get_by_role("dialog", name="Command palette")
    expect(palette).to_be_visible()
    field = page.get_by_role("combobox", name="Go to a page, run an action or find work")
    expect(field).to_be_focused()
    expect(field).to_have_attribute("aria-expanded", "true")

    # Pages and actions, filtered as you type; arrows move the active option.
    field.fill("road")
    options = page.locator("#palette-list [role=option]")
    expect(options.first).to_contain_text("Roadmaps")
    # Work from the search endpoint: a roadmap item and an objective.
    field.fill("pricing")
    expect(options.filter(has_text="Usage-based pricing")).to_have_count(1)
    field.fill("billing")
    expect(options.filter(has_text="Make billing self-serve")).to_have_count(1)
    target = options.filter(has_text="Make billing self-serve")
    index = int((target.get_attribute("id") or "").rsplit("-", 1)[1])
    for _ in range(index):
        page.keyboard.press("ArrowDown")
    expect(field).to_have_attribute("aria-activedescendant", f"palette-option-{index}")
    expect(target).to_have_attribute("aria-selected", "true")
    assert_accessible(page)
    capture(page, "layout-command-palette")
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Make billing self-serve")).to_be_visible()
    # The heading is parsed before the deferred scripts run: shortcuts exist once it is loaded.
    page.wait_for_load_state("load")

    # Escape closes it and gives focus back; the ? help lists it beside the g shortcuts.
    page.keyboard.press("Meta+k")
    expect(palette).to_be_visible()
    field.fill("new task")
    expect(options.first).to_contain_text("New task")
    page.keyboard.press("Escape")
    expect(palette).to_be_hidden()
    expect(page.locator("#palette-input")).not_to_be_focused()
    page.keyboard.press("?")
    help_dialog = page.get_by_role("dialog", name="Keyboard shortcuts")
    expect(help_dialog).to_contain_text("Command palette")
    expect(help_dialog).to_contain_text("Dashboard")
