"""web-service in a real browser: Debian's headless Chromium driven by selenium.

Run by BrowserTests (Tests/SafeMapWebTests) against services it started, with the accounts and
the figures it expects. Every page visited is saved at 1280 and 360 px wide under
--screenshots. Prints one JSON object: {"ok": true, "checks": n, "screenshots": [...]} or
{"ok": false, "failure": "..."} (exit status 1).
"""

import argparse
import json
import os
import sys
import time

from selenium import webdriver
from selenium.common.exceptions import TimeoutException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import WebDriverWait


class Failure(Exception):
    pass


checks = 0
shots = []


def check(condition, message):
    global checks
    checks += 1
    if not condition:
        raise Failure(message)


def browser(downloads):
    options = webdriver.ChromeOptions()
    options.binary_location = "/usr/bin/chromium"
    for argument in ["--headless=new", "--no-sandbox", "--disable-gpu",
                     "--disable-dev-shm-usage", "--window-size=1280,900", "--lang=vi"]:
        options.add_argument(argument)
    options.add_experimental_option("prefs", {
        "download.default_directory": downloads,
        "download.prompt_for_download": False,
    })
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)
    driver.set_page_load_timeout(60)
    return driver


def shoot(driver, directory, name):
    """The page at 1280 px and at 360 px wide (a phone), then back to 1280."""
    for width in (1280, 360):
        driver.set_window_size(width, 900)
        time.sleep(0.3)
        path = os.path.join(directory, f"{name}-{width}.png")
        height = driver.execute_script("return document.documentElement.scrollHeight")
        driver.set_window_size(width, min(max(900, height), 4000))
        time.sleep(0.2)
        driver.save_screenshot(path)
        shots.append(path)
    driver.set_window_size(1280, 900)


def wait(driver, condition, message, seconds=30):
    try:
        WebDriverWait(driver, seconds).until(condition)
    except TimeoutException:
        raise Failure(message)


def no_script_errors(driver, where):
    errors = [e["message"] for e in driver.get_log("browser") if e["level"] == "SEVERE"]
    check(not errors, f"{where}: script or loading errors: {errors}")


ACCESSIBILITY = """
const problems = [];
if (document.documentElement.lang !== 'vi') problems.push('html lang is not vi');
for (const c of document.querySelectorAll('input, select, textarea')) {
  if (c.type === 'hidden') continue;
  const labelled = (c.id && document.querySelector(`label[for="${c.id}"]`)) ||
    c.closest('label') || c.getAttribute('aria-label') || c.getAttribute('aria-labelledby');
  if (!labelled) problems.push(`control without a label: ${c.name || c.id}`);
}
for (const i of document.querySelectorAll('img')) {
  if (!i.hasAttribute('alt')) problems.push(`image without alt: ${i.src}`);
}
function rgb(text) { return (text.match(/[\\d.]+/g) || []).map(Number); }
function luminance([r, g, b]) {
  const f = (v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; };
  return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b);
}
function background(e) {
  for (; e; e = e.parentElement) {
    const c = rgb(getComputedStyle(e).backgroundColor);
    if (c.length === 3 || (c.length === 4 && c[3] > 0.5)) return c.slice(0, 3);
  }
  return [255, 255, 255];
}
let measured = 0;
for (const e of document.querySelectorAll('main *, header *')) {
  if (!e.offsetParent || e.closest('.leaflet-container')) continue;
  const own = [...e.childNodes].some((n) => n.nodeType === 3 && n.textContent.trim());
  if (!own) continue;
  const fg = luminance(rgb(getComputedStyle(e).color).slice(0, 3));
  const bg = luminance(background(e));
  const ratio = (Math.max(fg, bg) + 0.05) / (Math.min(fg, bg) + 0.05);
  const size = parseFloat(getComputedStyle(e).fontSize);
  const bold = parseInt(getComputedStyle(e).fontWeight) >= 700;
  const needed = size >= 24 || (bold && size >= 18.66) ? 3 : 4.5;
  measured++;
  if (ratio < needed) problems.push(`contrast ${ratio.toFixed(2)} < ${needed}: "${e.textContent.trim().slice(0, 40)}"`);
}
if (document.documentElement.scrollWidth > window.innerWidth + 1) {
  const wide = [...document.querySelectorAll('body *')].filter((e) =>
    e.getBoundingClientRect().right > window.innerWidth + 1 && !e.closest('.scroll') &&
    !e.closest('.leaflet-container'));
  if (wide.length) problems.push(`wider than the screen: ${wide[0].tagName}.${wide[0].className}`);
}
return {problems, measured};
"""


def accessible(driver, where):
    """Labels, alt texts, contrast (WCAG AA), and, at 360 px, nothing wider than the screen
    outside a scrolling table."""
    for width in (1280, 360):
        driver.set_window_size(width, 900)
        time.sleep(0.2)
        result = driver.execute_script(ACCESSIBILITY)
        check(result["measured"] > 0, f"{where}: no text measured")
        check(not result["problems"], f"{where} at {width}px: {result['problems'][:5]}")
    driver.set_window_size(1280, 900)


