"""The web app behind `simplevla serve`: the page, a JSON API per tab (session) and a WebSocket that plays
an episode live.

    GET  /                                 the page (static/, shipped in the package)
    GET  /api/info                         suites and their groups, limits, download formats
    POST /api/sessions                     a new tab: {suite?, group?, seed?, instruction?} -> its state (201)
    GET  /api/sessions/{id}                its state
    POST /api/sessions/{id}/reset          {seed?, group?, instruction?} -> a new episode's state
    POST /api/sessions/{id}/step           {instruction?} -> one env step's frame
    GET  /api/sessions/{id}/episode.gif    the episode so far (also .mp4 with the `video` extra)
    DELETE /api/sessions/{id}              close the tab's session
    GET  /api/stats                        the model worker's counters
    WS   /api/sessions/{id}/live           send {"op": "run", "instruction"?} or {"op": "pause"};
                                           receive {"type": "frame" | "end" | "paused" | "error", ...}

Every error is JSON {"error": message} with a status: 400 bad input, 404 unknown session, 409 not now (an
episode that is over or running), 410 expired, 503 busy (the session limit). The server keeps running.
"""

from __future__ import annotations

import asyncio
import json
from contextlib import asynccontextmanager, suppress
from importlib import resources
from typing import Any

import torch

from simplevla.envs import EVAL_SEED_START, SUITES, Suite, load
from simplevla.errors import SimplevlaError
from simplevla.eval.freetext import MAX_INSTRUCTION_CHARS
from simplevla.serve.batcher import Batcher
from simplevla.serve.sessions import Conflict, ServeError, Session, SessionTable, check_instruction
from simplevla.serve.video import episode_video, formats

try:  # the `serve` extra; without it `simplevla serve` says how to install it
    from fastapi import FastAPI, Request, WebSocket, WebSocketDisconnect
    from fastapi.exceptions import RequestValidationError
    from fastapi.responses import FileResponse, JSONResponse, Response
    from fastapi.staticfiles import StaticFiles
    from starlette.exceptions import HTTPException
except ImportError:
    FastAPI = None

STATIC = resources.files("simplevla.serve") / "static"
MAX_SEED = 2**63 - 1


def usable_suites(policy: torch.nn.Module) -> dict[str, Suite]:
    """The suites whose env this install can make and whose state the policy reads (its state_dim)."""
    out = {}
    for name, suite in SUITES.items():
        if len(suite.state_names) != policy.config.state_dim:
            continue
        try:
            load(suite.env_class)  # Meta-World needs its extra
        except ImportError:
            continue
        out[name] = suite
    return out


class Server:
    """What the routes share: the policy, its model worker, the session table and the usable suites."""

    def __init__(
        self, policy: torch.nn.Module, max_sessions: int, idle_s: float, fps: float | None, device: str
    ) -> None:
        size = int(policy.config.image_size)
        if not 32 <= size <= 224:
            raise SimplevlaError(f"this policy sees {size}x{size} images; the envs render 32 to 224 pixels")
        self.policy, self.fps = policy, fps
        self.suites = usable_suites(policy)
        if not self.suites:
            raise SimplevlaError(
                f"no installed env gives the {policy.config.state_dim}-dimensional state this policy reads "
                "(Tabletop: 2; Meta-World: 4, with `pip install 'simplevla[metaworld]'`)"
            )
        self.batcher = Batcher(policy, device)
        self.table = SessionTable(max_sessions, idle_s, on_expire=lambda s: self.batcher.call(s.close))

    async def do(self, future: Any) -> Any:
        """Await a Future of the model worker."""
        return await asyncio.wrap_future(future)

    def info(self) -> dict:
        return {
            "suites": {n: {"group": s.group, "groups": list(s.groups)} for n, s in self.suites.items()},
            "max_instruction_chars": MAX_INSTRUCTION_CHARS,
            "max_sessions": self.table.limit,
            "idle_s": self.table.idle_s,
            "formats": formats(),
            "default_seed": EVAL_SEED_START,
        }

    def options(self, body: dict, allowed: set[str], suite: Suite) -> dict:
        """The checked fields of a request body: seed (int >= 0), group (one of the suite's or null) and
        instruction (`check_instruction`); unknown fields are refused by name."""
        unknown = sorted(set(body) - allowed)
        if unknown:
            raise ServeError(f"unknown field(s) {unknown}; this request takes {sorted(allowed)}")
        out = dict(body)
        seed = body.get("seed")
        if "seed" in body and (
            isinstance(seed, bool) or not isinstance(seed, int) or not 0 <= seed <= MAX_SEED
        ):
            raise ServeError(f"seed must be a whole number from 0 to {MAX_SEED}, got {seed!r}")
        group = body.get("group")
        if group is not None and group not in suite.groups:
            raise ServeError(f"{suite.group} {group!r} is unknown; choose from {', '.join(suite.groups)}")
        if body.get("instruction") is not None:
            out["instruction"] = check_instruction(body["instruction"])
        return out


