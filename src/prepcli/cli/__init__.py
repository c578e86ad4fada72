"""The command line: the Typer app and its commands, which read the clock once, resolve
paths, call the app layer and hand results to ui or the JSON emitter. The top layer;
only entry.py is above it.
"""
