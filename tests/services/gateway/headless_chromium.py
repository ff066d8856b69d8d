"""Debian's Chromium, headless, driven over the DevTools protocol on a pipe (no extra packages).

``--remote-debugging-pipe`` makes Chromium read commands from fd 3 and write replies to fd 4,
NUL-separated JSON. ``Page`` attaches to one tab and offers what the dashboard tests need:
navigate, evaluate JavaScript, click where an element is, drag, resize and screenshot.
``RACING_COACH_SCREENSHOTS=docs/screenshots`` makes the tests write the README's screenshots there.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import fcntl
import itertools
import json
import os
import shlex
import shutil
import tempfile
from pathlib import Path
from typing import Any

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--hide-scrollbars", "--mute-audio",
]


class BrowserError(RuntimeError):
    pass


def _high(fd: int) -> int:
    moved = fcntl.fcntl(fd, fcntl.F_DUPFD, 10)
    os.close(fd)
    return moved


class Browser:
    def __init__(self) -> None:
        self._ids = itertools.count(1)
        self._pending: dict[int, asyncio.Future] = {}
        self._events: list[dict[str, Any]] = []
        self.console: list[str] = []

    async def start(self) -> Browser:
        self._profile = tempfile.TemporaryDirectory(prefix="racecoach-chromium-")
        to_chrome_r, self._to_chrome = os.pipe()
        self._from_chrome, from_chrome_w = os.pipe()
        to_chrome_r, from_chrome_w = _high(to_chrome_r), _high(from_chrome_w)  # never 3 or 4 themselves
        # Chromium wants the pipe on fds 3 and 4; bash (dash takes one-digit fds only) moves them there.
        command = " ".join(shlex.quote(a) for a in [CHROMIUM, *FLAGS, f"--user-data-dir={self._profile.name}",
                                                    "--remote-debugging-pipe", "about:blank"])
        self.process = await asyncio.create_subprocess_exec(
            shutil.which("bash") or "/bin/bash", "-c", f"exec {command} 3<&{to_chrome_r} 4>&{from_chrome_w} {to_chrome_r}<&- {from_chrome_w}>&-",
            pass_fds=(to_chrome_r, from_chrome_w), stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL,
        )
        os.close(to_chrome_r)
        os.close(from_chrome_w)
        self._reader = asyncio.create_task(self._read())
        return self

    async def _read(self) -> None:
        loop = asyncio.get_running_loop()
        buffer = b""
        while True:
            data = await loop.run_in_executor(None, os.read, self._from_chrome, 1 << 20)
            if not data:
                break
            buffer += data
            while b"\0" in buffer:
                raw, buffer = buffer.split(b"\0", 1)
                message = json.loads(raw)
                future = self._pending.pop(message.get("id"), None)
                if future is not None and not future.done():
                    if "error" in message:
                        future.set_exception(BrowserError(message["error"].get("message", str(message["error"]))))
                    else:
                        future.set_result(message.get("result", {}))
                elif message.get("method") == "Runtime.consoleAPICalled":
                    args = message["params"].get("args", [])
                    self.console.append(" ".join(str(a.get("value", a.get("description", ""))) for a in args))
                elif message.get("method") == "Runtime.exceptionThrown":
                    details = message["params"]["exceptionDetails"]
                    self.console.append(f"exception: {details.get('exception', {}).get('description', details.get('text'))}")
        for future in self._pending.values():
            if not future.done():
                future.set_exception(BrowserError("chromium closed the pipe"))

    async def send(self, method: str, params: dict[str, Any] | None = None, *, session: str | None = None, timeout: float = 30) -> dict:
        message_id = next(self._ids)
        message: dict[str, Any] = {"id": message_id, "method": method, "params": params or {}}
        if session:
            message["sessionId"] = session
        future = asyncio.get_running_loop().create_future()
        self._pending[message_id] = future
        await asyncio.get_running_loop().run_in_executor(None, os.write, self._to_chrome, json.dumps(message).encode() + b"\0")
        return await asyncio.wait_for(future, timeout)

    async def new_page(self, *, width: int = 1400, height: int = 1000) -> Page:
        target = await self.send("Target.createTarget", {"url": "about:blank"})
        attached = await self.send("Target.attachToTarget", {"targetId": target["targetId"], "flatten": True})
        page = Page(self, attached["sessionId"])
        await page.send("Page.enable")
        await page.send("Runtime.enable")
        await page.resize(width, height)
        return page

    async def close(self) -> None:
        with contextlib.suppress(Exception):
            await self.send("Browser.close", timeout=5)
        with contextlib.suppress(ProcessLookupError):
            try:
                await asyncio.wait_for(self.process.wait(), 10)
            except asyncio.TimeoutError:
                self.process.kill()
                await self.process.wait()
        os.close(self._to_chrome)
        with contextlib.suppress(asyncio.TimeoutError, Exception):
            await asyncio.wait_for(self._reader, 5)
        os.close(self._from_chrome)
        self._profile.cleanup()


class Page:
    def __init__(self, browser: Browser, session: str) -> None:
        self.browser = browser
        self.session = session

    async def send(self, method: str, params: dict[str, Any] | None = None, **kw: Any) -> dict:
        return await self.browser.send(method, params, session=self.session, **kw)

    async def evaluate(self, expression: str) -> Any:
        """The value of a JavaScript expression (awaited when it is a promise), as JSON."""
        reply = await self.send("Runtime.evaluate", {"expression": expression, "awaitPromise": True, "returnByValue": True})
        if "exceptionDetails" in reply:
            details = reply["exceptionDetails"]
            raise BrowserError(details.get("exception", {}).get("description", details.get("text")))
        return reply["result"].get("value")

    async def wait_for(self, expression: str, *, timeout: float = 30) -> Any:
        deadline = asyncio.get_running_loop().time() + timeout
        while True:
            with contextlib.suppress(BrowserError):
                value = await self.evaluate(f"(() => {{ const v = ({expression}); return v instanceof Node || v; }})()")
                if value:
                    return value
            if asyncio.get_running_loop().time() > deadline:
                shown = await self.evaluate("location.href + ' | ' + (document.body ? document.body.innerText.slice(0, 400) : '')")
                raise TimeoutError(f"never true: {expression}; page: {shown}; console: {self.browser.console[-5:]}")
            await asyncio.sleep(0.1)

    async def goto(self, url: str) -> None:
        await self.send("Page.navigate", {"url": url})

    async def reload(self) -> None:
        await self.send("Page.reload", {"ignoreCache": True})

    async def resize(self, width: int, height: int) -> None:
        await self.send("Emulation.setDeviceMetricsOverride",
                        {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": width < 600})

    async def center(self, selector: str) -> tuple[float, float]:
        box = await self.wait_for(
            f"(() => {{ const e = document.querySelector({json.dumps(selector)}); if (!e) return null;"
            " e.scrollIntoView({block: 'center'}); const r = e.getBoundingClientRect();"
            " return r.width && r.height ? [r.x + r.width / 2, r.y + r.height / 2] : null; })()"
        )
        return box[0], box[1]

    async def mouse(self, kind: str, x: float, y: float, *, buttons: int = 0, button: str = "none", clicks: int = 0) -> None:
        await self.send("Input.dispatchMouseEvent",
                        {"type": kind, "x": x, "y": y, "button": button, "buttons": buttons, "clickCount": clicks})

    async def click(self, selector: str) -> None:
        """A real mouse click in the middle of the element."""
        x, y = await self.center(selector)
        await self.mouse("mouseMoved", x, y)
        await self.mouse("mousePressed", x, y, button="left", buttons=1, clicks=1)
        await self.mouse("mouseReleased", x, y, button="left", clicks=1)

    async def double_click(self, x: float, y: float) -> None:
        await self.mouse("mouseMoved", x, y)
        for clicks in (1, 2):
            await self.mouse("mousePressed", x, y, button="left", buttons=1, clicks=clicks)
            await self.mouse("mouseReleased", x, y, button="left", clicks=clicks)

    async def key(self, key: str, code: str | None = None, text: str | None = None) -> None:
        params = {"key": key, "code": code or key, "windowsVirtualKeyCode": {"Enter": 13, "Tab": 9}.get(key, 0)}
        await self.send("Input.dispatchKeyEvent", {"type": "keyDown", **params, **({"text": text} if text else {})})
        await self.send("Input.dispatchKeyEvent", {"type": "keyUp", **params})

    async def drag(self, x0: float, y: float, x1: float, steps: int = 8) -> None:
        await self.mouse("mouseMoved", x0, y)
        await self.mouse("mousePressed", x0, y, button="left", buttons=1, clicks=1)
        for i in range(1, steps + 1):
            await self.mouse("mouseMoved", x0 + (x1 - x0) * i / steps, y, button="left", buttons=1)
        await self.mouse("mouseReleased", x1, y, button="left", clicks=1)

    async def screenshot(self, path: Path) -> Path:
        """The whole page (not only the viewport) as PNG."""
        metrics = await self.send("Page.getLayoutMetrics")
        size = metrics.get("cssContentSize") or metrics["contentSize"]
        shot = await self.send("Page.captureScreenshot", {
            "format": "png", "captureBeyondViewport": True,
            "clip": {"x": 0, "y": 0, "width": size["width"], "height": size["height"], "scale": 1},
        })
        path.write_bytes(base64.b64decode(shot["data"]))
        return path


SCREENSHOTS = os.environ.get("RACING_COACH_SCREENSHOTS")  # e.g. docs/screenshots: the README's pictures are these


async def keep_screenshot(page: Page, tmp_path: Path, name: str) -> Path:
    """The page as ``tmp_path/name``, and as ``$RACING_COACH_SCREENSHOTS/name`` too when that is set."""
    path = await page.screenshot(tmp_path / name)
    if SCREENSHOTS:
        Path(SCREENSHOTS).mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, Path(SCREENSHOTS) / name)
    return path


@contextlib.asynccontextmanager
async def chromium():
    browser = await Browser().start()
    try:
        yield browser
    finally:
        await browser.close()
