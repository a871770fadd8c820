"""The streaming options `bench/streaming_breakdown.py --set NAME=VALUE` takes, for ablations of the policy."""

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))

from streaming_breakdown import streaming_overrides  # noqa: E402


def test_each_value_takes_its_fields_type():
    assert streaming_overrides(["pre_roll_s=0.5", "agreement=3", "defer_in_pauses=false", "glossary="]) == {
        "pre_roll_s": 0.5, "agreement": 3, "defer_in_pauses": False, "glossary": None}


@pytest.mark.parametrize("setting, message", [("pre_roll=0.5", "NAME one of"), ("pre_roll_s", "NAME=VALUE"),
                                              ("pre_roll_s=long", "a number"), ("defer_in_pauses=maybe", "true or"),
                                              ("language=en", "use --language")])
def test_a_wrong_setting_is_named(setting, message):
    with pytest.raises(ValueError, match=message):
        streaming_overrides([setting])
