"""The HTTP API and the meeting page, end to end: `lifestream serve` as a real process, the sample
video uploaded through the API and processed by its embedded worker, then read, asked, shown in a
browser (headless Chromium) and deleted. The tests run in file order; the deletion comes last."""

from __future__ import annotations

import io
import json
import re
import shutil
import subprocess
import time
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from markupsafe import escape

from lifestream.links import sign
from lifestream.search.local_index import LocalIndex
from lifestream.settings import Settings
from lifestream.web.auth import UploadClaim, make_ticket
from tests.support.web_server import LINK_SECRET, start_server, stop_server

W1, W2 = "T-one", "T-two"
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    data_dir = tmp_path_factory.mktemp("web-api")
    # A short lease: a cancelled job's worker notices within 2 s, so deleting a running job waits 11 s, not 35.
    live = start_server(data_dir, [W1, W2], LIFESTREAM_MAX_UPLOAD_MB="20", LIFESTREAM_JOB_LEASE_SECONDS="6")
    yield live
    stop_server(live)


@pytest.fixture(scope="module")
def uploaded(server, sample_video):
    """The sample video through presigned-url → PUT → confirm, processed to completion by the embedded worker."""
    t1 = server.tokens[W1]
    size = sample_video.stat().st_size
    ticket = server.request("POST", "/api/v1/upload/presigned-url", token=t1,
                            json_body={"filename": "standup.mp4", "size": size, "content_type": "video/mp4"})
    assert ticket.status == 200, ticket.text
    t = ticket.json()
    assert re.fullmatch(r"[0-9a-f]{16}", t["job_id"]) and t["method"] == "PUT" and t["max_bytes"] == size
    assert t["upload_url"].startswith(server.url + "/api/v1/upload/direct?token=")  # local storage: this server
    early = server.request("POST", "/api/v1/upload/confirm", token=t1, json_body={"upload_token": t["upload_token"]})
    assert early.status == 409 and "PUT" in early.json()["error"]
    put = server.request("PUT", t["upload_url"], body=sample_video.read_bytes(), headers=t["headers"], timeout=120)
    assert put.status == 200, put.text
    assert put.json() == {"job_id": t["job_id"], "size": size}
    confirmed = server.request("POST", "/api/v1/upload/confirm", token=t1, json_body={"upload_token": t["upload_token"]})
    assert confirmed.status == 201, confirmed.text
    assert confirmed.json()["job_id"] == t["job_id"]
    again = server.request("POST", "/api/v1/upload/confirm", token=t1, json_body={"upload_token": t["upload_token"]})
    assert again.status == 200 and again.json()["job_id"] == t["job_id"]  # idempotent: the same job
    assert server.request("PUT", t["upload_url"], body=b"x").status == 409  # no replacing a confirmed upload
    seen: list[str] = []
    running: list[dict] = []

    def done():
        status = server.request("GET", f"/api/v1/status/{t['job_id']}", token=t1).json()
        seen.append(status["state"])
        if status["state"] == "processing":
            running.append(status)
        return status if status["state"] in ("completed", "failed", "cancelled") else None

    status = server.wait_for(done, 600, "the upload to be processed")
    assert status["state"] == "completed", status
    assert "processing" in seen or len(seen) == 1  # progress was visible while it ran (unless it was that quick)
    for s in running:  # in words, as the chat threads show it
        p = s["progress"]
        assert p["text"].startswith(f"{p['stage_name']} · {s['percent']:.0f}%"), s
        assert (p["eta_at"] is None) == (p["seconds_left"] is None) == ("left" not in p["text"]), s
    assert status["progress"] is None  # done: no progress to tell
    return t["job_id"], t


def test_status_of_a_completed_upload(server, uploaded):
    job_id, ticket = uploaded
    status = server.request("GET", f"/api/v1/status/{job_id}", token=server.tokens[W1]).json()
    assert status["state"] == "completed" and status["percent"] == 100.0 and status["error"] is None
    assert status["source_name"] == "standup.mp4"
    assert (server.data_dir / "uploads" / "api" / job_id / "standup.mp4").is_file()
    assert (server.data_dir / "results" / job_id / "meeting.json").is_file()
    query = parse_qs(urlsplit(status["page_url"]).query)
    assert urlsplit(status["page_url"]).path == f"/meetings/{job_id}" and query["sig"] and query["exp"]


