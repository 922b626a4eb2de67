"""What people type to the bots, parsed the same for Slack's /ask and a Teams message (pure, fast)."""

from __future__ import annotations

import pytest

from lifestream.bot.commands import Ask, ForgetVoice, Help, RememberVoice, Rename, ShowVoice, parse_command


@pytest.mark.parametrize("text", [None, "", "   ", "help", "HELP", "?", "hi", "Hello", "ask", "ask:", "ask   "])
def test_help(text):
    assert parse_command(text) == Help()


@pytest.mark.parametrize("text,question", [
    ("what did we decide about the launch?", "what did we decide about the launch?"),
    ("ask where is Diane from?", "where is Diane from?"),
    ("Ask: who owns the budget", "who owns the budget"),
    ("ask\nwhat   changed\tlast week", "what changed last week"),  # whitespace collapsed, newlines too
    ("asking for a friend: who spoke first?", "asking for a friend: who spoke first?"),  # "ask" must be a word
    ("help me find the budget decision", "help me find the budget decision"),  # only a bare "help" is help
    ("rename the project to Falcon?", "rename the project to Falcon?"),  # not a speaker label: a question
])
def test_questions(text, question):
    assert parse_command(text) == Ask(question)


@pytest.mark.parametrize("text,label,name", [
    ("rename SPEAKER_1 Alice", "SPEAKER_1", "Alice"),
    ("Rename speaker_12 Mary Ann O'Neil", "SPEAKER_12", "Mary Ann O'Neil"),
    ("rename  SPEAKER_2\n Bob ", "SPEAKER_2", "Bob"),
])
def test_rename(text, label, name):
    assert parse_command(text) == Rename(label, name)


def test_rename_needs_a_name():
    assert parse_command("rename SPEAKER_1") == Ask("rename SPEAKER_1")


@pytest.mark.parametrize(("text", "command"), [
    ("my voice", ShowVoice()), ("show my voiceprint", ShowVoice()), ("What's my voice?", ShowVoice()),
    ("forget my voice", ForgetVoice()), ("please delete my voiceprint", ForgetVoice()),
    ("remember my voice", RememberVoice()),
    ("what did we say about my voice coach?", Ask("what did we say about my voice coach?")),
])
def test_voice_commands(text, command):
    assert parse_command(text) == command
