"""The CDM's web GUI in a real browser (headless Chromium driven by Selenium through chromedriver),
step by step as the guide's GUI procedures are written: log in as the administrator; procedure 1
(Devices > Content Engines > Edit > Status, Show Commands > version); procedure 2 (System >
Software Update > Add Software Update File > Submit; the same URL again is refused); procedure 3
(Devices > Device Groups > Edit > CDN Settings > Software Upgrade/Downgrade > Update Software >
Submit, then the Software Version column); procedure 4 (Update Software window: the file's radio
button, Delete, OK; and Edit > Modifying Software Update File > Trash, OK).

usage: browser_gui.py PRIMARY_URL STANDBY_URL CHROMIUM CHROMEDRIVER SCREENSHOT
Prints one JSON object.
"""

import json
import sys
import tempfile

from selenium.common.exceptions import WebDriverException
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions
from selenium.webdriver.support.ui import Select, WebDriverWait

from headless_chromium import browser, wait_for

META = "http://10.1.1.100/meta/ACNS-5.2.1-K9-http.meta"


def wait_loaded(driver):
    def loaded(d):
        try:
            return d.execute_script(
                "return !window.acnslabOldPage && document.readyState === 'complete';"
            )
        except WebDriverException:
            return False

    WebDriverWait(driver, 20).until(loaded)


def click(driver, element, confirm=False):
    """Clicks a link or button and waits until the next page has replaced this one (the old page
    carries a mark the new one has not); with `confirm`, answers the browser's OK/Cancel prompt OK."""
    driver.execute_script("window.acnslabOldPage = true;")
    element.click()
    if confirm:
        WebDriverWait(driver, 10).until(expected_conditions.alert_is_present())
        alert = driver.switch_to.alert
        text = alert.text
        alert.accept()
        wait_loaded(driver)
        return text
    wait_loaded(driver)
    return None


def link(driver, text):
    return driver.find_element(By.LINK_TEXT, text)


def text_of(driver, css):
    found = driver.find_elements(By.CSS_SELECTOR, css)
    return found[0].text if found else ""


def log_in(driver, url, password):
    driver.get(url + "/")
    driver.find_element(By.NAME, "username").send_keys("admin")
    driver.find_element(By.NAME, "password").send_keys(password)
    click(driver, driver.find_element(By.CSS_SELECTOR, "#login button"))


