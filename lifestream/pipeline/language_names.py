"""The English names of the languages Whisper most often reports, for notes and prompts ("German (de)")."""

from __future__ import annotations

LANGUAGE_NAMES = {
    "en": "English",
    "de": "German",
    "es": "Spanish",
    "fr": "French",
    "it": "Italian",
    "nl": "Dutch",
    "pt": "Portuguese",
    "pl": "Polish",
    "sv": "Swedish",
    "da": "Danish",
    "no": "Norwegian",
    "nn": "Norwegian",
    "fi": "Finnish",
    "cs": "Czech",
    "sk": "Slovak",
    "hu": "Hungarian",
    "ro": "Romanian",
    "el": "Greek",
    "tr": "Turkish",
    "ru": "Russian",
    "uk": "Ukrainian",
    "bg": "Bulgarian",
    "ca": "Catalan",
    "ar": "Arabic",
    "he": "Hebrew",
    "hi": "Hindi",
    "ja": "Japanese",
    "ko": "Korean",
    "zh": "Chinese",
    "vi": "Vietnamese",
    "id": "Indonesian",
    "ms": "Malay",
    "th": "Thai",
    "fa": "Persian",
}


def base_language(language: str | None) -> str | None:
    """ "en-GB" -> "en", "DE" -> "de"; None when unknown."""
    return language.replace("_", "-").split("-")[0].lower() if language else None


def language_name(code: str | None) -> str:
    """ "de" -> "German"; a code without a name here is shown as itself."""
    return LANGUAGE_NAMES.get(code or "", code or "an unknown language")


def described(code: str | None) -> str:
    """ "de" -> "German (de)"."""
    name = language_name(code)
    return f"{name} ({code})" if code and name != code else name
