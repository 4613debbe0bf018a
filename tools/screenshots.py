"""Screenshot every page of a built book, light and dark, at desktop and phone width.

    python tools/screenshots.py _build/html shots/            (needs Chromium and chromedriver)

Writes ``<page>-<width>-<theme>.png`` for each chapter: the whole page, top to bottom, so a
person can read it beside the notebook. Opens the pages from disk (``file://``) as a reader of
the downloaded book would.
"""

from __future__ import annotations

import argparse
import shutil
import time
from pathlib import Path

from selenium import webdriver
from selenium.webdriver.chrome.service import Service

WIDTHS = (1280, 375)
THEMES = ("light", "dark")


def open_browser() -> webdriver.Chrome:
    options = webdriver.ChromeOptions()
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
                 "--allow-file-access-from-files"):
        options.add_argument(flag)
    binary = shutil.which("chromium") or shutil.which("chromium-browser")
    if binary:
        options.binary_location = binary
    driver = shutil.which("chromedriver")
    return webdriver.Chrome(options=options, service=Service(driver) if driver else None)


def shoot(browser: webdriver.Chrome, page: Path, out: Path, width: int, theme: str) -> Path:
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("html", type=Path, help="the built book's html folder")
    parser.add_argument("out", type=Path, help="folder for the PNG files")
    parser.add_argument("--pages", help="comma list of page name prefixes, e.g. 03,08")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    pages = sorted(args.html.glob("**/[0-9]*.html"))
    if args.pages:
        pages = [p for p in pages if p.name.split("_")[0] in args.pages.split(",")]
    browser = open_browser()
    try:
        for page in pages:
            for width in WIDTHS:
                for theme in THEMES:
                    print(shoot(browser, page, args.out, width, theme), flush=True)
    finally:
        browser.quit()


if __name__ == "__main__":
    main()
