"""Fixture texts: the tokeniser edge cases and the length caps."""

LONG_WORDS = "retrieval of composed image and text queries across a catalogue of photographs".split()


def long_text(words: int) -> str:
    return " ".join(LONG_WORDS[i % len(LONG_WORDS)] for i in range(words))


TEXTS = {
    "empty": "",
    "plain": "a red bicycle leaning against a brick wall",
    "accents": "Crème brûlée façade naïve Ångström Øresund Straße",
    "cjk": "东京的夜景 漢字かな交じり文 한국어 𠀀𠀁𪚥𫝀 ext-B 𠮷野家",
    "emoji": "sunset 🌅 over the sea 🌊 with friends 👩‍👩‍👧 ✨",
    "control": "tab\there\u0000nul\u0007bell\u001bescape\r\nnew line\u200bzero-width\u00adsoft-hyphen",
    "unassigned": "unassigned \u0378\u0380 \U000e0080 \U0002fffe private \ue000 noncharacter \ufdd0 end",
    "over-316-tokens": long_text(400),
    "over-512-tokens": long_text(700),
}
