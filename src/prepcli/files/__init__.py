"""The user's files: the only YAML reader, the deck and plan loaders and validators, and
deck lint. Imports core only.
"""
