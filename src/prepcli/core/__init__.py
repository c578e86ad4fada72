"""The pure domain: cards, review states and their scheduling rules, the agenda, the
interview planner, statistics and quiz maths. No I/O; time and randomness are passed in.
Imports nothing else of prepcli.
"""
