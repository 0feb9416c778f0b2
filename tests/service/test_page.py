"""The drawing page in headless Chromium: draw with mouse strokes, Predict, read the answer."""

import re
import shutil

import pytest

from tests.live import live_server

pytestmark = [pytest.mark.browser, pytest.mark.slow]

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
# Strokes on the canvas as fractions of its size.
STROKES = {
    "7": [[(0.25, 0.2), (0.75, 0.2), (0.45, 0.85)]],
    "1": [[(0.5, 0.15), (0.5, 0.85)]],
}


@pytest.fixture(scope="module")
def server_url():
    with live_server() as server:
        yield server.url


@pytest.fixture(scope="module")
def browser():
    playwright_api = pytest.importorskip("playwright.sync_api")
    with playwright_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


def draw(page, strokes) -> None:
    box = page.locator("#canvas").bounding_box()
    for stroke in strokes:
        points = [(box["x"] + x * box["width"], box["y"] + y * box["height"]) for x, y in stroke]
        page.mouse.move(*points[0])
        page.mouse.down()
        for point in points[1:]:
            page.mouse.move(*point, steps=12)
        page.mouse.up()


@pytest.mark.parametrize("digit", ["7", "1"])
def test_draw_and_predict(browser, server_url, digit):
    page = browser.new_page()
    problems: list[str] = []
    page.on("console", lambda message: message.type == "error" and problems.append(message.text))
    page.on("pageerror", lambda error: problems.append(str(error)))
    page.goto(f"{server_url}/")
    assert page.locator(".bar").count() == 10
    draw(page, STROKES[digit])
    page.click("#predict")
    # A locator wait, not wait_for_function: the page's CSP forbids string evaluation.
    expect = pytest.importorskip("playwright.sync_api").expect
    expect(page.locator("#digit")).to_have_text(re.compile(r"^\d$"), timeout=30_000)
    assert page.text_content("#digit") == digit
    heights = page.eval_on_selector_all(".bar .fill", "fills => fills.map(f => f.style.height)")
    assert len(heights) == 10
    assert max(heights, key=lambda h: float(h.rstrip("%"))) == heights[int(digit)]
    assert page.locator(".bar.top").get_attribute("data-digit") == digit
    assert not problems, problems  # no CSP violations, no script errors
    page.click("#clear")
    assert page.text_content("#digit") == "–"
    page.close()


def test_predict_without_drawing_says_so(browser, server_url):
    page = browser.new_page()
    page.goto(f"{server_url}/")
    page.click("#predict")
    assert "Draw a digit" in page.text_content("#status")
    page.close()
