"""无头浏览器与本地服务器：publish/build_pdf.py 打印、publish/check_site.py 检查，用同一个。

The headless browser both the PDF build and the site check drive (Debian's chromium through
Playwright, never `playwright install`; on GitHub's runner its Google Chrome), and the local
server on 127.0.0.1 that serves build/site/ to it. .ci/run asks default_chromium() whether a
browser must be installed.
"""

from __future__ import annotations

import functools
import http.server
import shutil
import threading
from pathlib import Path
from urllib.parse import urlparse

BROWSERS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format, *args):  # signature from the base class
        pass


def serve(directory: Path) -> tuple[http.server.ThreadingHTTPServer, str]:
    handler = functools.partial(QuietHandler, directory=str(directory))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}/"


def is_served(url: str) -> bool:
    """请求是不是发给 serve() 的本地服务器：打印和检查都离线，别的请求一律拦下。"""
    return urlparse(url).hostname == "127.0.0.1"


def default_chromium() -> str:
    """Debian 的 chromium，否则 PATH 上的 google-chrome。"""
    return next((found for name in BROWSERS if (found := shutil.which(name))), "/usr/bin/chromium")


def add_chromium_option(parser) -> None:
    """--chromium：要驱动的浏览器（build_pdf.py 与 check_site.py 同一个选项、同一个默认值）。"""
    parser.add_argument(
        "--chromium",
        default=default_chromium(),
        help="the browser to drive (default: Debian's chromium, else google-chrome, from PATH)",
    )
