"""Hello world: one slash command."""

from bot.api import SlashCommand, hookimpl


def hello(respond, command):
    respond(f"Hello <@{command['user_id']}>!")


@hookimpl
def register_commands():
    return [SlashCommand("/hello", hello, description="Say hello")]
