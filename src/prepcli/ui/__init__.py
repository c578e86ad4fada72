"""What the terminal shows: the only Rich importer (render), each screen, the review and
quiz session loops, key reading and the editor. Imports the layers below.
"""