def test_summary_as_json_and_markdown(server, uploaded):
    job_id, _ = uploaded
    t1 = server.tokens[W1]
    as_json = server.request("GET", f"/api/v1/summary/{job_id}?format=json", token=t1)
    assert as_json.status == 200 and as_json.headers["Content-Type"].startswith("application/json")
    summary = as_json.json()
    assert summary["job_id"] == job_id and summary["title"] and summary["minutes"]["summary"]
    assert 25 < summary["duration"] < 35 and {s["label"] for s in summary["speakers"]} == {"SPEAKER_1", "SPEAKER_2"}
    assert server.request("GET", f"/api/v1/summary/{job_id}", token=t1).json() == summary  # JSON by default
    for how in ({"path": "?format=md"}, {"headers": {"Accept": "text/markdown"}}):
        md = server.request("GET", f"/api/v1/summary/{job_id}{how.get('path', '')}", token=t1,
                            headers=how.get("headers"))
        assert md.status == 200 and md.headers["Content-Type"].startswith("text/markdown")
        assert md.text.startswith(f"# {summary['title']}\n") and "## Action items" in md.text
    bad = server.request("GET", f"/api/v1/summary/{job_id}?format=xml", token=t1)
    assert bad.status == 400 and "format" in bad.json()["error"]


def test_query_answers_from_the_workspace_only(server, uploaded):
    job_id, _ = uploaded
    question = {"question": "Where is Diane?"}
    answer = server.request("POST", "/api/v1/query", token=server.tokens[W1], json_body=question).json()
    assert answer["found"] is True, answer
    assert answer["citations"] and {c["meeting_id"] for c in answer["citations"]} == {job_id}
    assert "New Jersey" in " ".join(c["quote"] for c in answer["citations"])
    other = server.request("POST", "/api/v1/query", token=server.tokens[W2], json_body=question).json()
    assert other["found"] is False and other["citations"] == []
    narrowed = server.request("POST", "/api/v1/query", token=server.tokens[W1],
                              json_body={**question, "conversations": ["elsewhere"]}).json()
    assert narrowed["found"] is False


def test_listing_is_per_workspace(server, uploaded):
    job_id, _ = uploaded
    mine = server.request("GET", "/api/v1/meetings", token=server.tokens[W1]).json()
    assert [m["job_id"] for m in mine["meetings"]] == [job_id]
    assert mine["meetings"][0]["conversation"] == "api" and mine["meetings"][0]["state"] == "completed"
    assert server.request("GET", "/api/v1/meetings", token=server.tokens[W2]).json()["meetings"] == []
    assert server.request("GET", "/api/v1/meetings?state=failed", token=server.tokens[W1]).json()["meetings"] == []
    assert server.request("GET", "/api/v1/meetings?limit=0", token=server.tokens[W1]).status == 400


def test_no_token_is_401_and_another_workspace_is_404(server, uploaded):
    job_id, _ = uploaded
    calls = [("GET", f"/api/v1/status/{job_id}", None), ("GET", f"/api/v1/summary/{job_id}", None),
             ("GET", "/api/v1/meetings", None), ("DELETE", f"/api/v1/meetings/{job_id}", None),
             ("POST", "/api/v1/query", {"question": "hi"}),
             ("POST", "/api/v1/upload/presigned-url", {"filename": "a.mp4", "size": 5}),
             ("POST", "/api/v1/upload/confirm", {"upload_token": "x.y"})]
    for method, path, body in calls:
        for token in (None, "lsk_not-a-real-token"):
            reply = server.request(method, path, token=token, json_body=body)
            assert reply.status == 401, (method, path, reply.text)
            assert reply.json()["error"] and reply.headers["WWW-Authenticate"].startswith("Bearer")
    t2 = server.tokens[W2]
    for method, path in (("GET", f"/api/v1/status/{job_id}"), ("GET", f"/api/v1/summary/{job_id}"),
                         ("DELETE", f"/api/v1/meetings/{job_id}")):
        reply = server.request(method, path, token=t2)
        assert reply.status == 404 and job_id in reply.json()["error"]
    assert server.request("GET", f"/api/v1/status/{job_id}", token=server.tokens[W1]).status == 200  # not deleted


