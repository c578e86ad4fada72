"""Use cases over one collection: the study session's queue and answering, plan status,
progress, maintenance, the forecast, coding practice, simulation and parameter fitting.
Imports core, files and storage.
"""
