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

from headless_chromium import browser, wait_for


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


def main():
    url, chromium, chromedriver, trainee, goal, screenshot = sys.argv[1:7]
    r = {}
    with tempfile.TemporaryDirectory() as profile:
        driver = browser(chromium, chromedriver, profile, height=600)
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
