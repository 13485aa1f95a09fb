#!/usr/bin/env python3
"""Browser checks of the operator dashboard (issue 16), driven by Selenium with Debian's
chromium + chromium-driver, headless, against a running `vpp serve` on 127.0.0.1.

    browser-dashboard.py --base http://127.0.0.1:PORT --operator TOKEN --office TOKEN \
        --dong 1141058500 --day 2024-07-15 --out .build/screenshots

Signs in (the login page reached from a protected page), navigates periods (scope tabs,
previous/next, the date picker), clicks a dong on the map, opens a battery, opens the city view,
signs out, and checks
that an office user is refused the operator pages. Saves screenshots at 1280 px and 390 px wide.
Exits 1 with a message on the first failed check. No network beyond the given base URL.
"""
import argparse
import os
import shutil
import sys
import time
from urllib.parse import urlparse, parse_qs

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import WebDriverWait


def fail(msg):
    print(f"browser: FAIL {msg}")
    sys.exit(1)


def check(cond, msg):
    if not cond:
        fail(msg)
    print(f"browser: ok   {msg}")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--base", required=True)
    ap.add_argument("--operator", required=True)
    ap.add_argument("--office", required=True)
    ap.add_argument("--dong", required=True)
    ap.add_argument("--day", required=True, help="a day with data and a battery plan, YYYY-MM-DD (KST)")
    ap.add_argument("--out", required=True)
    a = ap.parse_args()
    os.makedirs(a.out, exist_ok=True)

    chrome = shutil.which("chromium") or shutil.which("chromium-browser")
    driver_bin = shutil.which("chromedriver") or "/usr/lib/chromium/chromedriver"
    opts = webdriver.ChromeOptions()
    opts.binary_location = chrome
    for flag in ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--hide-scrollbars",
                 "--force-device-scale-factor=1", "--lang=ko-KR", "--window-size=1280,900"]:
        opts.add_argument(flag)
    d = webdriver.Chrome(service=Service(executable_path=driver_bin), options=opts)
    d.set_page_load_timeout(150)   # the test suite shares 2 cores with hundreds of tests
    base = a.base.rstrip("/")

    def path():
        u = urlparse(d.current_url)
        return u.path + (("?" + u.query) if u.query else "")

    def query():
        return {k: v[0] for k, v in parse_qs(urlparse(d.current_url).query).items()}

    def shot(name, width):
        d.set_window_size(width, 900)
        time.sleep(0.2)
        h = d.execute_script("return Math.max(document.body.scrollHeight, document.documentElement.scrollHeight)")
        d.set_window_size(width, min(max(int(h) + 40, 600), 7000))
        time.sleep(0.2)
        f = os.path.join(a.out, f"{name}-{width}.png")
        d.save_screenshot(f)
        print(f"browser: shot {f}")
        # The layout must fit the width: nothing wider than the window (no horizontal scroll
        # except inside the marked .scroll tables).
        sw = d.execute_script("return document.documentElement.scrollWidth")
        check(sw <= width + 1, f"{name} at {width} px: page is {sw} px wide (no horizontal overflow)")
        d.set_window_size(1280, 900)

    def click(el):
        """Clicks a link or button and waits for the next page (a click returns before it loads)."""
        old = d.find_element(By.TAG_NAME, "html")
        el.click()
        try:
            WebDriverWait(d, 150).until(EC.staleness_of(old))
        except Exception:
            fail(f"no page load after clicking on {path()}")
        WebDriverWait(d, 150).until(lambda x: x.execute_script("return document.readyState") == "complete")

    def sign_in(token):
        d.find_element(By.ID, "token").send_keys(token)
        click(d.find_element(By.ID, "signin"))

    try:
        # 1. A protected page sends the browser to the login page, which brings it back.
        d.get(base + "/dashboard?scope=month")
        check(path().startswith("/login?next="), f"/dashboard without a session goes to the login page ({path()})")
        shot("login", 1280)
        sign_in(a.operator)
        check(path().startswith("/dashboard"), f"after sign-in the dashboard opens ({path()})")
        check(len(d.find_elements(By.CSS_SELECTOR, "#map path.area")) == 14, "the map draws 14 dongs")
        check("of 14 dongs" in d.page_source, "summary cards state their coverage")
        shot("dashboard", 1280)
        shot("dashboard", 390)

        # 2. Periods: previous / next, scope tabs, the date picker.
        title = d.find_element(By.ID, "period-title").text
        click(d.find_element(By.ID, "prev"))
        check(d.find_element(By.ID, "period-title").text != title, f"previous period ({title} -> {d.find_element(By.ID, 'period-title').text})")
        click(d.find_element(By.ID, "next"))
        check(d.find_element(By.ID, "period-title").text == title, "next period comes back")
        click(d.find_element(By.LINK_TEXT, "주 week"))
        check(query().get("scope") == "week", f"week tab keeps the state in the URL ({path()})")
        picker = d.find_element(By.ID, "date")
        d.execute_script("arguments[0].value = arguments[1]", picker, a.day)   # typing a date is locale-dependent
        click(picker.find_element(By.XPATH, "./following-sibling::button"))
        check(query().get("date") == a.day and a.day[:4] in d.find_element(By.ID, "period-title").text,
              f"the date picker selects the week of {a.day} ({d.find_element(By.ID, 'period-title').text})")
        click(d.find_element(By.LINK_TEXT, "일 day"))
        check(query().get("scope") == "day" and query().get("period") == d.find_element(By.ID, "period-title").text.split(" ")[0],
              f"day tab ({path()})")
        shot("dashboard-day", 1280)
        # The hover value of a dong is its <title>.
        titles = [t.get_attribute("textContent") for t in d.find_elements(By.CSS_SELECTOR, "#map path.area title")]
        check(len(titles) == 14 and all(":" in t for t in titles), "every dong has a hover title with its value")

        # 3. Click a dong on the map.
        # A user clicks inside the shape: at its label (the area centroid; labels let clicks through),
        # not at the centre of its bounding box, which may lie in a neighbour.
        old = d.find_element(By.TAG_NAME, "html")
        ActionChains(d).move_to_element(d.find_element(By.ID, f"map-label-{a.dong}")).click().perform()
        WebDriverWait(d, 150).until(EC.staleness_of(old))
        check(path().startswith(f"/dong/{a.dong}?"), f"clicking the dong opens its page ({path()})")
        check(query().get("scope") == "day", "the dong page keeps the period")
        shot("dong", 1280)
        shot("dong", 390)

        # 4. Open a battery.
        links = d.find_elements(By.CSS_SELECTOR, "#batteries a")
        check(len(links) > 0, "the dong page lists its batteries")
        click(links[0])
        check(path().startswith("/battery/"), f"battery page ({path()})")
        check(len(d.find_elements(By.CSS_SELECTOR, "#chart-soc")) == 1 and "reserve" in d.page_source, "SoC chart with the reserve floor")
        shot("battery", 1280)
        shot("battery", 390)
        d.get(base + "/completeness?scope=week&date=" + a.day)
        check(len(d.find_elements(By.ID, "completeness")) == 1, "data completeness page")
        shot("completeness", 1280)
        check(len(d.find_elements(By.ID, "late-arrivals")) == 1, "the completeness page lists late data")
        late = d.find_elements(By.CSS_SELECTOR, "#completeness td.late a")
        check(len(late) >= 1 and "/uploads/" in late[0].get_attribute("href"), f"a late meter-day links to its upload ({len(late)} late cells)")

        # 4b. The city view (issue 14): reached from the header, districts with their target shares.
        click(d.find_element(By.ID, "city-link"))
        check(path().startswith("/city"), f"the header links to the city view ({path()})")
        rows = d.find_elements(By.CSS_SELECTOR, "#districts tr")
        check(len(rows) >= 3, f"the city view lists the loaded districts and the city total ({len(rows) - 1} rows)")
        check("1 GW solar" in d.page_source, "the city view names the city targets")
        shot("city", 1280)
        shot("city", 390)
        click(d.find_element(By.LINK_TEXT, "월 month"))
        check(query().get("scope") == "month" and len(d.find_elements(By.ID, "districts")) == 1, f"city month view ({path()})")
        click(d.find_element(By.ID, "prev"))
        check(query().get("scope") == "month", f"city previous month ({path()})")

        # 5. Sign out: the session is gone.
        click(d.find_element(By.ID, "signout"))
        check(path().startswith("/login"), f"sign-out goes to the login page ({path()})")
        d.get(base + "/dashboard")
        check(path().startswith("/login?next="), "after sign-out the dashboard needs a sign-in again")

        # 6. An office user reaches the upload page, not the operator pages.
        sign_in(a.office)
        check(path() == "/upload", f"an office user lands on the upload page ({path()})")
        check(len(d.find_elements(By.NAME, "token")) == 0, "the signed-in upload form needs no token")
        shot("office-upload", 1280)
        shot("office-upload", 390)
        d.get(base + "/dashboard")
        check(len(d.find_elements(By.ID, "forbidden")) == 1, "an office user gets the 403 page on /dashboard")
        shot("office-forbidden", 390)
        d.get(base + f"/dong/{a.dong}")
        check(len(d.find_elements(By.ID, "forbidden")) == 1, "an office user gets the 403 page on a dong page")
        d.get(base + "/city")
        check(len(d.find_elements(By.ID, "forbidden")) == 1, "an office user gets the 403 page on the city view")
        print("browser: PASSED")
    finally:
        d.quit()


if __name__ == "__main__":
    main()
