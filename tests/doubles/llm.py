"""A stand-in for an OpenAI-compatible chat endpoint, served over HTTP on 127.0.0.1.

It is the far side of the contract, not the code under test: the real
``openai`` client talks to it exactly as to a hosted model. It answers
``/v1/chat/completions`` with minutes JSON built from the transcript lines it
was sent (so the answer is grounded in the request), records every request,
and can be told to fail first (HTTP errors, invalid JSON) to exercise retries,
or to give a set answer (a dict) to exercise the checks on what a model says.
"""

from __future__ import annotations

import json
import re
import time

from aiohttp import web

from tests.support.loopback import LoopbackServer

LINE = re.compile(r"^\[(\d+):(\d+)\] (\S+): (.*)$", re.MULTILINE)


def minutes_from_prompt(text: str) -> dict:
    lines = [(int(m) * 60 + int(s), speaker, said) for m, s, speaker, said in LINE.findall(text)]
    if not lines:  # a reduce call: merge the parts it was given
        parts = json.loads(text[text.index("["):])
        return {
            "title": parts[0]["title"],
            "summary": " ".join(p["summary"] for p in parts),
            "key_points": [kp for p in parts for kp in p["key_points"]],
            "decisions": [d for p in parts for d in p["decisions"]],
            "action_items": [a for p in parts for a in p["action_items"]],
            "open_questions": [q for p in parts for q in p["open_questions"]],
        }
    speakers = sorted({sp for _, sp, _ in lines})
    return {
        "title": f"Double minutes ({len(lines)} lines)",
        "summary": " ".join(said for _, _, said in lines[:3]),
        "key_points": [{"speaker": sp, "points": [{"text": said, "speaker": sp, "timestamp": t}
                                                  for t, who, said in lines if who == sp][:2]} for sp in speakers],
        "decisions": [{"text": said, "speaker": sp, "timestamp": t} for t, sp, said in lines if "decided" in said.lower()],
        "action_items": [{"task": said, "owner": sp, "due": None, "due_date": None, "timestamp": t, "speaker": sp}
                         for t, sp, said in lines if "i will" in said.lower()],
        "open_questions": [],
    }


class LlmDouble(LoopbackServer):
    def __init__(self) -> None:
        super().__init__()
        self.requests: list[dict] = []
        # HTTP status codes, "invalid-json", or an answer (a dict) to give instead of the grounded one
        self.fail_next_with: list[int | str | dict] = []
        # What it answers when asked to name the speakers (json_schema "speaker_names"): a model's
        # answer set by the test, since which names a model reads is the model's business.
        self.speaker_names_answer: dict = {"speakers": []}

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    async def _completions(self, request: web.Request) -> web.Response:
        body = await request.json()
        self.requests.append(body)
        if self.fail_next_with:
            failure = self.fail_next_with.pop(0)
            if isinstance(failure, dict):
                content = json.dumps(failure)
            elif failure != "invalid-json":
                return web.json_response({"error": {"message": "try later"}}, status=int(failure))
            else:
                content = '{"title": "missing the rest"'
        else:
            # A re-ask appends to the conversation; the task is still the first user message.
            task = next(m["content"] for m in body["messages"] if m["role"] == "user")
            schema = body.get("response_format", {}).get("json_schema", {}).get("name")
            content = json.dumps(self.speaker_names_answer if schema == "speaker_names" else minutes_from_prompt(task))
        return web.json_response({
            "id": f"chatcmpl-{len(self.requests)}", "object": "chat.completion", "created": int(time.time()),
            "model": body["model"],
            "choices": [{"index": 0, "finish_reason": "stop", "message": {"role": "assistant", "content": content}}],
            "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
        })

    def routes(self, app: web.Application) -> None:
        app.router.add_post("/v1/chat/completions", self._completions)