@pytest.mark.parametrize("bad_id", ["..%2F..%2Fjobs.sqlite3", "..", "%2e%2e", "ABCDEF0123456789", "0123456789abcdef0",
                                    "0123456789abcde", "0123456789abcdeg", "%00"])
def test_ids_are_strict(server, bad_id):
    for method, path in (("GET", f"/api/v1/status/{bad_id}"), ("GET", f"/api/v1/summary/{bad_id}"),
                         ("DELETE", f"/api/v1/meetings/{bad_id}")):
        reply = server.request(method, path, token=server.tokens[W1])
        assert reply.status in (400, 404), (path, reply.status)
        assert "error" in reply.json()
    page = server.request("GET", f"/meetings/{bad_id}?exp=9999999999&sig={sign(_settings(), bad_id, 9999999999)}")
    assert page.status in (400, 404)
    assert server.request("GET", "/meetings/x/keyframes/..%2F..%2Fjobs.sqlite3").status in (400, 404)


def _settings() -> Settings:
    return Settings(link_secret=LINK_SECRET)


def test_bodies_are_checked(server):
    t1 = server.tokens[W1]
    presign = "/api/v1/upload/presigned-url"
    too_big = server.request("POST", presign, token=t1, json_body={"filename": "a.mp4", "size": 21 * 1024 * 1024})
    assert too_big.status == 413 and "20 MiB" in too_big.json()["error"]
    huge = server.request("POST", presign, token=t1, json_body={"filename": "a.mp4", "size": 5, "x": "y" * 70_000})
    assert huge.status == 413
    assert server.request("POST", presign, token=t1, body=b"filename=a", headers={
        "Content-Type": "application/x-www-form-urlencoded"}).status == 415
    assert server.request("POST", presign, token=t1, body=b"{nope", headers={
        "Content-Type": "application/json"}).status == 400
    for body in ({"filename": "a.mp4", "size": "5"}, {"filename": "a.mp4", "size": True}, {"size": 5},
                 {"filename": "", "size": 5}, {"filename": "a.mp4", "size": 0}, ["a"],
                 {"filename": "a.mp4", "size": 5, "conversation": "../x"}):
        reply = server.request("POST", presign, token=t1, json_body=body)
        assert reply.status == 400 and reply.json()["error"], body
    assert server.request("POST", "/api/v1/query", token=t1, json_body={"question": "   "}).status == 400
    assert server.request("POST", "/api/v1/query", token=t1, json_body={"question": "q", "meeting_ids": ["../x"]}
                          ).status == 400
    assert server.request("GET", "/api/v1/nope", token=t1).json() == {"error": "Not Found"}
    wrong_method = server.request("PATCH", "/api/v1/meetings", token=t1)
    assert wrong_method.status == 405 and wrong_method.json()["error"]


