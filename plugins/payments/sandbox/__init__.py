"""The sandbox payments provider (``payments/sandbox``): deterministic and scriptable, for
``pawpay dev``, stores in test mode and the tests. See :mod:`.provider` for the scripted amounts."""
