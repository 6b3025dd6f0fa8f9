"""What the browser tests share: headless Chromium driven by Selenium through chromedriver, with
a throw-away profile, and a poll until a condition holds. Imported by browser_gui.py (the CDM's
web GUI) and teacher_page.py (a classroom's teacher page), which run from this folder."""

import time

from selenium import webdriver
from selenium.webdriver.chrome.service import Service


def browser(chromium, chromedriver, profile, height=800):
    """A headless Chromium of 1200 x `height` pixels on the user-data folder `profile`, with
    nothing of its own on the network (no updates, sync, QUIC)."""
    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for flag in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        f"--window-size=1200,{height}",
        f"--user-data-dir={profile}",
    ):
        options.add_argument(flag)
    return webdriver.Chrome(service=Service(executable_path=chromedriver), options=options)


def wait_for(what, condition, timeout=60.0, every=0.25):
    """The first true value of `condition()`, polled every `every` seconds; TimeoutError naming
    `what` after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise TimeoutError(f"no {what} within {timeout} s")
        time.sleep(every)