def test_upload_urls_are_signed_capped_and_scoped(server):
    t1, t2 = server.tokens[W1], server.tokens[W2]
    t = server.request("POST", "/api/v1/upload/presigned-url", token=t1,
                       json_body={"filename": "../../etc/passwd", "size": 10}).json()
    assert "/" not in urlsplit(t["upload_url"]).path.removeprefix("/api/v1/upload/direct")
    forged = t["upload_url"][:-3] + ("aaa" if not t["upload_url"].endswith("aaa") else "bbb")
    assert server.request("PUT", forged, body=b"0123456789").status == 403
    assert server.request("PUT", server.url + "/api/v1/upload/direct?token=", body=b"x").status == 403
    over = server.request("PUT", t["upload_url"], body=b"x" * 11)
    assert over.status == 413 and "10 bytes" in over.json()["error"]
    assert not list((server.data_dir / "uploads" / "api").glob(f"{t['job_id']}/*"))  # nothing kept
    assert server.request("PUT", t["upload_url"], body=b"").status == 400
    assert server.request("PUT", t["upload_url"], body=b"0123456789").status == 200
    stored = server.data_dir / "uploads" / "api" / t["job_id"] / "passwd"
    assert stored.read_bytes() == b"0123456789"  # the name, never the path, of what the client called it
    # Only the workspace that asked for the upload can confirm it.
    other = server.request("POST", "/api/v1/upload/confirm", token=t2, json_body={"upload_token": t["upload_token"]})
    assert other.status == 404
    assert server.request("POST", "/api/v1/upload/confirm", token=t1,
                          json_body={"upload_token": t["upload_token"] + "x"}).status == 404
    # An expired upload URL: a ticket signed by this server, but past its time.
    expired = make_ticket(_settings(), UploadClaim(nonce="0" * 32, workspace=W1, conversation="api",
                                                   key="uploads/api/x/y.mp4", filename="y.mp4", size=10,
                                                   expires=int(time.time()) - 1))
    reply = server.request("PUT", f"{server.url}/api/v1/upload/direct?token={expired}", body=b"0123456789")
    assert reply.status == 403 and "expired" in reply.json()["error"]
    # This one is not media: confirmed, it fails in the worker with a reason, and is then deleted.
    job = server.request("POST", "/api/v1/upload/confirm", token=t1, json_body={"upload_token": t["upload_token"]})
    assert job.status == 201
    failed = server.wait_for(lambda: (s := server.request("GET", f"/api/v1/status/{t['job_id']}", token=t1).json())
                             ["state"] in ("failed", "completed") and s, 180, "the bad upload to fail")
    assert failed["state"] == "failed" and failed["error"] and failed["retryable"] is False
    summary = server.request("GET", f"/api/v1/summary/{t['job_id']}", token=t1)
    assert summary.status == 409 and "failed" in summary.json()["error"]
    assert server.request("DELETE", f"/api/v1/meetings/{t['job_id']}", token=t1).status == 204
    assert not stored.exists()


# --- the pages


def _page_url(server, job_id: str) -> str:
    return server.request("GET", f"/api/v1/status/{job_id}", token=server.tokens[W1]).json()["page_url"]


def test_meeting_page_with_a_signed_link(server, uploaded):
    job_id, _ = uploaded
    url = _page_url(server, job_id)
    page = server.request("GET", url)
    assert page.status == 200 and page.headers["Content-Type"].startswith("text/html")
    assert "script-src" not in page.headers["Content-Security-Policy"] and "<script" not in page.text
    assert page.headers["Referrer-Policy"] == "no-referrer"
    assert '<meta name="viewport"' in page.text
    html = page.text
    summary = server.request("GET", f"/api/v1/summary/{job_id}", token=server.tokens[W1]).json()
    assert str(escape(summary["title"])) in html
    for section in ('id="summary"', 'id="action-items"', 'id="decisions"', 'id="timeline"', 'id="transcript"'):
        assert section in html
    assert len(re.findall(r'<rect class="turn" data-speaker="SPEAKER_1"', html)) >= 1
    assert len(re.findall(r'<rect class="turn" data-speaker="SPEAKER_2"', html)) >= 1
    keyframes = re.findall(r'<img class="keyframe" src="([^"]+)"', html)
    meeting = json.loads((server.data_dir / "results" / job_id / "meeting.json").read_text())
    assert len(keyframes) == len(meeting["scenes"]) >= 1
    assert html.count('<image class="keyframe-thumb"') == len(meeting["scenes"])  # on the timeline's time axis
    assert html.count('<li id="seg-') == len(meeting["transcript"]["segments"])
    # The recogniser hears "Diane in" or "Diane and" New Jersey depending on the CPU's maths kernels: match the words.
    assert re.search(r"This is Diane \w+ New Jersey", html)
    image = server.request("GET", server.url + keyframes[0].replace("&amp;", "&"))
    assert image.status == 200 and image.body[:3] == b"\xff\xd8\xff"
    bare = keyframes[0].split("?")[0]
    assert server.request("GET", server.url + bare).status == 401  # a keyframe needs the link too
    assert server.request("GET", server.url + bare.rsplit("/", 1)[0] + "/meeting.json?"
                          + keyframes[0].split("?")[1].replace("&amp;", "&")).status == 404


