"""The built book opened from disk (file://) on a machine without internet: every page loads only
the book's own files, and MathJax, served from the book's _static folder, typesets every formula
(no raw ``\\(...\\)`` left)."""

from __future__ import annotations

import pytest
from selenium.webdriver.support.ui import WebDriverWait

from test_browser import browser  # noqa: F401  (Debian's Chromium under Selenium)

MATH = ("03_mu_and_sigma", "05_reconstruction_loss", "06_kl_divergence")


def loaded_from_elsewhere(driver) -> list[str]:
    return driver.execute_script(
        "return performance.getEntriesByType('resource').map((e) => e.name)"
        ".filter((n) => !n.startsWith('file:') && !n.startsWith('data:'))")


@pytest.mark.parametrize("chapter", MATH)
def test_math_renders_from_disk(browser, built_book, chapter):  # noqa: F811
    browser.get((built_book / "book" / f"{chapter}.html").as_uri())
    formulas = browser.execute_script("return document.querySelectorAll('.math').length")
    assert formulas > 0
    WebDriverWait(browser, 60).until(lambda d: d.execute_script(
        "return document.querySelectorAll('.math mjx-container').length") >= formulas)
    text = browser.find_element("tag name", "body").text
    assert "\\(" not in text and "\\[" not in text
    assert loaded_from_elsewhere(browser) == []


def test_no_page_loads_anything_from_off_the_disk(browser, built_book):  # noqa: F811
    pages = [built_book / "index.html", *sorted((built_book / "book").glob("*.html"))]
    for page in pages:
        browser.get(page.as_uri())
        assert loaded_from_elsewhere(browser) == [], page.name
