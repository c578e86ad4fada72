"""Where prepcli keeps things: the SQLite store (the only sqlite3 importer) and its
migrations, the deck index cache, export and import formats, and the platform's paths.
Imports core and files.
"""