def test_insights_and_downloads_on_the_page_and_in_the_api(server, uploaded, tmp_path):
    """The page's insights card and Download links; the bots' signed download links; GET summary?format=."""
    import docx

    from lifestream.links import download_link

    job_id, _ = uploaded
    url = _page_url(server, job_id)
    html = server.request("GET", url).text
    meeting = json.loads((server.data_dir / "results" / job_id / "meeting.json").read_text())
    assert 'id="insights"' in html and html.count('<rect class="talk"') == len(meeting["speakers"]) >= 2
    assert "left open" in html and "Words/min" in html
    links = dict(re.findall(r'<a href="([^"]+/download/(\w+)\?[^"]+)" download>', html))
    hrefs = {fmt: href.replace("&amp;", "&") for href, fmt in links.items()}
    assert set(hrefs) == {"pdf", "docx", "md", "vtt", "srt"}

    pdf = server.request("GET", server.url + hrefs["pdf"])
    assert pdf.status == 200 and pdf.headers["Content-Type"] == "application/pdf"
    assert pdf.headers["Content-Disposition"].startswith('attachment; filename="') and pdf.body.startswith(b"%PDF-")
    if shutil.which("pdftotext"):
        (tmp_path / "m.pdf").write_bytes(pdf.body)
        text = subprocess.run(["pdftotext", str(tmp_path / "m.pdf"), "-"], capture_output=True, text=True,
                              check=True).stdout
        assert re.search(r"Diane \w+ New Jersey", " ".join(text.split())) and "Figure 1." in text
    # What the bots post: the page link they sign, turned into a download link.
    word = server.request("GET", download_link(url, "docx"))
    assert word.status == 200 and word.headers["Content-Type"].startswith("application/vnd.openxmlformats")
    assert len(docx.Document(io.BytesIO(word.body)).inline_shapes) == len(meeting["scenes"])
    vtt = server.request("GET", server.url + hrefs["vtt"])
    assert vtt.status == 200 and vtt.text.startswith("WEBVTT")
    query = hrefs["pdf"].split("?", 1)[1]
    assert server.request("GET", f"/meetings/{job_id}/download/pdf").status == 401  # the link is the permission
    assert server.request("GET", f"/meetings/{job_id}/download/pdf?exp=1&sig=00").status == 403
    assert server.request("GET", f"/meetings/{job_id}/download/odt?{query}").status == 404
    assert server.request("GET", f"/meetings/{job_id}/download/pdf", token=server.tokens[W1]).status == 200
    assert server.request("GET", f"/meetings/{job_id}/download/pdf", token=server.tokens[W2]).status == 404

    t1 = server.tokens[W1]
    summary = server.request("GET", f"/api/v1/summary/{job_id}", token=t1).json()
    assert {s["speaker"] for s in summary["insights"]["speakers"]} == set(meeting["speakers"])
    assert 0 <= summary["insights"]["silence_ratio"] <= 1
    api_pdf = server.request("GET", f"/api/v1/summary/{job_id}?format=pdf", token=t1)
    assert api_pdf.status == 200 and api_pdf.body.startswith(b"%PDF-")
    assert "attachment" in api_pdf.headers["Content-Disposition"]
    srt = server.request("GET", f"/api/v1/summary/{job_id}?format=srt", token=t1)
    assert srt.status == 200 and srt.text.startswith("1\n")
    assert server.request("GET", f"/api/v1/summary/{job_id}?format=docx", token=t1).body[:2] == b"PK"
    bad = server.request("GET", f"/api/v1/summary/{job_id}?format=odt", token=t1)
    assert bad.status == 400 and "docx" in bad.json()["error"]
    assert server.request("GET", f"/api/v1/summary/{job_id}?format=pdf", token=server.tokens[W2]).status == 404


