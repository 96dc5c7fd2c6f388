"""A transport that finds something only an admin can fix tells the staff, once."""

from __future__ import annotations

from commands.framework.job_env import tell_staff
from tests.harness import ConsoleChat


async def test_the_staff_are_told_once_per_thing(chat: ConsoleChat) -> None:
    await chat.join("admin")  # console:admin is an admin by default
    await chat.join("alice")
    env = chat.app.jobs
    assert await tell_staff(env, "forum:42:tags", "The forum needs a tag.") is True
    assert await tell_staff(env, "forum:42:tags", "The forum needs a tag.") is False
    await chat.deliver()
    assert chat.dms_of("admin").count("The forum needs a tag.") == 1
    assert "The forum needs a tag." not in chat.dms_of("alice")
