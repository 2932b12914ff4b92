"""Untrusted text is shown as text: escapes and control characters never reach a terminal raw."""

from mlspm.text import printable


def test_escape_sequences_become_visible():
    assert printable("a\x1b[2Jb") == "a\\x1b[2Jb"
    assert printable("\x9b31m") == "\\x9b31m"
    assert printable("line\nnext\ttab") == "line\\nnext\\ttab"
    assert printable("keep\nnewline", newlines=True) == "keep\nnewline"


def test_bidi_and_zero_width_are_visible():
    assert printable("admin\u202egpj.exe") == "admin\\u202egpj.exe"
    assert printable("a\u200bb") == "a\\u200bb"


def test_rich_markup_is_left_as_text_and_cut_to_length():
    assert printable("[bold red]x[/]") == "[bold red]x[/]"
    assert printable("abcdef", max_len=4) == "abc…"
    assert printable(None) == ""
