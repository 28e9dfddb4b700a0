"""The sandbox identity provider (``identity/sandbox``): real-name, face check and e-sign flows
completed on a sandbox page, with signed evidence. See :mod:`.provider` for the scripted names."""
