"""Post-migration validation: event logs from both sides in, four checks out.

records.py streams typed records out of the logs teams have; checks.py runs volume,
identity, duplicates and continuity over them in one pass with bounded state; the
formatters live in scanner/report/validation.py.
"""
