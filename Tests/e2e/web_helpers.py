"""Browser helpers for the web client's tests: headless Debian chromium through selenium, with viewports,
downloads, screenshots and the console log."""

import base64
import hashlib
import pathlib
import time

from selenium import webdriver
from selenium.common.exceptions import StaleElementReferenceException, WebDriverException
from selenium.webdriver.chrome.options import Options
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import WebDriverWait

ARTIFACTS = pathlib.Path(__file__).resolve().parent / "artifacts"
DESKTOP = (1280, 800)
PHONE = (390, 844)


def browser(download_dir):
    """A fresh headless chromium (its own profile: no tokens, no storage) that saves downloads in download_dir."""
    options = Options()
    options.binary_location = "/usr/bin/chromium"
    for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                     f"--window-size={DESKTOP[0]},{DESKTOP[1]}", "--lang=en-US"):
        options.add_argument(argument)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    options.add_experimental_option("prefs", {
        "download.default_directory": str(download_dir),
        "download.prompt_for_download": False,
        "download.directory_upgrade": True,
    })
    driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)
    driver.execute_cdp_cmd("Page.setDownloadBehavior", {"behavior": "allow", "downloadPath": str(download_dir)})
    viewport(driver, DESKTOP)
    return driver


def viewport(driver, size):
    """Emulates a screen of size (width, height); phone sizes emulate a mobile device (viewport meta applies)."""
    width, height = size
    driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {
        "width": width, "height": height, "deviceScaleFactor": 1, "mobile": width < 600,
    })


def wait(driver, timeout=20):
    return WebDriverWait(driver, timeout, poll_frequency=0.1, ignored_exceptions=(StaleElementReferenceException,))


def visible(driver, css, timeout=20):
    return wait(driver, timeout).until(EC.visibility_of_element_located((By.CSS_SELECTOR, css)), f"no visible {css}")


def clickable(driver, css, timeout=20):
    return wait(driver, timeout).until(EC.element_to_be_clickable((By.CSS_SELECTOR, css)), f"{css} not clickable")


def gone(driver, css, timeout=20):
    wait(driver, timeout).until(EC.invisibility_of_element_located((By.CSS_SELECTOR, css)), f"{css} still shown")


def until(driver, condition, message, timeout=20):
    return wait(driver, timeout).until(lambda d: condition(d), message)


def text_of(driver, css):
    return driver.find_element(By.CSS_SELECTOR, css).text


def local_storage(driver, key):
    return driver.execute_script("return window.localStorage.getItem(arguments[0]);", key)


def severe_logs(driver, allowed=()):
    """The console's errors since the last call, except network failures for URLs containing any of `allowed`
    (requests a test provokes on purpose)."""
    errors = []
    for entry in driver.get_log("browser"):
        if entry["level"] != "SEVERE":
            continue
        if entry.get("source") == "network" and any(part in entry["message"] for part in allowed):
            continue
        errors.append(entry["message"])
    return errors


def overflow(driver):
    """How far the page is wider than the viewport (0 when nothing sticks out sideways)."""
    return driver.execute_script(
        "return Math.max(document.documentElement.scrollWidth, document.body.scrollWidth) - window.innerWidth;")


def clipped_text(driver, root_css="main"):
    """Elements inside root whose text is cut off or that stick out of the viewport, as short descriptions."""
    return driver.execute_script("""
        const root = document.querySelector(arguments[0]);
        const found = [];
        for (const el of root.querySelectorAll('*')) {
          const style = getComputedStyle(el);
          if (style.display === 'none' || style.visibility === 'hidden' || el.closest('.visually-hidden')) continue;
          const rect = el.getBoundingClientRect();
          if (rect.width === 0 || rect.height === 0) continue;
          if (rect.right > window.innerWidth + 1 || rect.left < -1) found.push(`${el.tagName}.${el.className}: sticks out (${Math.round(rect.left)}..${Math.round(rect.right)})`);
          const clips = style.overflowX === 'hidden' || style.overflow === 'hidden';
          if (clips && style.textOverflow !== 'ellipsis' && el.scrollWidth > el.clientWidth + 1 && el.children.length === 0)
            found.push(`${el.tagName}.${el.className}: text cut off`);
        }
        return found.slice(0, 10);
    """, root_css)


def screenshot(driver, name):
    """Saves what the screen shows as artifacts/<name>.png and the whole page as <name>-full.png (passing
    notifications dismissed first, as they would be a moment later)."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    driver.execute_script("document.querySelectorAll('.toast').forEach((toast) => toast.remove());")
    path = ARTIFACTS / f"{name}.png"
    driver.save_screenshot(str(path))
    # Fixed panels would land mid-page in a capture taller than the screen: the full shot is of the page itself.
    width, height = driver.execute_script("""
        document.querySelectorAll('#uploads').forEach((panel) => { panel.dataset.shot = panel.style.visibility; panel.style.visibility = 'hidden'; });
        return [window.innerWidth, Math.max(document.documentElement.scrollHeight, window.innerHeight)];""")
    shot = driver.execute_cdp_cmd("Page.captureScreenshot", {
        "format": "png", "captureBeyondViewport": True,
        "clip": {"x": 0, "y": 0, "width": width, "height": height, "scale": 1},
    })
    driver.execute_script(
        "document.querySelectorAll('#uploads').forEach((panel) => { panel.style.visibility = panel.dataset.shot; });")
    (ARTIFACTS / f"{name}-full.png").write_bytes(base64.b64decode(shot["data"]))
    return path


def downloaded(directory, name, size, timeout=30):
    """The bytes of a finished download named `name` of `size` bytes in directory."""
    path = pathlib.Path(directory) / name
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        partial = list(pathlib.Path(directory).glob("*.crdownload"))
        if path.exists() and not partial and path.stat().st_size == size:
            return path.read_bytes()
        time.sleep(0.1)
    raise AssertionError(f"{name} was not downloaded to {directory}: {sorted(p.name for p in pathlib.Path(directory).iterdir())}")


def sha256(data):
    return hashlib.sha256(data).hexdigest()


def quit_quietly(driver):
    try:
        driver.quit()
    except WebDriverException:
        pass