async def read_body(request: Request) -> dict:
    """The request's JSON object ({} for an empty body); a ServeError says what is wrong with it."""
    raw = await request.body()
    if not raw.strip():
        return {}
    try:
        body = json.loads(raw)
    except (json.JSONDecodeError, UnicodeDecodeError, RecursionError) as e:  # RecursionError: ~1,000 deep
        raise ServeError(f"the request body is not valid JSON ({type(e).__name__}: {e})") from None
    if not isinstance(body, dict):
        raise ServeError(f"the request body must be a JSON object, got {type(body).__name__}")
    return body


def _server(request: Request | WebSocket) -> Server:
    return request.app.state.server


async def info(request: Request) -> dict:
    return _server(request).info()


async def stats(request: Request) -> dict:
    server = _server(request)
    return {
        **server.batcher.stats.as_dict(),
        "open": len(server.table.sessions),
        "opened": server.table.opened,
    }


async def create(request: Request) -> JSONResponse:
    server, body = _server(request), await read_body(request)
    name = body.get("suite", next(iter(server.suites)))
    if not isinstance(name, str) or name not in server.suites:  # a list or object is no suite (unhashable)
        raise ServeError(f"suite {name!r} is not served here; choose from {', '.join(server.suites)}")
    suite = server.suites[name]
    opts = server.options(body, {"suite", "seed", "group", "instruction"}, suite)
    size = int(server.policy.config.image_size)
    session = server.table.add(lambda sid: Session(sid, suite, size))
    seed = opts.get("seed", EVAL_SEED_START)
    try:
        async with session.lock:
            await server.do(
                server.batcher.call(
                    lambda: session.reset(server.policy, seed, opts.get("group"), opts.get("instruction"))
                )
            )
            await server.do(server.batcher.look(session))
    except Exception:
        server.table.remove(session.id)
        server.batcher.call(session.close)
        raise
    return JSONResponse(session.state(), status_code=201)


async def state(request: Request, sid: str) -> dict:
    session = _server(request).table.get(sid)
    async with session.lock:
        return session.state()


async def reset(request: Request, sid: str) -> dict:
    server, body = _server(request), await read_body(request)
    session = server.table.get(sid)
    opts = server.options(body, {"seed", "group", "instruction"}, session.suite)
    await stop_run(session)
    async with session.lock:
        seed, group = opts.get("seed", session.seed), opts.get("group", session.group)
        await server.do(
            server.batcher.call(lambda: session.reset(server.policy, seed, group, opts.get("instruction")))
        )
        await server.do(server.batcher.look(session))
        return session.state()


async def step(request: Request, sid: str) -> dict:
    server, body = _server(request), await read_body(request)
    session = server.table.get(sid)
    opts = server.options(body, {"instruction"}, session.suite)
    if session.runner is not None and not session.runner.done():
        raise Conflict("the episode is playing; press Pause first")
    async with session.lock:
        return await one_step(server, session, opts.get("instruction"))


async def one_step(server: Server, session: Session, instruction: str | None) -> dict:
    """One env step (with `instruction` from now on, when given): the frame, the instruction, its reading."""
    if instruction is not None and instruction != session.instruction:
        await server.do(server.batcher.call(lambda: session.set_instruction(server.policy, instruction)))
    frame = await server.do(server.batcher.step(session))
    return {**frame, "instruction": session.instruction, "reading": session.reading}


async def download(request: Request, sid: str, fmt: str) -> Response:
    session = _server(request).table.get(sid)
    if fmt not in formats():
        raise ServeError(f"no {fmt} download here; choose from {formats()} (mp4 needs `simplevla[video]`)")
    async with session.lock:
        frames, text = list(session.frames), session.instruction
        success = session.success if session.done else None
    data = await asyncio.to_thread(episode_video, frames, text, success, fmt)
    name = f"simplevla_{session.suite.name}_seed{session.seed}.{fmt}"
    media = "image/gif" if fmt == "gif" else "video/mp4"
    return Response(data, media_type=media, headers={"Content-Disposition": f'attachment; filename="{name}"'})


async def close(request: Request, sid: str) -> dict:
    server = _server(request)
    session = server.table.get(sid)
    await stop_run(session)
    server.table.remove(sid)
    server.batcher.call(session.close)
    return {"closed": sid}


async def stop_run(session: Session) -> None:
    """Stop the session's live run, if one plays."""
    runner, session.runner = session.runner, None
    if runner is not None and not runner.done():
        runner.cancel()
        with suppress(asyncio.CancelledError):
            await runner