def main():
    primary, standby, chromium, chromedriver, screenshot = sys.argv[1:6]
    r = {}
    with tempfile.TemporaryDirectory() as profile:
        driver = browser(chromium, chromedriver, profile)
        try:
            # Step 1 of the guide: log in with the administrator's name and password
            driver.get(primary + "/devices/ce")
            r["unauthenticated_title"] = driver.title
            log_in(driver, primary, "wrong")
            r["bad_login"] = text_of(driver, "#error")
            log_in(driver, primary, "default")
            r["after_login_title"] = driver.title
            r["menu"] = [a.text for a in driver.find_elements(By.CSS_SELECTOR, "nav a")]

            # procedure 1: Devices > Content Engines > Edit (ce1) > CDN Settings > Status (steps 4
            # and 5 of the guide; the plain Status link leads to the same Device Information)
            click(driver, link(driver, "Devices > Content Engines"))
            r["ces_window"] = text_of(driver, "h1")
            click(driver, driver.find_element(By.CSS_SELECTOR, "#device-ce1 a.edit"))
            r["ce1_window"] = text_of(driver, "h1")
            click(driver, link(driver, "CDN Settings > Status"))
            r["ce1_information"] = text_of(driver, "#device-information")
            click(driver, link(driver, "Show/Clear Commands > Show Commands"))
            Select(driver.find_element(By.NAME, "command")).select_by_visible_text("version")
            click(driver, driver.find_element(By.CSS_SELECTOR, "#show button"))
            r["show_version"] = text_of(driver, "#output")
            click(driver, link(driver, "Devices > CDM"))
            # the standby's state as it reported it to the primary
            r["cdm_columns"] = [e.text for e in driver.find_elements(By.CSS_SELECTOR, "#devices th")]
            r["cdm2_standby"] = text_of(driver, "#device-cdm2 .standby")
            r["cdm1_standby"] = text_of(driver, "#device-cdm1 .standby")
            click(driver, driver.find_element(By.CSS_SELECTOR, "#device-cdm1 a.edit"))
            r["cdm1_window"] = text_of(driver, "h1")
            r["cdm1_panes"] = [a.text for a in driver.find_elements(By.CSS_SELECTOR, "#contents a")]

            # procedure 2: System > Software Update > Add Software Update File > URL > Submit
            click(driver, link(driver, "System > Software Update"))
            r["software_window"] = text_of(driver, "h1")
            r["no_files"] = text_of(driver, "#no-files")
            click(driver, link(driver, "Add Software Update File"))
            r["new_file_window"] = text_of(driver, "h1")
            driver.find_element(By.NAME, "url").send_keys(META)
            click(driver, driver.find_element(By.CSS_SELECTOR, "#register button"))
            r["registered_note"] = text_of(driver, "#note")
            r["file_url"] = text_of(driver, "#files .url")
            r["file_registered"] = text_of(driver, "#files .registered")
            click(driver, link(driver, "Add Software Update File"))
            driver.find_element(By.NAME, "url").send_keys(META)
            click(driver, driver.find_element(By.CSS_SELECTOR, "#register button"))
            r["duplicate_window"] = text_of(driver, "h1")
            r["duplicate_error"] = text_of(driver, "#error")
            r["duplicate_url_kept"] = driver.find_element(By.NAME, "url").get_attribute("value")

            # an address that does not exist: a window that says so and leads back
            driver.get(primary + "/no/such/page")
            r["not_found_title"] = text_of(driver, "h1")
            r["not_found_text"] = text_of(driver, "#not-found")
            click(driver, driver.find_element(By.CSS_SELECTOR, "#back"))
            r["after_not_found"] = text_of(driver, "h1")

            # procedure 3: Devices > Device Groups > Edit (edge) > CDN Settings > Software
            # Upgrade/Downgrade > Update Software: the URL from the drop-down list, Submit
            click(driver, link(driver, "Devices > Device Groups"))
            click(driver, driver.find_element(By.CSS_SELECTOR, "#group-edge a.edit"))
            r["group_window"] = text_of(driver, "h1")
            click(driver, link(driver, "CDN Settings > Software Upgrade/Downgrade"))
            r["update_window"] = text_of(driver, "#window")
            Select(driver.find_element(By.NAME, "file")).select_by_visible_text(META)
            click(driver, driver.find_element(By.CSS_SELECTOR, "#update button"))
            r["upgrade_window"] = text_of(driver, "h1")
            r["upgrade_note"] = text_of(driver, "#note")

            # the Device Groups window's Software Version column until both CEs run 5.2.1
            seen = set()

            def upgraded():
                driver.get(primary + "/groups")
                column = text_of(driver, "#group-edge .version")
                seen.add(column)
                return column if column == "ce1: 5.2.1; ce2: 5.2.1" else None

            r["group_versions"] = wait_for("5.2.1 on ce1 and ce2", upgraded, timeout=240.0, every=0.5)
            r["columns_seen"] = sorted(seen)
            driver.get(primary + "/jobs")
            r["job_statuses"] = [e.text for e in driver.find_elements(By.CSS_SELECTOR, "#jobs .status")]
            r["job_rows"] = len(driver.find_elements(By.CSS_SELECTOR, "#jobs tr")) - 1
            r["job_changed"] = text_of(driver, "#jobs .changed")
            # the history of a job is behind its link, in a window of its own
            click(driver, driver.find_element(By.CSS_SELECTOR, "#jobs a.history"))
            r["job_window"] = text_of(driver, "h1")
            r["job_history"] = text_of(driver, "#history")
            driver.get(primary + "/devices/ce")
            driver.save_screenshot(screenshot)
            r["ce_versions"] = {
                n: text_of(driver, f"#device-{n} .version") for n in ("ce1", "ce2")
            }
            driver.get(primary + "/devices/cr")
            r["cr1_version"] = text_of(driver, "#device-cr1 .version")

            # procedure 4: Update Software window of a CE: the file's radio button, Delete, OK
            click(driver, link(driver, "Devices > Content Engines"))
            click(driver, driver.find_element(By.CSS_SELECTOR, "#device-ce2 a.edit"))
            click(driver, link(driver, "CDN Settings > Software Upgrade/Downgrade"))
            r["ce_update_window"] = text_of(driver, "#window")
            driver.find_element(By.CSS_SELECTOR, "#delete-file input[type=radio]").click()
            r["delete_prompt"] = click(
                driver, driver.find_element(By.CSS_SELECTOR, "#delete-file button"), confirm=True
            )
            r["after_delete_window"] = text_of(driver, "h1")
            r["after_delete_files"] = text_of(driver, "#no-files")

            # and the other way: register again, Edit > Modifying Software Update File > Trash, OK
            click(driver, link(driver, "Add Software Update File"))
            driver.find_element(By.NAME, "url").send_keys(META)
            click(driver, driver.find_element(By.CSS_SELECTOR, "#register button"))
            click(driver, driver.find_element(By.CSS_SELECTOR, "#files a.edit"))
            r["modify_window"] = text_of(driver, "h1")
            click(driver, driver.find_element(By.CSS_SELECTOR, "#trash button"), confirm=True)
            r["after_trash_files"] = text_of(driver, "#no-files")

            # the standby CDM's GUI sends the user to the primary
            log_in(driver, standby, "default")
            r["standby_error"] = text_of(driver, "#error")

            # Logout ends the session on the primary: its windows ask for a login again
            driver.get(primary + "/devices/ce")
            r["still_logged_in"] = text_of(driver, "h1")
            click(driver, link(driver, "Logout"))
            driver.get(primary + "/devices/ce")
            r["after_logout"] = text_of(driver, "h1")
        finally:
            driver.quit()
    print(json.dumps(r))


if __name__ == "__main__":
    main()
