"""Testing helpers shipped with Crewbot (the pytest plugin lives in :mod:`bot.testing.pytest_plugin`)."""
