"""`simplevla serve`'s JSON API and WebSocket through FastAPI's test client, with a tiny untrained policy:
sessions, reset, step, run to the end, bad input, unknown and expired sessions, the limit, one batched
forward pass per tick."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch
from fastapi.testclient import TestClient

from simplevla.envs import EVAL_SEED_START, SUITES
from simplevla.envs.batch import to_batch
from simplevla.envs.tabletop.env import TabletopEnv
from simplevla.eval.freetext import MAX_INSTRUCTION_CHARS
from simplevla.serve import scenes
from simplevla.serve.app import make_app
from simplevla.serve.batcher import Batcher, act
from simplevla.serve.command import ServeCommand, host_warning
from simplevla.serve.sessions import Conflict, Session

STATIC = Path(__file__).resolve().parents[2] / "src" / "simplevla" / "serve" / "static"


@pytest.fixture
def client(tiny_policy):
    with TestClient(make_app(tiny_policy, max_sessions=3, idle_s=60, fps=1000)) as c:
        yield c


def open_session(client, **body) -> dict:
    r = client.post("/api/sessions", json=body)
    assert r.status_code == 201, r.text
    return r.json()


def test_a_session_shows_its_scene_task_and_wordings(client):
    s = open_session(client, seed=7, group="push_to_place")
    env = TabletopEnv(families=["push_to_place"], size=32)
    _, info = env.reset(seed=7)  # the same scene `env show --family push_to_place --seed 7` shows
    assert s["own_wording"] == info["task"] == s["instruction"] == s["examples"][0]["text"]
    target = info["task_spec"]["target"]["place"]
    assert s["task"].startswith("push_to_place: ") and s["task"].endswith(f"-> {target}")
    assert {e["kind"] for e in s["examples"]} == {"the scene's own", "training grammar", "held out"}
    assert (s["step"], s["done"], s["outcome"], s["max_steps"]) == (0, False, None, 80)
    assert s["frame"] and len(s["task_xy"]) == 4  # a look at the first frame: the policy's reading
    assert set(s["reading"]) == {"reading", "understood"}  # the tiny policy has a parse head


def test_step_reset_and_run_to_the_end(client):
    sid = open_session(client, seed=3, group="reach")["session"]
    first = client.post(f"/api/sessions/{sid}/step").json()
    assert first["step"] == 1 and not first["done"]
    r = client.post(f"/api/sessions/{sid}/reset", json={"seed": 3, "instruction": "touch the red one"})
    assert r.json()["step"] == 0 and r.json()["instruction"] == "touch the red one"
    frames = [client.post(f"/api/sessions/{sid}/step", json={}).json() for _ in range(40)]
    assert [f["step"] for f in frames] == list(range(1, 41))
    assert frames[-1]["done"] and frames[-1]["outcome"] in ("success", "steps used up")
    late = client.post(f"/api/sessions/{sid}/step")
    assert late.status_code == 409 and "episode is over" in late.json()["error"]
    gif = client.get(f"/api/sessions/{sid}/episode.gif")
    assert gif.status_code == 200 and gif.content[:6] == b"GIF89a"
    assert "attachment" in gif.headers["content-disposition"]
    new = client.post(f"/api/sessions/{sid}/reset", json={"seed": 4}).json()  # "new scene": its own wording
    assert new["seed"] == 4 and new["step"] == 0 and new["instruction"] == new["own_wording"]


def test_the_live_run_streams_frames_to_the_end_and_pauses(client):
    sid = open_session(client, seed=11, group="reach")["session"]
    with client.websocket_connect(f"/api/sessions/{sid}/live") as ws:
        ws.send_json({"op": "run", "instruction": "go to the blue circle"})
        msgs = [ws.receive_json()]
        while msgs[-1]["type"] == "frame":
            msgs.append(ws.receive_json())
        assert msgs[-1]["type"] == "end" and msgs[-1]["outcome"] in ("success", "steps used up")
        assert [m["step"] for m in msgs] == list(range(1, len(msgs) + 1))
        assert msgs[0]["instruction"] == "go to the blue circle"
        ws.send_text("{not json")
        assert ws.receive_json()["type"] == "error"


def test_pause_stops_a_live_run(tiny_policy):
    with TestClient(make_app(tiny_policy, fps=20)) as client:  # 40 steps take two seconds
        sid = open_session(client, seed=11, group="reach")["session"]
        with client.websocket_connect(f"/api/sessions/{sid}/live") as ws:
            ws.send_json({"op": "run"})
            assert ws.receive_json()["type"] == "frame"
            ws.send_json({"op": "pause"})
            while (m := ws.receive_json())["type"] == "frame":
                pass
            assert m["type"] == "paused" and 1 <= m["step"] < 40
            step = client.post(f"/api/sessions/{sid}/step").json()  # Step goes on from where it paused
            assert step["step"] == m["step"] + 1


@pytest.mark.parametrize(
    "body, needle",
    [
        ("{bad json", "not valid JSON"),
        ("[1, 2]", "must be a JSON object"),
        (json.dumps({"instruction": ""}), "the instruction is empty"),
        (json.dumps({"instruction": "   "}), "the instruction is empty"),
        (json.dumps({"instruction": "x" * 10_000}), f"at most {MAX_INSTRUCTION_CHARS} characters"),
        (json.dumps({"instruction": "line one\nline two"}), "without control characters"),
        (json.dumps({"instruction": 5}), "the instruction is empty"),
        (json.dumps({"instrction": "push"}), "unknown field(s) ['instrction']"),
    ],
)
def test_bad_input_gets_a_clear_message_and_the_server_stays_up(client, body, needle):
    sid = open_session(client, seed=1)["session"]
    r = client.post(f"/api/sessions/{sid}/step", content=body, headers={"Content-Type": "application/json"})
    assert r.status_code == 400 and needle in r.json()["error"]
    assert client.post(f"/api/sessions/{sid}/step").json()["step"] == 1  # still serving


@pytest.mark.parametrize(
    "body, needle",
    [
        ({"seed": -1}, "seed must be a whole number"),
        ({"seed": "12"}, "seed must be a whole number"),
        ({"group": "fly"}, "family 'fly' is unknown"),
        ({"suite": "atari"}, "suite 'atari' is not served here"),
    ],
)
def test_bad_scene_options_are_refused_by_name(client, body, needle):
    r = client.post("/api/sessions", json=body)
    assert r.status_code == 400 and needle in r.json()["error"]
    assert client.get("/api/stats").json()["open"] == 0  # a refused scene holds no session


def test_html_in_an_instruction_comes_back_as_text_and_the_page_never_parses_it(client):
    html = '<img src=x onerror="alert(1)"> push the <b>red</b> circle'
    sid = open_session(client, seed=2, instruction=html)["session"]
    step = client.post(f"/api/sessions/{sid}/step", json={"instruction": html}).json()
    assert step["instruction"] == html  # JSON text, verbatim; the page shows it with textContent
    js = (STATIC / "app.js").read_text()
    assert "textContent" in js and "innerHTML" not in js and "outerHTML" not in js and "eval(" not in js
    assert "http" not in (STATIC / "index.html").read_text()  # no CDN: every asset ships in the package


def test_unknown_and_expired_sessions(tiny_policy):
    now = [0.0]
    app = make_app(tiny_policy, max_sessions=2, idle_s=30)
    app.state.server.table.clock = lambda: now[0]
    with TestClient(app) as client:
        r = client.post("/api/sessions/nope/step")
        assert r.status_code == 404 and "unknown session" in r.json()["error"]
        sid = open_session(client)["session"]
        now[0] += 29
        assert client.post(f"/api/sessions/{sid}/step").status_code == 200  # in use: the clock restarts
        now[0] += 31
        r = client.post(f"/api/sessions/{sid}/step")
        assert r.status_code == 410 and "expired after 30 s" in r.json()["error"]
        assert client.get("/api/stats").json()["open"] == 0
        with client.websocket_connect(f"/api/sessions/{sid}/live") as ws:
            assert "expired" in ws.receive_json()["error"]


def test_too_many_sessions_answer_busy_and_a_closed_one_frees_a_place(client):
    sids = [open_session(client, seed=s)["session"] for s in range(3)]
    r = client.post("/api/sessions", json={})
    assert r.status_code == 503 and r.json()["error"].startswith("busy:")
    assert client.delete(f"/api/sessions/{sids[0]}").json() == {"closed": sids[0]}
    assert client.post("/api/sessions", json={}).status_code == 201


def test_one_forward_pass_per_tick_matches_the_policy_contract(tiny_policy):
    env = TabletopEnv(size=32)
    obs = [env.reset(seed=s)[0] for s in range(5)]
    tasks = ["push the red block left", "reach the blue circle", "x", "go", "move it"]
    stacked = {k: np.stack([o[k] for o in obs]) for k in obs[0]}
    batch = to_batch(stacked, tasks)
    chunk, task_xy = act(tiny_policy, batch)
    torch.testing.assert_close(chunk, tiny_policy.predict_action_chunk(batch))
    torch.testing.assert_close(task_xy, tiny_policy.read_task_xy(batch))
    one = act(tiny_policy, to_batch(obs[2], tasks[2]))[0]  # a row does not depend on the rows beside it
    torch.testing.assert_close(one[0], chunk[2], atol=1e-5, rtol=1e-5)


def test_waiting_steps_of_several_sessions_share_one_forward_pass(tiny_policy):
    batcher = Batcher(tiny_policy)
    sessions = [Session(f"s{i}", SUITES["tabletop"], 32) for i in range(3)]
    for i, s in enumerate(sessions):
        s.reset(tiny_policy, seed=i, group=None, instruction=None)
    first = [batcher.step(s) for s in sessions] + [batcher.step(sessions[0])]  # two of s0 in one tick
    batcher.start()  # the worker finds all four waiting
    try:
        frames = [f.result(timeout=30) for f in first]
        assert [f["step"] for f in frames] == [1, 1, 1, 2]  # s0's second step waited for the next tick
        assert batcher.stats.as_dict()["forwards"] == 1 and batcher.stats.rows == 3  # one batch of three
        for _ in range(2):  # n_action_steps = 4: the queued chunk serves the next steps, no forward pass
            [f.result(timeout=30) for f in [batcher.step(s) for s in sessions]]
        assert batcher.stats.forwards == 1 and batcher.stats.steps == 10
        done = Session("done", SUITES["tabletop"], 32)
        with pytest.raises(Conflict, match="no scene yet"):
            batcher.step(done).result(timeout=30)
    finally:
        batcher.stop()


def test_scene_words_for_every_family():
    suite = SUITES["tabletop"]
    env = TabletopEnv(size=32)
    for seed in range(EVAL_SEED_START, EVAL_SEED_START + 10):
        env.reset(seed=seed)
        words = scenes.plain_task(suite, env.task_spec)
        assert words.split(":")[0] == env.task_spec["family"]
        assert all(o["colour"] in words and o["shape"] in words for o in env.task_spec["objects"])
        texts = [e["text"] for e in scenes.example_wordings(suite, env, seed)]
        assert len(set(texts)) == len(texts) >= 3 and texts == [
            e["text"] for e in scenes.example_wordings(suite, env, seed)
        ]


def test_the_command_checks_its_options_and_warns_off_loopback():
    assert (
        host_warning("127.0.0.1") is None
        and host_warning("localhost") is None
        and host_warning("::1") is None
    )
    assert "every machine" in host_warning("0.0.0.0")
    for kw, needle in [
        ({"port": 0}, "--port"),
        ({"max_sessions": 0}, "--max-sessions"),
        ({"fps": 0.0}, "--fps"),
    ]:
        with pytest.raises(Exception, match=needle):
            ServeCommand(policy="runs/x", **kw)