def keyboard(driver, where):
    """Tab from the top reaches the skip link first, then the navigation: every control is
    reachable without a mouse."""
    driver.find_element(By.TAG_NAME, "body").send_keys(Keys.TAB)
    active = driver.switch_to.active_element
    check("skip" in (active.get_attribute("class") or ""), f"{where}: the first Tab is not the skip link")


def sign_in(driver, url, username, password):
    driver.get(url + "/login")
    driver.find_element(By.ID, "username").send_keys(username)
    driver.find_element(By.ID, "password").send_keys(password)
    driver.find_element(By.CSS_SELECTOR, "form[action='/login'] button").click()


def change_password(driver, current, new):
    wait(driver, lambda d: d.current_url.endswith("/password"), "a first login did not go to the password change")
    driver.find_element(By.ID, "current_password").send_keys(current)
    driver.find_element(By.ID, "new_password").send_keys(new)
    driver.find_element(By.ID, "confirm_password").send_keys(new)
    driver.find_element(By.CSS_SELECTOR, "form[action='/password'] button").click()


def map_counts(driver, url, suffix=""):
    driver.get(f"{url}/?province=74{suffix}")
    wait(driver, lambda d: d.find_element(By.ID, "map").get_attribute("data-ready") == "true",
         "the map did not load")
    element = driver.find_element(By.ID, "map")
    levels = ["SAFE", "AT_RISK", "UNSAFE", "OVERDUE", "NOT_ASSESSED"]
    return int(element.get_attribute("data-points")), {
        level: int(element.get_attribute(f"data-count-{level.lower().replace('_', '-')}"))
        for level in levels
    }


def logout(driver):
    """Signs out and waits for the redirect to land: a navigation started before it would be
    overtaken by it."""
    driver.find_element(By.CSS_SELECTOR, "form[action='/logout'] button").click()
    wait(driver, lambda d: d.find_elements(By.CSS_SELECTOR, "nav a[href='/login']")
         or "Lỗi" in d.page_source, "signing out did not finish")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--url", required=True)
    parser.add_argument("--expected", required=True, help="JSON of what the services count")
    parser.add_argument("--screenshots", required=True)
    parser.add_argument("--downloads", required=True)
    args = parser.parse_args()
    expected = json.loads(args.expected)
    os.makedirs(args.screenshots, exist_ok=True)
    os.makedirs(args.downloads, exist_ok=True)
    url = args.url.rstrip("/")
    driver = browser(args.downloads)
    try:
        run(driver, url, expected, args)
    except Failure:
        # What the browser showed when a check failed, for whoever reads the failure.
        driver.save_screenshot(os.path.join(args.screenshots, "failure.png"))
        raise
    finally:
        driver.quit()


