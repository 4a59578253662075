"""The channel registry: the one place that knows which adapters are on, for outbound delivery."""

from __future__ import annotations

import logging

from channels.base import Address, DeliveryError, Outbound, Sender

__all__ = ["ChannelRegistry"]

log = logging.getLogger(__name__)


class ChannelRegistry:
    """Maps channel names to senders; satisfies :class:`desk.outbox.Outbox`."""

    def __init__(self) -> None:
        self._senders: dict[str, Sender] = {}
        self.off: dict[str, str] = {}

    def add(self, sender: Sender) -> None:
        self._senders[sender.name] = sender

    def mark_off(self, channel: str, reason: str) -> None:
        """Record that ``channel`` is off and why (``serve`` prints one line for each)."""
        self.off[channel] = reason

    def handles(self, channel: str) -> bool:
        return channel in self._senders

    @property
    def names(self) -> list[str]:
        return sorted(self._senders)

    async def close(self) -> None:
        """Release the adapters' clients (those that hold one)."""
        for sender in self._senders.values():
            close = getattr(sender, "close", None)
            if close is not None:
                try:
                    await close()
                except Exception:
                    log.exception("closing channel %s failed", sender.name)

    async def send(self, address: Address, message: Outbound) -> str | None:
        sender = self._senders.get(address.channel)
        if sender is None:
            raise DeliveryError(f"channel {address.channel} is off")
        return await sender.send(address, message)
