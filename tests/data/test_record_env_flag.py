"""`simplevla record --env`: the choice is validated, and each env's selection flag stays its own."""

from __future__ import annotations

from pathlib import Path

import pytest

from simplevla.collect.commands import RecordCommand
from simplevla.errors import SimplevlaError


@pytest.mark.parametrize(
    "kwargs, needle",
    [
        (dict(env="mujoco"), "--env must be one of ['tabletop', 'metaworld']"),
        (dict(tasks=("reach",)), "with --env tabletop use --families"),
        (dict(env="metaworld", families=("reach",)), "with --env metaworld use --tasks"),
        (dict(env="metaworld", tasks=("fly",)), "unknown or empty ['fly']"),
        (dict(env="metaworld", front_starts=0.5), "--front-starts is Tabletop's"),
    ],
)
def test_record_env_validation(kwargs, needle):
    with pytest.raises(SimplevlaError) as e:
        RecordCommand(out=Path("unused"), **kwargs)
    assert needle in str(e.value)


def test_every_suite_records_task_xy_unless_told_not_to():
    assert RecordCommand(out=Path("unused"), env="metaworld").task_xy is True
    assert RecordCommand(out=Path("unused")).task_xy is True
    assert RecordCommand(out=Path("unused"), env="metaworld", task_xy=False).task_xy is False