def run(driver, url, expected, args):
    directory = args.screenshots

    # The public map: the right number of points, in the right colours, without signing in.
    points, counts = map_counts(driver, url)
    check(points == expected["map_points"], f"map shows {points} points, expected {expected['map_points']}")
    check(counts == expected["map_levels"], f"map levels {counts}, expected {expected['map_levels']}")
    clusters = driver.find_elements(By.CSS_SELECTOR, ".leaflet-marker-icon.cluster, .leaflet-marker-icon.point")
    check(len(clusters) > 0, "no point or cluster drawn")
    for c in clusters[:20]:
        classes = c.get_attribute("class")
        check(any(k in classes for k in ["safe", "at-risk", "unsafe", "overdue", "not-assessed"]),
              f"a marker without a level class: {classes}")
    no_script_errors(driver, "map")
    shoot(driver, directory, "01-public-map")
    keyboard(driver, "map")
    accessible(driver, "map")

    # A province officer reads R1 and exports R4.
    officer = expected["officer"]
    sign_in(driver, url, officer["username"], officer["password"])
    wait(driver, lambda d: d.current_url.endswith("/dashboard"), "the officer did not land on the dashboard")
    total = driver.find_element(By.CSS_SELECTOR, "#summary tr.total")
    cells = [td.text for td in total.find_elements(By.TAG_NAME, "td")]
    check(cells[:9] == [str(v) for v in expected["r1_total"]], f"R1 total {cells[:9]}, expected {expected['r1_total']}")
    check(not driver.find_elements(By.CSS_SELECTOR, ".checks .bad"), "an invariant does not hold")
    accessible(driver, "dashboard")
    shoot(driver, directory, "07-dashboard-r1")
    driver.get(url + "/lists?kind=r4")
    shoot(driver, directory, "08-list-r4")
    accessible(driver, "R4 list")
    driver.find_element(By.ID, "export-csv").click()
    deadline = time.time() + 30
    files = []
    while time.time() < deadline:
        files = [f for f in os.listdir(args.downloads) if f.endswith(".csv")]
        if files:
            break
        time.sleep(0.2)
    check(files, "the R4 export did not download")
    with open(os.path.join(args.downloads, files[0]), "rb") as f:
        data = f.read()
    check(data.startswith(b"\xef\xbb\xbf"), "the CSV has no byte-order mark")
    lines = [l for l in data.decode("utf-8-sig").split("\r\n") if l]
    check(len(lines) == expected["r4_count"] + 1, f"R4 CSV has {len(lines) - 1} rows, expected {expected['r4_count']}")
    for path, name in [("/campaigns", "09-campaigns"), ("/trend", "10-trend"), ("/issue", "11-issue")]:
        driver.get(url + path)
        accessible(driver, path)
        shoot(driver, directory, name)
    driver.get(url + "/campaigns")
    links = driver.find_elements(By.CSS_SELECTOR, "#campaign-list a")
    if links:
        links[0].click()
        wait(driver, lambda d: d.find_elements(By.ID, "campaign-total"), "no campaign progress")
        shoot(driver, directory, "12-campaign-progress")

    # A form without its CSRF token is refused.
    driver.execute_script("document.querySelector(\"form[action='/logout'] input[name=csrf]\").remove()")
    logout(driver)
    wait(driver, lambda d: "Lỗi 403" in d.page_source, "a form without its CSRF token was accepted")
    shoot(driver, directory, "13-csrf-refused")
    driver.delete_all_cookies()

    # A facility: first sign-in, password change, self-assessment (violations first), result.
    facility = expected["facility"]
    sign_in(driver, url, facility["username"], facility["password"])
    shoot(driver, directory, "02-password-change")
    accessible(driver, "password")
    change_password(driver, facility["password"], "Nhà-máy-an-toàn-2021")
    wait(driver, lambda d: "/facilities/" in d.current_url, "the facility did not land on its page")
    shoot(driver, directory, "03-facility-page")
    accessible(driver, "facility page")
    driver.find_element(By.ID, "assess-workplace").click()
    wait(driver, lambda d: d.find_elements(By.ID, "assessment-form"), "no assessment form")
    driver.find_element(By.CSS_SELECTOR, "#assessment-form button[type=submit]").click()
    wait(driver, lambda d: d.find_elements(By.ID, "form-errors"), "no violations shown")
    errors = driver.find_elements(By.CSS_SELECTOR, "fieldset .field-error")
    check(len(errors) == facility["answered_criteria"],
          f"{len(errors)} violations beside fields, expected {facility['answered_criteria']}")
    accessible(driver, "assessment form with violations")
    shoot(driver, directory, "04-assessment-violations")
    # The riskiest option of every criterion the facility answers.
    for fieldset in driver.find_elements(By.CSS_SELECTOR, "fieldset.criterion"):
        radios = fieldset.find_elements(By.CSS_SELECTOR, "input[type=radio]")
        if not radios:
            continue
        def points(radio):
            label = driver.find_element(By.CSS_SELECTOR, f"label[for='{radio.get_attribute('id')}']").text
            return int(label.rsplit("(", 1)[1].split()[0])
        best = max(radios, key=points)
        driver.execute_script("arguments[0].scrollIntoView({block: 'center'})", best)
        best.click()
    driver.find_element(By.CSS_SELECTOR, "#assessment-form button[type=submit]").click()
    wait(driver, lambda d: d.find_elements(By.ID, "result-level"), "no result page")
    result = driver.find_element(By.ID, "result-level").text
    check("Không an toàn" in result, f"result: {result}")
    accessible(driver, "result")
    shoot(driver, directory, "05-assessment-result")
    logout(driver)

    # Its point changed colour on the public map.
    at = f"#18/{facility['latitude']}/{facility['longitude']}"
    _, after = map_counts(driver, url, at)
    check(after["UNSAFE"] == expected["map_levels"]["UNSAFE"] + 1, f"unsafe count after: {after}")
    title = f"{facility['name']}: Không an toàn"
    wait(driver, lambda d: any(e.get_attribute("title") == title for e in
                               d.find_elements(By.CSS_SELECTOR, ".leaflet-marker-icon.point")),
         f"no red point titled {title!r} at {driver.current_url}")
    marker = [e for e in driver.find_elements(By.CSS_SELECTOR, ".leaflet-marker-icon.point")
              if e.get_attribute("title") == title][0]
    check("unsafe" in marker.get_attribute("class"), "the facility's point is not red")
    shoot(driver, directory, "06-map-after-assessment")

    # A district officer cannot open another district's facility.
    district = expected["district_officer"]
    sign_in(driver, url, district["username"], district["password"])
    change_password(driver, district["password"], "Thủ-Dầu-Một-2021")
    wait(driver, lambda d: d.current_url.endswith("/dashboard"), "the district officer did not land on the dashboard")
    driver.get(url + "/facilities/" + district["other_facility"])
    body = driver.find_element(By.TAG_NAME, "main").text
    check("Lỗi 403" in body or "Lỗi 404" in body, f"another district's facility opened: {body[:200]}")
    check(district["other_tax_code"] not in driver.page_source, "another district's facility leaked")
    shoot(driver, directory, "14-other-district-refused")
    accessible(driver, "error page")


if __name__ == "__main__":
    try:
        main()
        print(json.dumps({"ok": True, "checks": checks, "screenshots": shots}))
    except Failure as failure:
        print(json.dumps({"ok": False, "failure": str(failure), "checks": checks}))
        sys.exit(1)
