"""The CDM's web pages in a real browser (headless Chromium driven by Selenium through
chromedriver): register a meta file on System > Software Update (and the same URL again, refused),
upgrade device group edge from Device Groups, watch the jobs, see the new version on Devices.

usage: browser_gui.py PRIMARY_URL STANDBY_URL CHROMIUM CHROMEDRIVER SCREENSHOT
Prints one JSON object.
"""

import json
import sys
import tempfile
import time

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.common.exceptions import WebDriverException
from selenium.webdriver.support.ui import Select, WebDriverWait

META = "http://10.1.1.100/meta/ACNS-5.2.1-K9-http.meta"


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
        "--window-size=1200,800",
        f"--user-data-dir={profile}",
    ):
        options.add_argument(flag)
    return webdriver.Chrome(service=Service(executable_path=chromedriver), options=options)


def click_and_load(driver, element):
    """Clicks a link or a form's button and waits until the next page has replaced this one: the
    old page carries a mark the new one has not. (Asking while the browser navigates may fail;
    that counts as not loaded yet.)"""
    driver.execute_script("window.acnslabOldPage = true;")
    element.click()

    def loaded(d):
        try:
            return d.execute_script(
                "return !window.acnslabOldPage && document.readyState === 'complete';"
            )
        except WebDriverException:
            return False

    WebDriverWait(driver, 20).until(loaded)


def text_of(driver, css):
    found = driver.find_elements(By.CSS_SELECTOR, css)
    return found[0].text if found else ""


def wait_for(what, condition, timeout=60.0):
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise TimeoutError(f"no {what} within {timeout} s")
        time.sleep(0.5)


def main():
    primary, standby, chromium, chromedriver, screenshot = sys.argv[1:6]
    result = {}
    with tempfile.TemporaryDirectory() as profile:
        driver = browser(chromium, chromedriver, profile)
        try:
            driver.get(primary + "/")
            result["start_title"] = driver.title
            result["menu"] = [a.text for a in driver.find_elements(By.CSS_SELECTOR, "nav a")]

            # System > Software Update: register the meta file, then the same URL again
            click_and_load(driver, driver.find_element(By.LINK_TEXT, "System > Software Update"))
            result["no_files"] = text_of(driver, "#no-files")
            driver.find_element(By.NAME, "url").send_keys(META)
            click_and_load(driver, driver.find_element(By.CSS_SELECTOR, "#register button"))
            result["registered_note"] = text_of(driver, "#note")
            result["file_version"] = text_of(driver, "#files .version")
            driver.find_element(By.NAME, "url").send_keys(META)
            click_and_load(driver, driver.find_element(By.CSS_SELECTOR, "#register button"))
            result["duplicate_error"] = text_of(driver, "#error")

            # Device Groups: upgrade group edge to the registered file
            click_and_load(driver, driver.find_element(By.LINK_TEXT, "Device Groups"))
            row = driver.find_element(By.ID, "group-edge")
            result["edge_members"] = row.find_elements(By.TAG_NAME, "td")[1].text
            Select(row.find_element(By.NAME, "file")).select_by_index(0)
            click_and_load(driver, row.find_element(By.TAG_NAME, "button"))
            result["upgrade_note"] = text_of(driver, "#note")

            # the jobs page until both jobs have ended
            def ended():
                driver.get(primary + "/jobs")
                statuses = [e.text for e in driver.find_elements(By.CSS_SELECTOR, "#jobs .status")]
                done = len(statuses) == 2 and all(s.startswith("Prepositioned Download S") or
                                                   s.endswith("Failed") for s in statuses)
                return statuses if done else None

            result["job_statuses"] = wait_for("ended jobs", ended)
            result["job_history"] = text_of(driver, "#jobs tr:nth-child(2) td:nth-child(5)")

            # Devices: the new version once the CEs have rebooted
            def upgraded():
                driver.get(primary + "/devices")
                versions = {n: text_of(driver, f"#device-{n} .version") for n in ("ce1", "ce2", "cr1", "cdm1")}
                return versions if versions["ce1"] == versions["ce2"] == "5.2.1" else None

            result["versions"] = wait_for("5.2.1 on ce1 and ce2", upgraded)
            result["ce1_status"] = text_of(driver, "#device-ce1 .status")
            result["cdm1_action"] = driver.find_element(By.ID, "device-cdm1").find_elements(
                By.TAG_NAME, "td")[5].text
            driver.save_screenshot(screenshot)

            # the standby CDM's pages say where to go
            driver.get(standby + "/devices")
            result["standby_error"] = text_of(driver, "#error")
        finally:
            driver.quit()
    print(json.dumps(result))


if __name__ == "__main__":
    main()
