"""The teacher's page of `acnslab classroom` in a real browser (headless Chromium driven by
Selenium through chromedriver): opens the page, reads every trainee's cell of one goal, prints
`page loaded` and waits while the test solves that goal for one trainee over SSH, until the page
shows it met for that trainee (it follows the class live: the page is never reloaded, which a mark
left on it proves), then reads the cells again.

usage: teacher_page.py PAGE_URL CHROMIUM CHROMEDRIVER TRAINEE GOAL_NUMBER SCREENSHOT
Prints `page loaded`, then one JSON object.
"""

import json
import sys
import tempfile
import time

from selenium import webdriver
from selenium.webdriver.chrome.service import Service


def browser(chromium, chromedriver, profile):
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
        "--window-size=1200,600",
        f"--user-data-dir={profile}",
    ):
        options.add_argument(flag)
    return webdriver.Chrome(service=Service(executable_path=chromedriver), options=options)


def cells(driver, goal):
    """{trainee: text} of goal number `goal` (1-based) in the table as it is now, read in one
    script: the page replaces its table every two seconds, so elements found earlier go stale."""
    pairs = driver.execute_script(
        "return Array.from(document.querySelectorAll('#grades td[data-goal=\"' + arguments[0]"
        " + '\"]')).map(c => [c.dataset.trainee, c.textContent]);",
        str(goal),
    )
    return dict(pairs)


def scores(driver):
    """{trainee: score} of the table as it is now."""
    pairs = driver.execute_script(
        "return Array.from(document.querySelectorAll('#grades tbody tr')).map(r => "
        "[r.dataset.trainee, r.cells[r.cells.length - 2].textContent]);"
    )
    return dict(pairs)


def wait_for(what, condition, timeout):
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise TimeoutError(f"no {what} within {timeout} s")
        time.sleep(0.25)


def main():
    url, chromium, chromedriver, trainee, goal, screenshot = sys.argv[1:7]
    r = {}
    with tempfile.TemporaryDirectory() as profile:
        driver = browser(chromium, chromedriver, profile)
        try:
            driver.get(url)
            r["title"] = driver.title
            # every lab answered once: a cell per trainee for the goal
            wait_for("grades", lambda: cells(driver, goal), 30)
            r["goal"] = driver.execute_script(
                "return document.querySelector('#goals li:nth-child(' + arguments[0] + ')')"
                ".textContent;",
                str(goal),
            )
            r["before"] = cells(driver, goal)
            driver.execute_script("window.acnslabSamePage = true;")
            print("page loaded", flush=True)
            wait_for(
                f"{trainee}'s goal {goal} met",
                lambda: cells(driver, goal).get(trainee) == "met",
                150,
            )
            r["after"] = cells(driver, goal)
            r["same_page"] = driver.execute_script("return window.acnslabSamePage === true;")
            r["scores"] = scores(driver)
            driver.save_screenshot(screenshot)
        finally:
            driver.quit()
    print(json.dumps(r))


if __name__ == "__main__":
    main()
