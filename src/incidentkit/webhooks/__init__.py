"""Receive incident.io webhooks: signature verification (:mod:`.verify`) and typed events (:mod:`.events`)."""
