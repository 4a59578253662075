"""Channel adapters. Only ``channels.base`` is shared; concrete adapters are wired by ``bots``."""
