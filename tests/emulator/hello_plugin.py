"""The hello-world plugin of docs/slack.md: one slash command, under 15 lines."""

from bot import hookimpl
from bot.slack.registry import SlashCommand


def hello(respond, command):
    respond(f"Hello <@{command['user_id']}>!")


@hookimpl
def register_commands():
    return [SlashCommand("/hello", hello, description="Say hello")]
