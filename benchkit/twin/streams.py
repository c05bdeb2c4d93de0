"""Long responses over aiohttp: a watch's events as they come, a big list in pieces."""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

from aiohttp import web

from benchkit.twin import listing
from benchkit.twin.watch import Watcher, bookmark_line

JSON = "application/json"
LIVENESS_CHECK = 5.0  # seconds between checks that an idle watch's client is still connected


async def big_list(request: web.Request, head: bytes, raws: list[bytes], piece: int) -> web.StreamResponse:
    """Send a big list in pieces of about `piece` bytes, so memory does not hold the whole body (twice, with the
    transport's copy). `raws` holds the versions selected when the list was served: later writes do not change
    what this response sends."""
    resp = web.StreamResponse(headers={"Content-Type": JSON})
    resp.enable_chunked_encoding()
    await resp.prepare(request)
    await resp.write(head)
    for chunk in listing.chunks(raws, piece):
        await resp.write(chunk)
    await resp.write(b"]}")
    await resp.write_eof()
    return resp


async def watch(
    request: web.Request,
    watcher: Watcher,
    current_rv: Any,
    timeout: float,
    bookmark_every: float | None,
) -> web.StreamResponse:
    """Send the watcher's events until timeout (graceful end), a cut (abort) or the client leaves."""
    try:
        return await _stream(request, watcher, current_rv, timeout, bookmark_every)
    except ConnectionError:  # the client went away mid-write
        return web.StreamResponse()


async def _stream(
    request: web.Request,
    watcher: Watcher,
    current_rv: Any,
    timeout: float,
    bookmark_every: float | None,
) -> web.StreamResponse:
    resp = web.StreamResponse(headers={"Content-Type": JSON, "Cache-Control": "no-cache, private"})
    resp.enable_chunked_encoding()
    await resp.prepare(request)
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    next_bookmark = loop.time() + bookmark_every if bookmark_every else None
    while True:
        if watcher.buf:
            data = watcher.take()
            await resp.write(data)
        if watcher.ending == "abort":
            if request.transport is not None:
                request.transport.abort()
            return resp
        now = loop.time()
        if watcher.ending == "graceful" or now >= deadline:
            break
        if next_bookmark is not None and now >= next_bookmark:
            if current_rv() > watcher.after:
                await resp.write(bookmark_line(watcher.resource, current_rv()))
            next_bookmark = now + (bookmark_every or 0)
            continue
        if request.transport is None or request.transport.is_closing():
            return resp  # the client went away
        wait = deadline - now if next_bookmark is None else min(deadline, next_bookmark) - now
        wait = min(wait, LIVENESS_CHECK)
        watcher.wake.clear()
        if not watcher.buf and watcher.ending is None:
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(wait):  # not wait_for, which can swallow a cancel (see driver.py)
                    await watcher.wake.wait()
    await resp.write_eof()
    return resp
