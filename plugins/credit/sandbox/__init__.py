"""The sandbox credit provider (``credit/sandbox``): deterministic and scriptable, for
``pawpay dev``, stores in test mode and the tests. See :mod:`.provider` for the scripted inputs."""
