"""Screenshots of each portal page for the docs: ``python docs/screenshots.py`` starts a server on a fresh data
directory with the sample data (``DASAN_SAMPLE_DATA``: datasets, polls, the sensor feed) and a sample problem
report, opens every page in headless Chromium in Korean and English at 390 and 1280 px, and saves each as a JPEG
in ``docs/screenshots/`` (the top of the page, at most ``--max-height`` px, so the folder stays small).

Run it again after changing a page; the names stay the same (``{page}-{lang}-{width}.jpg``).
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "docs" / "screenshots"
PAGES = [("home", "/"), ("complaints", "/complaints"), ("ticket", "/complaints/{ticket}"), ("voting", "/voting"),
         ("data", "/data"), ("dataset", "/data/heat_shelters"), ("air", "/air")]
WIDTHS = {390: 844, 1280: 900}


def _report(base: str) -> str:
    """One sample problem report (through Open311, as the page files it): its ticket."""
    import httpx

    answer = httpx.post(f"{base}/open311/v2/requests.json", timeout=30,
                        data={"service_code": "pothole", "lat": "37.5665", "long": "126.9780",
                              "description": "[Sample] A pothole by the crossing (sample report for the docs)"})
    answer.raise_for_status()
    return answer.json()[0]["service_request_id"]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=OUT)
    parser.add_argument("--max-height", type=int, default=1600, help="crop each page to this many CSS px")
    parser.add_argument("--quality", type=int, default=50, help="JPEG quality")
    args = parser.parse_args(argv)
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        print("Chromium is not installed (`make system-packages` installs it)", file=sys.stderr)
        return 1
    sys.path.insert(0, str(ROOT))
    from playwright.sync_api import sync_playwright

    from dasan.app import create_app
    from dasan.serving import serve_in_thread
    from dasan.settings import Settings

    args.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="dasan-screenshots-") as tmp:
        settings = Settings(data_dir=Path(tmp) / "var", warm_up=False, chat_enabled=False, sample_data=True,
                            map_tile_url="")
        app = create_app(settings)
        with serve_in_thread(app) as served:
            served.wait_ready()
            if not served.app.state.samples.done.wait(300):
                print("the sample data did not load in time", file=sys.stderr)
                return 1
            ticket = _report(served.base)
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(executable_path=chromium, headless=True,
                                                     args=["--no-sandbox", "--disable-gpu"])
                try:
                    for width, height in WIDTHS.items():
                        page = browser.new_page(viewport={"width": width, "height": height})
                        page.route("**/*", lambda route: route.continue_()
                                   if route.request.url.startswith(served.base) else route.abort())
                        for name, path in PAGES:
                            for lang in ("ko", "en"):
                                page.goto(f"{served.base}{path.format(ticket=ticket)}?lang={lang}")
                                try:
                                    page.locator("body[data-ready='1']").wait_for(timeout=15_000)
                                except Exception:  # noqa: BLE001 - pages without the marker (the home page)
                                    pass
                                page.wait_for_load_state("networkidle")
                                time.sleep(0.5)  # map tiles of outlines, charts
                                full = page.evaluate("document.documentElement.scrollHeight")
                                target = args.out / f"{name}-{lang}-{width}.jpg"
                                page.screenshot(path=str(target), type="jpeg", quality=args.quality, full_page=True,
                                                clip={"x": 0, "y": 0, "width": width,
                                                      "height": min(full, args.max_height)})
                                print(f"{target.relative_to(ROOT) if target.is_relative_to(ROOT) else target}"
                                      f" ({target.stat().st_size // 1024} KB)")
                        page.close()
                finally:
                    browser.close()
    total = sum(p.stat().st_size for p in args.out.glob("*.jpg"))
    print(f"{len(list(args.out.glob('*.jpg')))} screenshots, {total / 1e6:.1f} MB in all")
    return 0


if __name__ == "__main__":
    sys.exit(main())
