"""Who may talk to the synth's network surfaces, and how much.

One module for the OSC server and the OSCQuery HTTP server alike:

* :func:`parse_allow` / :func:`peer_allowed`: loopback is always allowed, other peers only
  inside an ``--allow`` network.  IPv4-mapped IPv6 peers (``::ffff:a.b.c.d``) are judged as
  the IPv4 address they carry.
* :class:`TokenBucket` and :class:`SenderLimits`: per-sender budgets, checked before a datagram
  is parsed, so a flood costs a table look-up per datagram and never the parsing and replying
  that a well-behaved sender gets.

No library does token buckets keyed by peer without pulling in an async framework; a bucket is
a few lines.
"""

from __future__ import annotations

import ipaddress
import threading
import time
from collections import OrderedDict
from collections.abc import Iterable


def parse_allow(cidrs: Iterable[str]) -> list:
    """``--allow`` values -> ip networks; ValueError with the bad value."""
    nets = []
    for c in cidrs:
        try:
            nets.append(ipaddress.ip_network(c, strict=False))
        except ValueError:
            raise ValueError(f"--allow {c!r} is not an address or CIDR "
                             f"(e.g. 192.168.1.0/24)") from None
    return nets


def peer_ip(host: str):
    """The peer's address as an ``ipaddress`` object, IPv4-mapped IPv6 unwrapped; None when
    ``host`` is not an IP address (or carries a zone we cannot judge)."""
    try:
        ip = ipaddress.ip_address(host.split("%", 1)[0])
    except ValueError:
        return None
    if ip.version == 6 and ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    return ip


def peer_allowed(host: str, allow: Iterable) -> bool:
    """Whether a peer at ``host`` may be served: loopback, or inside one of ``allow``."""
    ip = peer_ip(host)
    if ip is None:
        return False
    return ip.is_loopback or any(ip.version == n.version and ip in n for n in allow)


class TokenBucket:
    """``rate`` tokens per second, at most ``burst`` saved up; starts full.

    Not thread-safe on its own: :class:`SenderLimits` holds the lock.
    """

    __slots__ = ("rate", "burst", "tokens", "t")

    def __init__(self, rate: float, burst: float, now: float):
        self.rate, self.burst = float(rate), float(burst)
        self.tokens, self.t = float(burst), now

    def refill(self, now: float) -> float:
        """Tokens available at ``now``."""
        self.tokens = min(self.burst, self.tokens + (now - self.t) * self.rate)
        self.t = now
        return self.tokens

    def take(self, n: float, now: float) -> bool:
        """Spend ``n`` tokens if there are that many."""
        if self.refill(now) >= n:
            self.tokens -= n
            return True
        return False


#: OSC messages per second one sender may have parsed and applied (a face engine sends ~240,
#: a busy live-coding session a few hundred); the burst absorbs a large bundle now and then
MESSAGES_PER_S = 2000.0
MESSAGE_BURST = 4000.0
#: ... and all senders together: bounds the CPU the OSC thread can take from the audio threads
ALL_MESSAGES_PER_S = 8000.0
#: replies (``/lr/status``, ``/lr/state``, ``/lr/error`` ...) per second to one sender, and
#: per datagram: a reply is never more than a request's worth of traffic back
REPLIES_PER_S = 32.0
REPLIES_PER_DATAGRAM = 8
#: senders remembered at once (oldest forgotten first): the table cannot grow without bound
MAX_SENDERS = 256


class SenderLimits:
    """Per-sender (address, port) message and reply budgets, plus one budget for everyone.

    ``admit(sender, messages)`` before parsing: False drops the whole datagram.
    ``reply(sender)`` before each reply: False drops that reply.  Thread-safe.
    """

    def __init__(self, messages_per_s: float = MESSAGES_PER_S,
                 message_burst: float = MESSAGE_BURST,
                 all_messages_per_s: float = ALL_MESSAGES_PER_S,
                 replies_per_s: float = REPLIES_PER_S, clock=time.monotonic):
        self._rates = (messages_per_s, message_burst, replies_per_s)
        self._clock = clock
        self._lock = threading.Lock()
        self._senders: OrderedDict = OrderedDict()  # sender -> (messages, replies) buckets
        self._all = TokenBucket(all_messages_per_s, all_messages_per_s, clock())
        self.admitted_messages = 0  #: messages in the datagrams let through
        self.dropped_datagrams = 0  #: datagrams refused for a spent budget
        self.dropped_replies = 0  #: replies not sent for a spent budget

    def _buckets(self, sender, now: float):
        b = self._senders.get(sender)
        if b is None:
            rate, burst, replies = self._rates
            b = (TokenBucket(rate, burst, now), TokenBucket(replies, replies, now))
            self._senders[sender] = b
            if len(self._senders) > MAX_SENDERS:
                self._senders.popitem(last=False)
        else:
            self._senders.move_to_end(sender)
        return b

    def admit(self, sender, messages: int) -> bool:
        """Whether a datagram of ``messages`` OSC messages from ``sender`` may be handled."""
        now = self._clock()
        with self._lock:
            mine = self._buckets(sender, now)[0]
            # a datagram larger than any burst still gets through once the bucket is full
            n = min(float(messages), mine.burst, self._all.burst)
            ok = mine.refill(now) >= n and self._all.refill(now) >= n
            if ok:
                mine.tokens -= n
                self._all.tokens -= n
                self.admitted_messages += messages
            else:
                self.dropped_datagrams += 1
            return ok

    def reply(self, sender) -> bool:
        """Whether one more reply may go to ``sender`` now."""
        now = self._clock()
        with self._lock:
            ok = self._buckets(sender, now)[1].take(1.0, now)
            if not ok:
                self.dropped_replies += 1
            return ok
