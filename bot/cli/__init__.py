"""The ``crewbot`` command line. Each concern adds its sub-commands in a module of its own."""
