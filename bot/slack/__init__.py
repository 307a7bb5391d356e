"""Slack front door: the Bolt app assembled from plugin registrations, its Lambda and Socket Mode
entry points, and the types plugins use to register commands and interactivity handlers."""
