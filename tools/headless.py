"""Headless Chromium for the browser tests, the widget benchmark and the screenshot tool: one
way to start it and one way to draw on a page with real pointer events.

Needs Chromium and chromedriver (Debian: ``apt-get install -y chromium chromium-driver``).
"""

from __future__ import annotations

import shutil

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMEDRIVER = shutil.which("chromedriver")
FLAGS = ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--no-first-run")
# a 7 as one stroke, in the units of stroke(): along the top, then down to the left
SEVEN = [(0.25, 0.2), (0.5, 0.2), (0.75, 0.2), (0.65, 0.4), (0.55, 0.6), (0.45, 0.85)]


def open_chromium(width: int = 1300, height: int = 1000, console_log: bool = False,
                  extra_flags: tuple[str, ...] = ()):
    """A headless Chromium driven by selenium, ``width`` x ``height`` pixels. ``console_log``:
    keep the page's console messages (``driver.get_log("browser")``)."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    if CHROMIUM:
        options.binary_location = CHROMIUM
    for flag in (*FLAGS, f"--window-size={width},{height}", *extra_flags):
        options.add_argument(flag)
    if console_log:
        options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    return webdriver.Chrome(service=Service(CHROMEDRIVER) if CHROMEDRIVER else None, options=options)


def stroke(driver, element, points, kind: str = "mouse") -> None:
    """Draw one stroke through ``points`` (fractions of the element's size, (0, 0) its top left)
    with real pointer events of ``kind`` ("mouse", "pen" or "touch")."""
    from selenium.webdriver.common.actions import interaction
    from selenium.webdriver.common.actions.action_builder import ActionBuilder
    from selenium.webdriver.common.actions.pointer_input import PointerInput

    width, height = driver.execute_script(
        "const r = arguments[0].getBoundingClientRect(); return [r.width, r.height]", element)
    kinds = {"mouse": interaction.POINTER_MOUSE, "pen": interaction.POINTER_PEN,
             "touch": interaction.POINTER_TOUCH}
    actions = ActionBuilder(driver, mouse=PointerInput(kinds[kind], kind), duration=0)
    # selenium's offsets are from the element's centre
    at = [(round((x - 0.5) * width), round((y - 0.5) * height)) for x, y in points]
    actions.pointer_action.move_to(element, *at[0]).pointer_down()
    for x, y in at[1:]:
        actions.pointer_action.move_to(element, x, y)
    actions.pointer_action.pointer_up()
    actions.perform()
