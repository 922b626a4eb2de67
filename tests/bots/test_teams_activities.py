"""Reading a Teams activity: its files, its text without the bot's @mention, its search scope (pure, fast)."""

from __future__ import annotations

from botbuilder.schema import Activity

from lifestream.bot.teams.activities import FILE_DOWNLOAD_INFO, SharedFile, command_text, search_scope, shared_files

BOT = {"id": "28:bot", "name": "LifeStream"}
TENANT = "72f988bf-0000-4000-8000-000000000001"


def _activity(**fields) -> Activity:
    body = {"type": "message", "recipient": BOT, "from": {"id": "29:alice"},
            "conversation": {"id": "a:1chat", "conversationType": "personal"}, **fields}
    return Activity().deserialize(body)


def test_files_from_teams_and_from_plain_attachments():
    activity = _activity(attachments=[
        {"contentType": FILE_DOWNLOAD_INFO, "name": "standup.mp4", "contentUrl": "https://sp.example/standup.mp4",
         "content": {"downloadUrl": "https://sp.example/download?x=1", "fileType": "mp4"}},
        {"contentType": FILE_DOWNLOAD_INFO, "content": {"downloadUrl": "https://sp.example/d2", "fileType": "m4a"}},
        {"contentType": "audio/wav", "contentUrl": "https://emulator.example/files/call.wav"},
        {"contentType": "text/html", "content": "<p>the message itself</p>"},
        {"contentType": "application/vnd.microsoft.card.adaptive", "contentUrl": "https://x.example/card"},
    ])
    assert shared_files(activity) == [
        SharedFile("standup.mp4", "https://sp.example/download?x=1", None),  # the pre-authenticated URL
        SharedFile("recording.m4a", "https://sp.example/d2", None),
        SharedFile("call.wav", "https://emulator.example/files/call.wav", "audio/wav"),
    ]
    assert shared_files(_activity()) == []


def test_only_the_bots_own_mention_is_removed_and_markup_goes():
    activity = _activity(
        text="<at>LifeStream</at> ask what did <at>Diane</at> promise?&nbsp;<br/>by <b>Friday</b>",
        entities=[{"type": "mention", "text": "<at>LifeStream</at>", "mentioned": BOT},
                  {"type": "mention", "text": "<at>Diane</at>", "mentioned": {"id": "29:diane", "name": "Diane"}}])
    assert command_text(activity) == "ask what did Diane promise? by Friday"
    assert command_text(_activity(text=None)) == ""


def test_search_scope_is_the_tenant_and_the_channel_or_chat():
    channel = _activity(conversation={"id": "19:recordings@thread.tacv2;messageid=1700", "conversationType": "channel"},
                        channelData={"tenant": {"id": TENANT}, "channel": {"id": "19:recordings@thread.tacv2"}})
    assert search_scope(channel) == (TENANT, "19:recordings@thread.tacv2")  # every reply chain of the channel
    chat = _activity(conversation={"id": "19:group;messageid=5", "conversationType": "groupChat"},
                     channelData={"tenant": {"id": TENANT}})
    assert search_scope(chat) == (TENANT, "19:group")
    assert search_scope(_activity()) == ("teams", "a:1chat")  # no tenant anywhere (the Emulator)
