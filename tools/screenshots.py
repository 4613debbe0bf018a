"""Screenshot every page of a built book, light and dark, at desktop and phone width.

    python tools/screenshots.py _build/html shots/            (needs Chromium and chromedriver)
    python tools/screenshots.py _build/html shots/ --widgets  (each kernel-free widget, in use)

Writes ``<page>-<width>-<theme>.png`` for each chapter: the whole page, top to bottom, so a
person can read it beside the notebook. With ``--widgets``: ``<page>-<kind>-<width>-<theme>.png``
for each widget, after drawing a 7 on its pad (or, without one, encoding the third held-out
example) and pointing at its map(s).
Opens the pages from disk (``file://``) as a reader of the downloaded book would.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from headless import SEVEN, open_chromium, stroke

WIDTHS = (1280, 375)
THEMES = ("light", "dark")


def shoot(browser, page: Path, out: Path, width: int, theme: str) -> Path:
    browser.set_window_size(width, 900)
    browser.get(page.as_uri())
    # pydata-sphinx-theme reads the mode from localStorage on load and from the attribute after.
    browser.execute_script("localStorage.setItem('mode', arguments[0]);"
                           "localStorage.setItem('theme', arguments[0]);"
                           "document.documentElement.dataset.theme = arguments[0];"
                           "document.documentElement.dataset.mode = arguments[0];", theme)
    time.sleep(1.0)   # MathJax and the widgets draw after load
    height = browser.execute_script("return document.documentElement.scrollHeight")
    browser.set_window_size(width, min(int(height) + 100, 16000))
    time.sleep(0.5)
    target = out / f"{page.stem}-{width}-{theme}.png"
    browser.save_screenshot(str(target))
    return target


def shoot_widgets(browser, page: Path, out: Path, width: int, theme: str) -> list:
    """Each widget on ``page`` in use: a 7 drawn on its pad, the pointer on its map(s)."""
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.by import By

    browser.set_window_size(width, 1400)
    browser.get(page.as_uri())
    browser.execute_script("document.documentElement.dataset.theme = arguments[0];"
                           "document.documentElement.dataset.mode = arguments[0];", theme)
    time.sleep(1.0)
    shots = []
    for root in browser.find_elements(By.CSS_SELECTOR, "div.vae-w"):
        kind = [c for c in root.get_attribute("class").split() if c.startswith("vae-w-")][0][6:]
        browser.execute_script("arguments[0].scrollIntoView({block: 'start'})", root)
        pads = root.find_elements(By.CSS_SELECTOR, "canvas.vae-w-pad")
        for pad in pads:
            stroke(browser, pad, SEVEN)
        examples = root.find_elements(By.CSS_SELECTOR, "button.vae-w-example")
        if not pads and len(examples) > 2:   # no pad (clothes): pick a held-out picture
            examples[2].click()
        for i, canvas in enumerate(root.find_elements(By.CSS_SELECTOR, "canvas.vae-w-map")):
            ActionChains(browser).move_to_element_with_offset(canvas, 30 + 20 * i, -40).click().perform()
        time.sleep(0.3)
        target = out / f"{page.stem}-{kind}-{width}-{theme}.png"
        root.screenshot(str(target))
        shots.append(target)
    return shots


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("html", type=lambda s: Path(s).resolve(), help="the built book's html folder")
    parser.add_argument("out", type=Path, help="folder for the PNG files")
    parser.add_argument("--pages", help="comma list of page name prefixes, e.g. 03,08")
    parser.add_argument("--widgets", action="store_true", help="each widget in use, not whole pages")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    pages = sorted(args.html.glob("**/[0-9]*.html"))
    if args.pages:
        pages = [p for p in pages if p.name.split("_")[0] in args.pages.split(",")]
    # no scrollbars in the pictures; pages opened from disk may read their neighbours
    browser = open_chromium(1280, 900, extra_flags=("--hide-scrollbars", "--allow-file-access-from-files"))
    try:
        for page in pages:
            for width in WIDTHS:
                for theme in THEMES:
                    if args.widgets:
                        for shot in shoot_widgets(browser, page, args.out, width, theme):
                            print(shot, flush=True)
                    else:
                        print(shoot(browser, page, args.out, width, theme), flush=True)
    finally:
        browser.quit()


if __name__ == "__main__":
    main()
