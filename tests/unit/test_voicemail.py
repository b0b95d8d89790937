"""Voicemail values: keyword lists of boxes and numbers, message-waiting lamp counts,
notification preferences."""

from __future__ import annotations

import pytest

from pbx.core.errors import InvalidInput
from pbx.core.model import BoxKind, Directory, Extension, User, VoicemailBox
from pbx.core.validate import notify_channels
from pbx.core.voicemail import keyword_lists, lamp_counts

DEFAULTS = ("leak", "no heat")


def test_keyword_lists_not_set_are_the_defaults() -> None:
    assert keyword_lists(None, None, DEFAULTS, has_number=True) == DEFAULTS
    assert keyword_lists(None, None, DEFAULTS, has_number=False) == DEFAULTS


def test_a_message_is_checked_against_its_box_and_its_number() -> None:
    assert keyword_lists(("mold",), None, DEFAULTS, has_number=True) == ("mold", *DEFAULTS)
    assert keyword_lists(("mold",), ("smoke",), DEFAULTS, has_number=True) == ("mold", "smoke")
    # An internal call has no business number: only the box's list.
    assert keyword_lists(("mold",), ("smoke",), DEFAULTS, has_number=False) == ("mold",)


def test_empty_lists_escalate_nothing() -> None:
    assert keyword_lists((), (), DEFAULTS, has_number=True) == ()
    assert keyword_lists((), None, DEFAULTS, has_number=False) == ()


def test_lamps_count_personal_and_shared_boxes() -> None:
    d = Directory(
        users=(User("ann", "a@x.com"), User("bob", "b@x.com")),
        extensions=(
            Extension("101", "ann", "pw", voicemail_box="101"),
            Extension("102", "bob", "pw"),
            Extension("103", "ann", "pw"),
        ),
        boxes=(
            VoicemailBox("101", BoxKind.PERSONAL, ("ann",)),
            VoicemailBox("After Hours", BoxKind.SHARED, ("ann", "bob")),
            VoicemailBox("Main", BoxKind.SHARED, ()),
        ),
    )
    counts = {"101": (1, 2), "After Hours": (3, 0), "Main": (5, 5)}
    assert lamp_counts(d, counts) == {"101": (4, 2), "102": (3, 0), "103": (4, 2)}
    assert lamp_counts(d, {}) == {"101": (0, 0), "102": (0, 0), "103": (0, 0)}


def test_notify_channels() -> None:
    assert notify_channels("email, SMS") == ("email", "sms")
    assert notify_channels("none") == () == notify_channels("")
    with pytest.raises(InvalidInput) as error:
        notify_channels("email,fax")
    assert error.value.field == "notify" and "fax" in error.value.reason
    with pytest.raises(InvalidInput):
        notify_channels("email,email")