async def live(websocket: WebSocket, sid: str) -> None:
    """Play episodes over the WebSocket at the env's rate, on the page's Run; stop on Pause."""
    server = _server(websocket)
    await websocket.accept()
    try:
        session = server.table.get(sid)
    except ServeError as e:
        await websocket.send_json({"type": "error", "error": str(e), "status": e.status})
        await websocket.close(code=4000 + e.status)
        return
    try:
        while True:
            try:
                msg = json.loads(await websocket.receive_text())
                if not isinstance(msg, dict) or msg.get("op") not in ("run", "pause"):
                    raise ServeError('send {"op": "run", "instruction": "..."} or {"op": "pause"}')
                await stop_run(session)
                if msg["op"] == "pause":
                    await websocket.send_json({"type": "paused", "step": session.steps})
                    continue
                opts = server.options(
                    {k: v for k, v in msg.items() if k != "op"}, {"instruction"}, session.suite
                )
                session.runner = asyncio.create_task(
                    play(server, session, websocket, opts.get("instruction"))
                )
            except (ServeError, json.JSONDecodeError, RecursionError) as e:  # RecursionError: ~1,000 deep
                await websocket.send_json({"type": "error", "error": str(e), "status": 400})
    except WebSocketDisconnect:
        pass
    finally:
        await stop_run(session)


async def play(server: Server, session: Session, websocket: WebSocket, instruction: str | None) -> None:
    """Step `session` until its episode ends, sending each frame, one every 1/fps seconds."""
    loop = asyncio.get_running_loop()
    try:
        fps = server.fps or session.fps
        next_at = loop.time()
        while True:
            async with session.lock:
                frame = await one_step(server, session, instruction)
            session.last_used = server.table.clock()
            instruction = None
            await websocket.send_json({"type": "end" if frame["done"] else "frame", **frame})
            if frame["done"]:
                return
            next_at += 1.0 / fps
            await asyncio.sleep(max(0.0, next_at - loop.time()))
    except ServeError as e:
        await websocket.send_json({"type": "error", "error": str(e), "status": e.status})
    except Exception as e:  # the page shows it; the server keeps running
        with suppress(Exception):
            await websocket.send_json({"type": "error", "error": f"{type(e).__name__}: {e}", "status": 500})


async def page(request: Request) -> FileResponse:
    return FileResponse(str(STATIC / "index.html"))


def make_app(
    policy: torch.nn.Module,
    max_sessions: int = 16,
    idle_s: float = 600.0,
    fps: float | None = None,
    device: str = "cpu",
) -> FastAPI:
    """The app serving `policy`: at most `max_sessions` tabs, each closed after `idle_s` unused, live
    playback at `fps` (None: the env's own rate)."""
    if FastAPI is None:
        raise SimplevlaError("simplevla serve needs its extra: pip install 'simplevla[serve]'")
    server = Server(policy, max_sessions, idle_s, fps, device)

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        server.batcher.start()
        reaper = asyncio.create_task(expire_idle(server))
        yield
        reaper.cancel()
        for session in list(server.table.sessions.values()):
            await stop_run(session)
            server.batcher.call(session.close)
        server.batcher.stop()

    app = FastAPI(title="simplevla serve", lifespan=lifespan, docs_url=None, redoc_url=None, openapi_url=None)
    app.state.server = server
    app.add_exception_handler(ServeError, lambda r, e: JSONResponse({"error": str(e)}, status_code=e.status))
    app.add_exception_handler(SimplevlaError, lambda r, e: JSONResponse({"error": str(e)}, status_code=400))
    app.add_exception_handler(ValueError, lambda r, e: JSONResponse({"error": str(e)}, status_code=400))
    app.add_exception_handler(
        RequestValidationError, lambda r, e: JSONResponse({"error": str(e)}, status_code=400)
    )
    app.add_exception_handler(
        HTTPException, lambda r, e: JSONResponse({"error": e.detail}, status_code=e.status_code)
    )
    app.add_exception_handler(
        Exception, lambda r, e: JSONResponse({"error": f"{type(e).__name__}: {e}"}, status_code=500)
    )
    app.add_api_route("/", page, methods=["GET"], include_in_schema=False)
    app.add_api_route("/api/info", info, methods=["GET"])
    app.add_api_route("/api/stats", stats, methods=["GET"])
    app.add_api_route("/api/sessions", create, methods=["POST"])
    app.add_api_route("/api/sessions/{sid}", state, methods=["GET"])
    app.add_api_route("/api/sessions/{sid}", close, methods=["DELETE"])
    app.add_api_route("/api/sessions/{sid}/reset", reset, methods=["POST"])
    app.add_api_route("/api/sessions/{sid}/step", step, methods=["POST"])
    app.add_api_route("/api/sessions/{sid}/episode.{fmt}", download, methods=["GET"])
    app.add_api_websocket_route("/api/sessions/{sid}/live", live)
    app.mount("/static", StaticFiles(directory=str(STATIC)), name="static")
    return app


async def expire_idle(server: Server) -> None:
    """Close idle sessions now and then (a request to one also finds it expired)."""
    while True:
        await asyncio.sleep(min(server.table.idle_s / 4, 10.0))
        server.table.expire()
