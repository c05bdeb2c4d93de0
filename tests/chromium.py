"""Open a page in headless Debian Chromium (never `playwright install`), read its images, take a screenshot."""

from __future__ import annotations

from pathlib import Path
from typing import Any

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--no-first-run"]  # fmt: skip


def open_page(html: Path, screenshot: Path) -> dict[str, Any]:
    """{"title", "images": [{"alt", "complete", "width", "height"}], "headings", "text"} as the browser sees it."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            page = browser.new_page(viewport={"width": 1366, "height": 768})  # a common laptop screen
            page.goto(html.resolve().as_uri())
            page.wait_for_load_state("load")
            info = page.evaluate("""() => ({
                title: document.title,
                images: Array.from(document.images).map(i => ({alt: i.alt, complete: i.complete,
                    width: i.naturalWidth, height: i.naturalHeight, shown: i.getBoundingClientRect().width})),
                headings: Array.from(document.querySelectorAll('h2')).map(h => h.textContent.trim()),
                subheadings: Array.from(document.querySelectorAll('h3')).map(h => h.textContent.trim()),
                text: document.body.innerText,
                overflow: document.documentElement.scrollWidth > window.innerWidth,
            })""")
            page.screenshot(path=str(screenshot), full_page=True)
        finally:
            browser.close()
    return info