def test_meeting_page_refuses_forged_expired_and_foreign_access(server, uploaded):
    job_id, _ = uploaded
    url = _page_url(server, job_id)
    base = url.split("?")[0]
    exp = parse_qs(urlsplit(url).query)["exp"][0]
    forged = server.request("GET", f"{base}?exp={exp}&sig={'0' * 64}")
    assert forged.status == 403 and "expired" in forged.text
    later = int(exp) + 3600  # a valid signature does not stretch to another expiry
    assert server.request("GET", f"{base}?exp={later}&sig={parse_qs(urlsplit(url).query)['sig'][0]}").status == 403
    past = int(time.time()) - 10
    assert server.request("GET", f"{base}?exp={past}&sig={sign(_settings(), job_id, past)}").status == 403
    other_meeting = "0" * 16
    assert server.request("GET", f"{base}?exp={exp}&sig={sign(_settings(), other_meeting, int(exp))}").status == 403
    assert server.request("GET", f"{base}?exp={exp}&sig=%C3%A9").status == 403
    assert server.request("GET", base).status == 401
    assert server.request("GET", base, token=server.tokens[W2]).status == 404
    assert server.request("GET", base, token=server.tokens[W1]).status == 200


def test_ask_box_answers_about_this_meeting(server, uploaded):
    job_id, _ = uploaded
    url = _page_url(server, job_id)
    query = urlsplit(url).query
    page = server.request("POST", f"/meetings/{job_id}/ask?{query}", body=b"question=Where+is+Diane%3F",
                          headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert page.status == 200
    answer = page.text.split('id="answer"', 1)[1].split("</div>", 1)[0]
    assert "<blockquote>" in answer and "New Jersey" in answer
    assert 'value="Where is Diane?"' in page.text
    forged = server.request("POST", f"/meetings/{job_id}/ask?exp=1&sig=00", body=b"question=x",
                            headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert forged.status == 403


def test_jobs_page(server, uploaded):
    job_id, _ = uploaded
    by_token = server.request("GET", "/jobs", token=server.tokens[W1])
    assert by_token.status == 200 and f'id="job-{job_id}"' in by_token.text and "completed" in by_token.text
    link = server.request("GET", "/api/v1/meetings", token=server.tokens[W1]).json()["jobs_page_url"]
    by_link = server.request("GET", link)
    assert by_link.status == 200 and f'id="job-{job_id}"' in by_link.text
    meeting_href = re.search(rf'href="(/meetings/{job_id}\?[^"]+)"', by_link.text).group(1).replace("&amp;", "&")
    assert server.request("GET", meeting_href).status == 200  # its rows link to the meeting pages
    assert f'id="job-{job_id}"' not in server.request("GET", "/jobs", token=server.tokens[W2]).text
    assert server.request("GET", "/jobs").status == 401
    assert server.request("GET", link.replace(f"workspace={W1}", f"workspace={W2}")).status == 403


def _chromium() -> str | None:
    return next((p for p in map(shutil.which, ("chromium", "chromium-browser", "google-chrome")) if p), None)


def test_meeting_page_in_headless_chromium(server, uploaded, tmp_path):
    browser = _chromium()
    if browser is None:
        pytest.skip("no chromium binary (apt-get install chromium; scripts/setup --test installs it)")
    job_id, _ = uploaded
    url = _page_url(server, job_id)
    base = [browser, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
            "--disable-background-networking", "--disable-component-update", "--disable-sync", "--hide-scrollbars",
            f"--user-data-dir={tmp_path / 'profile'}"]
    mark = server.log.stat().st_size
    dom = subprocess.run([*base, "--dump-dom", url], capture_output=True, text=True, timeout=120)
    assert dom.returncode == 0, dom.stderr[-2000:]
    meeting = json.loads((server.data_dir / "results" / job_id / "meeting.json").read_text())
    assert dom.stdout.count('class="turn"') >= 2
    assert dom.stdout.count('<img class="keyframe"') == len(meeting["scenes"])
    assert dom.stdout.count('<li id="seg-') == len(meeting["transcript"]["segments"])
    assert dom.stdout.count('class="talk"') == len(meeting["speakers"])  # the insights chart
    ARTIFACTS.mkdir(exist_ok=True)
    for name, size in (("meeting-page.png", "1280,2400"), ("meeting-page-phone.png", "390,2400")):
        shot = ARTIFACTS / name
        shot.unlink(missing_ok=True)
        run = subprocess.run([*base, f"--window-size={size}", f"--screenshot={shot}", url], capture_output=True,
                             text=True, timeout=120)
        assert run.returncode == 0 and shot.is_file(), run.stderr[-2000:]
        png = shot.read_bytes()
        assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 50_000  # a rendered page, not a blank one
        assert int.from_bytes(png[16:20], "big") == int(size.split(",")[0])
    # The browser really fetched every keyframe (once: then from its cache), through the signed route.
    fetched = server.log.read_text()[mark:]
    for scene in meeting["scenes"]:
        name = Path(scene["keyframe"]).name
        assert re.search(rf'"GET /meetings/{job_id}/keyframes/{re.escape(name)}\?exp=\d+&sig=[0-9a-f]+ HTTP/1.1" 200 '
                         r'\d+ "-" "[^"]*HeadlessChrome', fetched), name


def test_deleting_a_running_job_cancels_it_then_deletes_once_it_has_stopped(server, uploaded, sample_wav):
    t1 = server.tokens[W1]
    t = server.request("POST", "/api/v1/upload/presigned-url", token=t1,
                       json_body={"filename": "call.wav", "size": sample_wav.stat().st_size}).json()
    assert server.request("PUT", t["upload_url"], body=sample_wav.read_bytes()).status == 200
    assert server.request("POST", "/api/v1/upload/confirm", token=t1,
                          json_body={"upload_token": t["upload_token"]}).status == 201
    job_id = t["job_id"]
    server.wait_for(lambda: server.request("GET", f"/api/v1/status/{job_id}", token=t1).json()["state"]
                    == "processing", 120, "the job to start")
    first = server.request("DELETE", f"/api/v1/meetings/{job_id}", token=t1)
    assert first.status == 409 and "cancelled" in first.json()["error"]
    wait = int(first.headers["Retry-After"])
    assert server.request("GET", f"/api/v1/status/{job_id}", token=t1).json()["state"] == "cancelled"
    assert server.request("DELETE", f"/api/v1/meetings/{job_id}", token=t1).status == 409  # still stopping
    time.sleep(wait)
    assert server.request("DELETE", f"/api/v1/meetings/{job_id}", token=t1).status == 204
    # The worker notices at its next stage boundary (ASR can be a while) and gives the job up without
    # publishing or indexing anything: once it has, nothing of the meeting may have come back.
    server.wait_for(lambda: f"job {job_id}: stopped, it is no longer ours" in server.log.read_text(), 240,
                    "the worker to give the cancelled job up")
    assert server.request("GET", f"/api/v1/status/{job_id}", token=t1).status == 404
    assert not (server.data_dir / "results" / job_id).exists()
    assert not (server.data_dir / "uploads" / "api" / job_id).exists()
    assert LocalIndex(server.data_dir / "search.sqlite3").count(job_id) == 0


def test_delete_removes_files_job_and_index_records(server, uploaded):
    job_id, _ = uploaded
    t1 = server.tokens[W1]
    index = LocalIndex(server.data_dir / "search.sqlite3")
    assert index.count(job_id) > 0  # it was indexed (else the check below proves nothing)
    assert server.request("DELETE", f"/api/v1/meetings/{job_id}", token=server.tokens[W2]).status == 404
    assert (server.data_dir / "results" / job_id).is_dir()
    deleted = server.request("DELETE", f"/api/v1/meetings/{job_id}", token=t1)
    assert deleted.status == 204 and deleted.body == b""
    assert index.count(job_id) == 0
    assert not (server.data_dir / "results" / job_id).exists()
    assert not (server.data_dir / "uploads" / "api" / job_id).exists()
    assert server.request("GET", f"/api/v1/status/{job_id}", token=t1).status == 404
    assert job_id not in [m["job_id"] for m in server.request("GET", "/api/v1/meetings", token=t1).json()["meetings"]]
    gone = server.request("POST", "/api/v1/query", token=t1, json_body={"question": "Where is Diane?"}).json()
    assert gone["found"] is False
    assert server.request("GET", _page_url_after_delete(job_id)).status == 404
    assert server.request("DELETE", f"/api/v1/meetings/{job_id}", token=t1).status == 404


def _page_url_after_delete(job_id: str) -> str:
    exp = int(time.time()) + 600
    return f"/meetings/{job_id}?exp={exp}&sig={sign(_settings(), job_id, exp)}"
